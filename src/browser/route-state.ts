/**
 * Route changes under way, per runtime: set by route tracking (navigation.ts, which the script-tag
 * bundle loads after the first request), read by `<ctfl-optimized-entry>` (in the bundle). One map
 * for both: the script-tag build points the chunk's import of this module at the bundle's copy.
 */
import type { ContentfulOptimization } from './optimization.js';

export const routesPending = new WeakMap<ContentfulOptimization, Promise<void>>();

/** While a route change's page event is on its way: settles once it was answered (or not sent). */
export const routeChange = (sdk: ContentfulOptimization): Promise<void> | undefined => routesPending.get(sdk);
