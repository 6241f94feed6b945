/** Small text helpers shared by the browser, the server entry and the emulator. No DOM. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or an attribute value → HTML-safe text. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * The `name=value` pairs of a cookie string (`document.cookie` or a `Cookie` request header), in
 * order, values trimmed but still encoded. Parts without `=` are skipped.
 */
export function* cookiePairs(text: string): Generator<[name: string, rawValue: string]> {
  for (const part of text.split(';')) {
    const i = part.indexOf('=');
    if (i >= 0) yield [part.slice(0, i).trim(), part.slice(i + 1).trim()];
  }
}

/**
 * True when `value` nests objects or arrays more than `limit` levels deep (the Experience API's own
 * limit is 64), or — with `protoKeys` — holds an own `__proto__` key anywhere, which `JSON.parse`
 * creates but the SDK never writes. Level by level, so no nesting overflows the stack.
 */
export function suspectJson(value: unknown, protoKeys?: boolean, limit = 64): boolean {
  const isObject = (v: unknown) => v !== null && typeof v === 'object';
  for (let level = [value], depth = 0; (level = level.filter(isObject)).length; depth++) {
    if (depth >= limit || (protoKeys && level.some((v) => Object.hasOwn(v as object, '__proto__')))) return true;
    level = level.flatMap((v) => Object.values(v as object));
  }
  return false;
}

/** Edit distance (insertions, deletions, substitutions; case-insensitive). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to a mistyped `key` (`defualts` → `defaults`, `allowedEventType` →
 * `allowedEventTypes`), when it is close enough to be the likely intent: at most a third of the
 * key's length away, or one is a prefix of the other.
 */
export function nearest(key: string, candidates: readonly string[]): string | undefined {
  // Keys can come from request input: a long one is no typo of a short option, and costs time.
  if (!key || key.length > 64) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(key, c);
    if (d < bestD) { bestD = d; best = c; }
  }
  if (!best) return undefined;
  const lk = key.toLowerCase();
  const lb = best.toLowerCase();
  return bestD <= Math.max(1, Math.floor(key.length / 3)) || lb.startsWith(lk) || lk.startsWith(lb) ? best : undefined;
}
