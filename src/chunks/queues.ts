/**
 * The package's module of durable event queues (IndexedDB, Web Locks), imported after the first
 * Experience request has left (src/browser/durable-queues.ts). The script-tag bundle has them in its
 * `deferred` chunk instead.
 */
import { QueueStore } from '../browser/queue-store.js';
import { parts } from '../browser/parts.js';

parts.QueueStore = QueueStore;
