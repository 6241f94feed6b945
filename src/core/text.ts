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
