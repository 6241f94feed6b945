/**
 * What to show, decided on the server from an Experience response: the browser runtime's resolvers
 * as functions, under the reference SDK's names and in its argument order — what is resolved or
 * read first, what it is read from last (`getFlag(key, changes)`).
 */
import { getFlag, getMergeTagValue, resolveOptimizedEntry } from '../core/resolve.js';

/**
 * The variant of an entry (a baseline entry id, or a Contentful entry that links its experiences in
 * `fields.nt_experiences`) under these selected optimizations, as `<ctfl-optimized-entry>` and the
 * browser's `resolveOptimizedEntry()` decide it.
 *
 * A merge tag's value (`traits.firstname`, or `traits_firstname`) from a profile, or `fallback`: only
 * strings, numbers and booleans render (escape it, `escapeHtml`, before writing it into markup); and
 * a Custom Flag's value from the changes (`{ value: X }` unwrapped to `X`), undefined when no change
 * has the key. The browser runtime's own functions, in the same argument order.
 */
export { getFlag, getMergeTagValue, resolveOptimizedEntry };
