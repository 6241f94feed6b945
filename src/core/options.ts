/**
 * Unknown configuration keys: a typo such as `defualts` or `allowedEventType` would otherwise be
 * dropped by the schema and the intended setting silently never applied. Each one is reported with
 * the nearest valid key at its level.
 */
import { nearest } from './text.js';

interface Def { type: string; shape?: Record<string, { _zod: { def: Def } }>; innerType?: { _zod: { def: Def } } }

/** `api.experienceBaseURL` (did you mean "experienceBaseUrl"?) — one line per unknown key, at most 10. */
export function unknownKeys(input: unknown, schema: { _zod: { def: Def } }, prefix = ''): string[] {
  let def = schema._zod.def;
  while (def.innerType) def = def.innerType._zod.def; // optional(...) and friends
  if (def.type !== 'object' || !def.shape || !input || typeof input !== 'object' || Array.isArray(input)) return [];
  const out: string[] = [];
  const known = Object.keys(def.shape);
  for (const [key, value] of Object.entries(input)) {
    const child = Object.prototype.hasOwnProperty.call(def.shape, key) ? def.shape[key] : undefined;
    if (!child) {
      const near = nearest(key, known);
      out.push(`"${prefix}${key.slice(0, 40)}"${near ? ` (did you mean "${prefix}${near}"?)` : ''}`);
    } else if (value && typeof value === 'object') {
      out.push(...unknownKeys(value, child, `${prefix}${key}.`));
    }
    if (out.length >= 10) break;
  }
  return out;
}
