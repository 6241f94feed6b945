/**
 * The runtime's durable event queues, loaded when first needed — never before the first Experience
 * request: the first request leaves at once, and what IndexedDB holds is merged in behind it.
 *
 * Until the chunk is here (`deferred`), calls are kept in order and played to the store once it is
 * (a later `save()` supersedes an earlier one in the store itself). Nothing has been written by this
 * runtime before then, so `isWritten()` is false and `resume()` finds nothing taken over. When the
 * chunk cannot be loaded (a missing file, a refused script), the queues stay in memory: `durable` is
 * false, and the page hands its Experience events to the browser on the way out as it does without
 * persistence consent.
 */
import { loadChunk } from './chunks.js';
import { parts } from './parts.js';
import type { QueueStore, SavedQueues } from './queue-store.js';

export class DurableQueues {
  #store: QueueStore | undefined;
  #loading: Promise<QueueStore | undefined> | undefined;
  /** Calls made before the store was here, not played yet. */
  #waiting = 0;
  readonly #clientId: string;
  readonly #mayWrite: () => boolean;

  constructor(clientId: string, mayWrite: () => boolean) {
    this.#clientId = clientId;
    this.#mayWrite = mayWrite;
  }

  /** True once writes reach IndexedDB (the chunk is here). */
  get durable(): boolean { return !!this.#store; }

  /** Loads the chunk (once; it starts a task later, so that a request about to leave goes first). */
  load(): Promise<QueueStore | undefined> {
    return this.#loading ??= loadChunk('deferred')
      .then(() => {
        const Store = parts.QueueStore;
        return (this.#store = Store ? new Store(this.#clientId, this.#mayWrite) : undefined);
      }, () => undefined);
  }

  /** Runs `fn` on the store: now when it is here and nothing is waiting, else after every call made before. */
  #with<T>(fn: (s: QueueStore) => T | Promise<T>, otherwise: T): Promise<T> {
    if (this.#store && !this.#waiting) return Promise.resolve(fn(this.#store));
    this.#waiting++;
    return this.load().then((s) => { this.#waiting--; return s ? fn(s) : otherwise; });
  }

  save(q: SavedQueues): void { void this.#with((s) => s.save(q), undefined); }
  clear(): Promise<void> { return this.#with((s) => s.clear(), undefined); }
  adopt(): Promise<SavedQueues> { return this.#with((s) => s.adopt(), { e: [], i: [] }); }
  isWritten(messageId: string): boolean { return !!this.#store?.isWritten(messageId); }
  suspend(): void { void this.#with((s) => s.suspend(), undefined); }
  resume(): Promise<Set<string>> { return this.#with((s) => s.resume(), new Set<string>()); }
  closing(): void { void this.#with((s) => s.closing(), undefined); }
  close(): void { void this.#with((s) => s.close(), undefined); }
}
