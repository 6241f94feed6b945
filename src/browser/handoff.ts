/**
 * The server handoff: a `<script type="application/json" id="ctfl-optimization-data">` element that a
 * server wrote with `{profile, selectedOptimizations, changes}`. Parsed as data (never executed) and
 * validated; anything invalid is ignored (and reported to `onInvalid` in development builds).
 */
import { HANDOFF_ELEMENT_ID } from '../core/constants.js';
import { deepFreeze } from '../core/store.js';
import { suspectJson } from '../core/text.js';
import { OptimizationData, type OptimizationData as Data } from '../core/wire.js';

export { HANDOFF_ELEMENT_ID };

export function readHandoff(doc: Document = document, onInvalid?: (why: string) => void): Data | undefined {
  const el = doc.getElementById(HANDOFF_ELEMENT_ID);
  if (!el) return undefined;
  if (el.tagName !== 'SCRIPT' || (el as HTMLScriptElement).type !== 'application/json') {
    if (__DEV__) onInvalid?.(`#${HANDOFF_ELEMENT_ID} must be a <script type="application/json"> element`);
    return undefined;
  }
  let json: unknown;
  // Nested past the API's 64 levels it is not an API answer (and would overflow the stack when
  // frozen). `__proto__` keys are dropped by the schema below, as in an API answer.
  try { json = JSON.parse(el.textContent ?? ''); if (suspectJson(json)) throw 0; } catch {
    if (__DEV__) onInvalid?.(`#${HANDOFF_ELEMENT_ID} does not hold valid JSON (nested at most 64 levels)`);
    return undefined;
  }
  const parsed = OptimizationData.safeParse(json);
  if (!parsed.success) {
    if (__DEV__) onInvalid?.(`#${HANDOFF_ELEMENT_ID} does not match {profile, selectedOptimizations, changes}`);
    return undefined;
  }
  return deepFreeze(parsed.data);
}
