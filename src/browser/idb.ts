/**
 * IndexedDB stores (idb-keyval) that never hold the runtime up.
 *
 * - Every operation settles within IDB_TIMEOUT_MS: a database that does not answer (blocked, stalled
 *   behind another page's transaction) rejects like an unavailable one, its transaction is aborted
 *   when one was opened, and the next operation opens a new connection. Callers already treat a
 *   rejection as "memory only", so `ready` resolves and delivery goes on.
 * - No transaction is left open while the page is in the back/forward cache: WebKit suspends an
 *   unfinished transaction with the page, and until that page is evicted every later transaction on
 *   the database — in every tab of the site — waits for it. On `pagehide` with `persisted`, the
 *   transactions still under way are aborted (their operations reject, as when storage fails) and
 *   the connections closed; operations asked for while the page is away run when it is shown again
 *   (or never, when it is discarded). What was written before stays; the runtime writes its state
 *   again when the page comes back.
 * - `indexedDB` missing or throwing (private modes, sandboxed frames, blocked storage) rejects too.
 */
import { createStore, type UseStore } from 'idb-keyval';

/** How long one IndexedDB operation may take before the runtime goes on without it. */
export const IDB_TIMEOUT_MS = 3000;

export interface GuardedStore extends UseStore {
  /** Drops the connection: the next operation opens the database again. */
  reset(): void;
  /** Aborts what is under way (rejecting it) and drops the connection. */
  freeze(): void;
}

const stores = new Set<GuardedStore>();
let frozen = false;
const thawed: Array<() => void> = [];

// Capture listeners on the window: they run before the runtime's own (non-capture) pagehide
// listener although this module is loaded later (a chunk), so a transaction the runtime would
// start from its pagehide handler sees `frozen` already.
if (typeof addEventListener === 'function') {
  addEventListener('pagehide', (e) => {
    if (!(e as PageTransitionEvent).persisted) return;
    frozen = true;
    for (const s of stores) s.freeze();
  }, true);
  addEventListener('pageshow', (e) => {
    if (!(e as PageTransitionEvent).persisted && !frozen) return;
    frozen = false;
    for (const s of stores) s.reset();
    for (const run of thawed.splice(0)) run();
  }, true);
}

/** True between a `pagehide` that may keep the page in the back/forward cache and its `pageshow`. */
export const pageFrozen = () => frozen;

export function guardedStore(dbName: string, storeName: string, timeoutMs = IDB_TIMEOUT_MS): GuardedStore {
  let base: UseStore | undefined;
  let db: IDBDatabase | undefined;
  /** Operations under way: how to abort each. */
  const active = new Set<() => void>();
  const reset = () => {
    try { db?.close(); } catch { /* already closed */ }
    db = undefined;
    base = undefined;
  };
  const run = <T>(mode: IDBTransactionMode, callback: (store: IDBObjectStore) => T | PromiseLike<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      let tx: IDBTransaction | undefined;
      let done = false;
      const store = base;
      const timer = setTimeout(() => settle(() => {
        try { tx?.abort(); } catch { /* finished meanwhile */ }
        // A connection that does not answer is not reused.
        if (base === store) reset();
        reject(new DOMException(`${dbName}: no answer`, 'TimeoutError'));
      }), timeoutMs);
      const settle = (fn: () => void) => { if (!done) { done = true; clearTimeout(timer); active.delete(abort); fn(); } };
      const abort = () => settle(() => {
        try { tx?.abort(); } catch { /* finished meanwhile */ }
        reject(new DOMException('back/forward cache', 'AbortError'));
      });
      active.add(abort);
      try {
        (store ?? (base = createStore(dbName, storeName)))(mode, (s) => {
          tx = s.transaction;
          db = tx.db;
          // Given up on (timed out, or aborted for the back/forward cache) before the database
          // opened: the transaction just created ends at once.
          if (done) { tx.abort(); throw new DOMException('given up', 'AbortError'); }
          return callback(s);
        })
          .then((v) => settle(() => resolve(v)), (error: unknown) => settle(() => {
            // A connection the browser closed (InvalidStateError) is opened again next time.
            if ((error as { name?: string } | null)?.name === 'InvalidStateError') reset();
            reject(error);
          }));
      } catch (error) {
        // No indexedDB at all, or it throws on access.
        base = undefined;
        settle(() => reject(error));
      }
    });
  const guarded = (<T>(mode: IDBTransactionMode, callback: (store: IDBObjectStore) => T | PromiseLike<T>): Promise<T> => {
    if (!frozen) return run(mode, callback);
    return new Promise<T>((resolve, reject) => { thawed.push(() => { run(mode, callback).then(resolve, reject); }); });
  }) as GuardedStore;
  guarded.reset = reset;
  guarded.freeze = () => {
    for (const abort of [...active]) abort();
    reset();
  };
  stores.add(guarded);
  return guarded;
}

