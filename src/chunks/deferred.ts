/**
 * Chunk `optimization.deferred.js` (script-tag bundle): what the runtime needs only after the first
 * Experience request has left — the durable event queues (IndexedDB, Web Locks), route tracking
 * for single-page apps (and `trackCurrentPage()`'s work), views and hovers of the entries, `refresh()`'s profile read, tab sync without BroadcastChannel, and the configuration's warnings (unknown keys, with the nearest valid one). In the package the queues are a module of their own loaded the same way
 * (src/browser/chunks.ts); route tracking is imported directly. Until the chunk is here the queues
 * stay in memory (src/browser/durable-queues.ts) and a route change is caught up when it arrives.
 */
import { QueueStore } from '../browser/queue-store.js';
import { trackRouteChanges } from '../browser/navigation.js';
import { parts } from '../browser/parts.js';
import { configWarnings } from '../browser/config.js';
import { trackCurrentPage } from '../browser/route-page.js';
import { EntryTracker } from '../browser/entry-tracker.js';
import { readProfile } from '../core/api.js';
import { storageSync } from '../browser/storage-sync.js';
import { restore, resume } from '../browser/queue-recovery.js';

parts.QueueStore = QueueStore;
parts.trackRouteChanges = trackRouteChanges;
parts.configWarnings = configWarnings;
parts.trackCurrentPage = trackCurrentPage;
parts.EntryTracker = EntryTracker;
parts.readProfile = readProfile;
parts.storageSync = storageSync;
parts.recovery = { restore, resume };
