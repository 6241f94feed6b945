/**
 * Parts of the runtime that a chunk brings after the first request has left (src/chunks/*.ts put
 * them here when they load). One object for the bundle and its chunks: the script-tag build points
 * a chunk's import of this module at the bundle's copy (scripts/build.mjs, `share`).
 */
import type { QueueStore } from './queue-store.js';

export interface Parts {
  /** Durable event queues in IndexedDB (chunk `persistence`). */
  QueueStore?: typeof QueueStore;
}

export const parts: Parts = {};
