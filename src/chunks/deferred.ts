/**
 * Chunk `optimization.persistence.js` (script-tag bundle) and the package's persistence module: the
 * durable event queues (IndexedDB, Web Locks), loaded after the first Experience request has left.
 * Until it is here the runtime keeps its queues in memory (src/browser/durable-queues.ts).
 */
import { QueueStore } from '../browser/queue-store.js';
import { parts } from '../browser/parts.js';

parts.QueueStore = QueueStore;
