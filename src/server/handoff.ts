/**
 * The server-to-browser handoff: OptimizationData in a `<script type="application/json"
 * id="ctfl-optimization-data">` element, which the browser runtime reads (as data, never executed)
 * at construction. Put it before the script tag that loads the runtime, so it is parsed first.
 *
 * The JSON is made safe for an HTML script element: `<`, `>` and `&` become `\u003c`, `\u003e` and
 * `\u0026`, so a trait holding `</script>` or `<!--` cannot end the element or change how the parser
 * reads it; U+2028 and U+2029 are escaped too, so the text stays valid if someone copies it into a
 * JavaScript string. `JSON.parse` turns every escape back into the original character.
 */
import { HANDOFF_ELEMENT_ID } from '../core/constants.js';
import type { OptimizationData } from '../core/schemas.js';

export { HANDOFF_ELEMENT_ID };

const UNSAFE = /[<>&\u2028\u2029]/g;
const ESCAPES: Record<string, string> = {
  '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029',
};

/** `JSON.stringify`, escaped for a `<script>` data block (see above). */
export function toScriptJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => ESCAPES[c]!);
}

/**
 * The handoff element for the Experience response that drove this render; `''` when there is none
 * (the browser then decides on its own). Only `profile`, `selectedOptimizations` and `changes` are
 * written. The full profile reaches the page: its traits, audiences and location are visible to
 * anyone who can read the HTML, so do not cache the page for other visitors.
 */
export function serializeOptimizationData(data: OptimizationData | null | undefined): string {
  if (!data) return '';
  const { profile, selectedOptimizations, changes } = data;
  return `<script type="application/json" id="${HANDOFF_ELEMENT_ID}">${toScriptJson({ profile, selectedOptimizations, changes: changes ?? [] })}</script>`;
}
