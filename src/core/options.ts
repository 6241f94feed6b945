/**
 * Unknown configuration keys: a typo such as `defualts` or `allowedEventType` would otherwise be
 * dropped by the schema and the intended setting silently never applied. Each one is reported with
 * the nearest valid key at its level.
 */
import { nearest } from './text.js';

/** An object's keys and, for nested objects, theirs (`checks.ts` validators carry `shape`). */
export interface KeyShape { readonly [key: string]: { readonly shape?: KeyShape; readonly loose?: boolean } }

/** `api.experienceBaseURL` (did you mean "experienceBaseUrl"?) — one line per unknown key, at most 10. */
export function unknownKeys(input: unknown, shape: KeyShape, prefix = ''): string[] {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return [];
  const out: string[] = [];
  const known = Object.keys(shape);
  for (const [key, value] of Object.entries(input)) {
    const child = Object.prototype.hasOwnProperty.call(shape, key) ? shape[key] : undefined;
    if (!child) {
      const near = nearest(key, known);
      out.push(`"${prefix}${key.slice(0, 40)}"${near ? ` (did you mean "${prefix}${near}"?)` : ''}`);
    } else if (child.shape && !child.loose && value && typeof value === 'object') {
      // A loose shape (a profile in `defaults`) keeps keys it does not list: none of them is unknown.
      out.push(...unknownKeys(value, child.shape, `${prefix}${key}.`));
    }
    if (out.length >= 10) break;
  }
  return out;
}
