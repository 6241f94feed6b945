/**
 * Parts of the runtime that a chunk brings after the first request has left (src/chunks/*.ts put
 * them here when they load). One object for the bundle and its chunks: the script-tag build points
 * a chunk's import of this module at the bundle's copy (scripts/build.mjs, `share`).
 */
import type { QueueStore } from './queue-store.js';
import type { trackRouteChanges } from './navigation.js';
import type { configWarnings } from './config.js';
import type { trackCurrentPage } from './route-page.js';
import type { EntryTracker } from './entry-tracker.js';
import type { readProfile } from '../core/api.js';
import type { storageSync } from './storage-sync.js';
import type * as recovery from './queue-recovery.js';

export interface Parts {
  /** Durable event queues in IndexedDB (chunk `deferred`; in the package, a module of its own). */
  QueueStore?: typeof QueueStore;
  /** Route tracking for the script tag's automatic page events (chunk `deferred`). */
  trackRouteChanges?: typeof trackRouteChanges;
  /** Unknown configuration keys, with the nearest valid one (chunk `deferred`). */
  configWarnings?: typeof configWarnings;
  /** The work of `trackCurrentPage()` (chunk `deferred`). */
  trackCurrentPage?: typeof trackCurrentPage;
  /** Views and hovers of `<ctfl-optimized-entry>` (chunk `deferred`). */
  EntryTracker?: typeof EntryTracker;
  /** `refresh()`'s read of the evaluated profile (chunk `deferred`). */
  readProfile?: typeof readProfile;
  /** Tabs in step without BroadcastChannel (chunk `deferred`). */
  storageSync?: typeof storageSync;
  /** Durable queues taken up again: adopted, and back from the back/forward cache (chunk `deferred`). */
  recovery?: typeof recovery;
}

export const parts: Parts = {};
