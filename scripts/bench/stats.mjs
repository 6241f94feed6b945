// Summaries of repeated measurements: medians and ranges, never means alone (timings on a shared
// machine have long tails).

/** Median, min, max and count of a list of numbers (null for an empty list). */
export function summarize(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  return { median, min: xs[0], max: xs[xs.length - 1], n: xs.length };
}

/** The p-th percentile (0–100), nearest rank. */
export function percentile(values, p) {
  const xs = [...values].sort((a, b) => a - b);
  if (xs.length === 0) return null;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];
}

/** `12.3 ms (10.1–15.0, n=20)`. */
export function fmtSummary(s, unit = 'ms', digits = 1) {
  if (!s) return 'n/a';
  const f = (v) => fmtNum(v, digits);
  return `${f(s.median)} ${unit} (${f(s.min)}–${f(s.max)}, n=${s.n})`;
}

/** A number with thousands separators. */
export function fmtNum(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `0.42×` for ours / theirs. */
export function fmtRatio(r, digits = 2) {
  return r === null || r === undefined || !Number.isFinite(r) ? 'n/a' : `${r.toFixed(digits)}×`;
}

export const ratio = (ours, theirs) => (Number.isFinite(ours) && Number.isFinite(theirs) && theirs > 0 ? ours / theirs : null);
