/**
 * `GET /_emulator/`: a static HTML page — profile count and, per experience, exposures per variant
 * (distinct views from Insights `component` events of `componentType: "Entry"`; a view is counted
 * once per `viewId`, or once per event when it has none) as inline SVG bar charts.
 *
 * Every piece of text goes through `escapeHtml`: experience names and ids come from a space file
 * and organization ids from URLs, and none of it may become markup. The page needs no script and
 * is served with `Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'`.
 */
import { escapeHtml } from '../core/text.js';
import type { SpaceModel } from './space.js';
import type { Store } from './store.js';

export const DASHBOARD_CSP = "default-src 'none'; style-src 'unsafe-inline'";

export { escapeHtml };

/** experienceId → variant index → distinct views. */
export function countExposures(store: Store, organization: string | null): Map<string, Map<number, number>> {
  const seen = new Set<string>();
  const counts = new Map<string, Map<number, number>>();
  for (const ns of store.namespaces.values()) {
    if (organization !== null && ns.organization !== organization) continue;
    for (const stored of ns.insights) {
      const event = stored.event;
      if (event.type !== 'component' || event.componentType !== 'Entry' || !event.experienceId) continue;
      const viewKey = `${ns.organization}\u0000${ns.environment}\u0000${event.viewId ?? `m:${event.messageId}`}`;
      if (seen.has(viewKey)) continue;
      seen.add(viewKey);
      let perVariant = counts.get(event.experienceId);
      if (!perVariant) counts.set(event.experienceId, (perVariant = new Map()));
      perVariant.set(event.variantIndex, (perVariant.get(event.variantIndex) ?? 0) + 1);
    }
  }
  return counts;
}

function barChart(rows: { label: string; value: number }[]): string {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowHeight = 26;
  const width = 520;
  const labelWidth = 110;
  const barMax = width - labelWidth - 60;
  const bars = rows.map((row, i) => {
    const y = i * rowHeight;
    const w = Math.round((row.value / max) * barMax);
    return `<g transform="translate(0 ${y})"><text x="0" y="17">${escapeHtml(row.label)}</text>` +
      `<rect x="${labelWidth}" y="4" width="${w}" height="18" rx="3"></rect>` +
      `<text x="${labelWidth + w + 6}" y="17" class="n">${escapeHtml(row.value)}</text></g>`;
  }).join('');
  const height = Math.max(1, rows.length) * rowHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${bars}</svg>`;
}

export function renderDashboard(space: SpaceModel, store: Store, organization: string | null): string {
  const exposures = countExposures(store, organization);
  let insightCount = 0;
  const orgs = new Set<string>();
  for (const ns of store.namespaces.values()) {
    orgs.add(ns.organization);
    if (organization === null || ns.organization === organization) insightCount += ns.insights.length;
  }
  const cards = space.experiences.map((experience) => {
    const perVariant = exposures.get(experience.id) ?? new Map<number, number>();
    const variantCount = Math.max(experience.ranges.length, ...[...perVariant.keys()].map((k) => k + 1), 1);
    const rows = Array.from({ length: variantCount }, (_, i) => ({
      label: i === 0 ? 'Baseline' : `Variant ${i}`,
      value: perVariant.get(i) ?? 0,
    }));
    const total = rows.reduce((sum, r) => sum + r.value, 0);
    return `<section class="card"><h2>${escapeHtml(experience.name)}</h2>` +
      `<p class="meta">${escapeHtml(experience.type)} · <code>${escapeHtml(experience.id)}</code>` +
      `${experience.config.sticky ? ' · sticky' : ''} · traffic ${escapeHtml(Math.round(experience.config.traffic * 100))}%` +
      ` · <span class="total">${escapeHtml(total)} exposure(s)</span></p>${barChart(rows)}</section>`;
  }).join('\n');
  const scope = organization === null ? 'all organizations' : `organization ${organization}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ctfl-optimization emulator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:44rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:0 0 .2rem}.meta{color:#57606a;margin:0 0 .6rem;font-size:.85rem}
.card{border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin:1rem 0}
svg text{font:13px system-ui,sans-serif;fill:#1b1f24}svg rect{fill:#0969da}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{color:#57606a}
</style></head><body>
<h1>ctfl-optimization emulator</h1>
<dl>
<dt>Scope</dt><dd>${escapeHtml(scope)}</dd>
<dt>Profiles</dt><dd id="profile-count">${escapeHtml(store.profileCount(organization))}</dd>
<dt>Insights events</dt><dd id="insights-count">${escapeHtml(insightCount)}</dd>
<dt>Organizations</dt><dd>${escapeHtml([...orgs].slice(0, 50).join(', ') || '—')}</dd>
<dt>Space</dt><dd>${escapeHtml(space.source)} (${escapeHtml(space.experiences.length)} experiences, ${escapeHtml(space.audiences.length)} audiences)</dd>
</dl>
${cards || '<p>No experiences in the space.</p>'}
</body></html>
`;
}
