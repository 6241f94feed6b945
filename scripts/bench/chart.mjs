// The scaling curve as a hand-written SVG (no chart library): entries on the page (log scale)
// against milliseconds (log scale), one line per series with min–max whiskers at each point.

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/**
 * @param {{ title: string, subtitle?: string, xLabel: string, yLabel: string,
 *   series: Array<{ name: string, color: string, points: Array<{ x: number, median: number, min: number, max: number }> }> }} chart
 * @returns {string} an SVG document
 */
export function scalingChart({ title, subtitle = '', xLabel, yLabel, series }) {
  const W = 720, H = 440;
  const m = { left: 72, right: 180, top: 64, bottom: 56 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.flatMap((p) => [p.min, p.max, p.median]).filter((v) => v > 0);
  const decade = (v, f) => 10 ** f(Math.log10(v));
  const x0 = decade(Math.min(...xs), Math.floor), x1 = decade(Math.max(...xs), Math.ceil);
  const y0 = decade(Math.min(...ys), Math.floor), y1 = decade(Math.max(...ys), Math.ceil);
  const lx = (v) => m.left + ((Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0) || 1)) * pw;
  const ly = (v) => m.top + ph - ((Math.log10(Math.max(v, y0)) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0) || 1)) * ph;
  const r = (v) => v.toFixed(1);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="26" font-size="16" font-weight="600">${escapeXml(title)}</text>`);
  if (subtitle) out.push(`<text x="${m.left}" y="46" fill="#555">${escapeXml(subtitle)}</text>`);
  // Grid: decades, with 2× and 5× minor lines on the y axis.
  for (let d = x0; d <= x1 * 1.0001; d *= 10) {
    out.push(`<line x1="${r(lx(d))}" y1="${m.top}" x2="${r(lx(d))}" y2="${m.top + ph}" stroke="#ddd"/>`);
    out.push(`<text x="${r(lx(d))}" y="${m.top + ph + 18}" text-anchor="middle">${escapeXml(d.toLocaleString('en-US'))}</text>`);
  }
  for (let d = y0; d <= y1 * 1.0001; d *= 10) {
    out.push(`<line x1="${m.left}" y1="${r(ly(d))}" x2="${m.left + pw}" y2="${r(ly(d))}" stroke="#ddd"/>`);
    out.push(`<text x="${m.left - 8}" y="${r(ly(d) + 4)}" text-anchor="end">${escapeXml(String(+d.toPrecision(3)))}</text>`);
    for (const k of [2, 5]) if (d * k < y1) out.push(`<line x1="${m.left}" y1="${r(ly(d * k))}" x2="${m.left + pw}" y2="${r(ly(d * k))}" stroke="#f0f0f0"/>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    out.push(`<g stroke="${escapeXml(s.color)}" fill="${escapeXml(s.color)}">`);
    out.push(`<polyline fill="none" stroke-width="2" points="${pts.map((p) => `${r(lx(p.x))},${r(ly(p.median))}`).join(' ')}"/>`);
    for (const p of pts) {
      const x = lx(p.x);
      out.push(`<line x1="${r(x)}" y1="${r(ly(p.min))}" x2="${r(x)}" y2="${r(ly(p.max))}" stroke-width="1"/>`);
      out.push(`<line x1="${r(x - 4)}" y1="${r(ly(p.min))}" x2="${r(x + 4)}" y2="${r(ly(p.min))}"/>`);
      out.push(`<line x1="${r(x - 4)}" y1="${r(ly(p.max))}" x2="${r(x + 4)}" y2="${r(ly(p.max))}"/>`);
      out.push(`<circle cx="${r(x)}" cy="${r(ly(p.median))}" r="3.5"/>`);
      // The higher series at this x labels above its point, the others below; the last x labels to the left.
      const above = series.every((o) => o === s || !o.points.some((q) => q.x === p.x && q.median > p.median));
      const last = p.x === Math.max(...xs);
      out.push(`<text x="${r(last ? x - 9 : x + 7)}" y="${r(ly(p.median) + (above ? -8 : 16))}" text-anchor="${last ? 'end' : 'start'}" stroke="none" font-size="11">${escapeXml(fmt(p.median))}</text>`);
    }
    out.push('</g>');
    const ly0 = m.top + 12 + i * 20;
    out.push(`<line x1="${m.left + pw + 16}" y1="${ly0}" x2="${m.left + pw + 36}" y2="${ly0}" stroke="${escapeXml(s.color)}" stroke-width="2"/>`);
    out.push(`<text x="${m.left + pw + 42}" y="${ly0 + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push(`<text x="${m.left + pw + 16}" y="${m.top + 12 + series.length * 20 + 8}" fill="#555" font-size="11">dot: median; bar: min–max</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
