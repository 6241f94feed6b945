/**
 * Durable event queues, used only with persistence consent. Each runtime (one per tab)
 * writes its own queues to IndexedDB under its own key, so tabs never overwrite each other, and
 * holds a Web Lock named after that key while the key exists. A runtime that starts adopts the
 * queues whose lock is not held (a closed or reloaded tab), under a lock so that only one tab adopts
 * each queue: every event is owned by one tab at a time and is sent by that tab only.
 * Events handed to `sendBeacon` while the page unloads may still be in the persisted copy (the
 * write may not finish, and a beacon can be lost): the next load sends them again with the same
 * messageId, which the Insights API de-duplicates.
 *
 * The tab lock is held only while this tab has something persisted, and is let go when the page
 * enters the back/forward cache: Firefox keeps no page that holds a Web Lock, Chromium evicts it,
 * and WebKit takes the lock away itself. Meanwhile the next page can adopt the queue; when the page
 * comes back, `resume()` finds out whether its queue was taken over, so nothing is sent twice.
 * Nothing here waits forever: lock waits and IndexedDB operations (idb.ts) give up and go on.
 */
import { del, entries, get, set } from 'idb-keyval';
import { uuid } from '../core/events.js';
import { suspectJson } from '../core/text.js';
import { ProfileId } from '../core/wire.js';
import { guardedStore, type GuardedStore } from './idb.js';
import { LOCK_WAIT_MS, locks, withLock } from './locks.js';

export type Ev = Record<string, unknown>;
export interface SavedQueues { e: Ev[]; i: Array<{ profileId?: string; event: Ev }> }

const isObject = (x: unknown): x is Ev => !!x && typeof x === 'object' && !Array.isArray(x);
const isId = (x: unknown) => ProfileId.safeParse(x).success;

/**
 * An event as this runtime builds it, of one of `types`: an id-like `messageId` (a UUID), a
 * `context` object, no `__proto__` key and no nesting past the API's 64 levels. The persisted queue
 * is read back from storage that other scripts can write: anything else is dropped.
 */
const isEvent = (types: string) => (x: unknown): x is Ev =>
  isObject(x) && types.split(' ').includes(x.type as string) && isId(x.messageId) && isObject(x.context) && !suspectJson(x, true);
const isExperienceEvent = isEvent('page identify track screen component');
const isInsightsEvent = isEvent('component component_click component_hover');

let db: GuardedStore | undefined;
const idb = () => (db ??= guardedStore('ctfl-optimization-queue', 'queues'));

const idsOf = (q: SavedQueues) => new Set([...q.e.map((e) => String(e.messageId)), ...q.i.map((p) => String(p.event.messageId))]);

export class QueueStore {
  readonly tab = uuid();
  readonly #prefix: string;
  /** The tab lock while it is held: `release()` lets it go. */
  #held: { release?: () => void } | undefined;
  #locking: Promise<void> | undefined;
  #released = false;
  #pending?: SavedQueues | null;
  #writing = false;
  #closed = false;
  /** Between `suspend()` (the page enters the back/forward cache) and `resume()`. */
  #suspended = false;
  /** messageIds of the copy last written: what another tab takes over when it adopts this key. */
  #written = new Set<string>();

  readonly #mayWrite: () => boolean;

  /** `mayWrite` is asked right before each write (a closing runtime no longer hears other tabs). */
  constructor(clientId: string, mayWrite: () => boolean = () => true) {
    this.#prefix = `${clientId}:`;
    this.#mayWrite = mayWrite;
  }

  get #key() { return this.#prefix + this.tab; }

  /** Writes (coalesced) this tab's queues; empty queues delete the key. */
  save(q: SavedQueues): void {
    if (this.#closed) return;
    this.#pending = q;
    if (!this.#writing && !this.#suspended) void this.#write();
  }

  async #write(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending !== undefined && !this.#suspended) {
        const q = this.#pending;
        this.#pending = undefined;
        try {
          if (q && (q.e.length || q.i.length)) {
            // The lock first: a key without a held lock is another tab's to adopt.
            await this.#lock();
            if (!this.#mayWrite()) continue;
            await set(this.#key, q, idb());
            this.#written = idsOf(q);
          } else {
            await del(this.#key, idb());
            this.#written = new Set();
            this.#unlock();
          }
        } catch { /* IndexedDB unavailable: memory only */ }
      }
    } finally { this.#writing = false; }
  }

  /**
   * Takes the tab lock (once granted, or after LOCK_WAIT_MS: the write goes on either way), under
   * the adoption lock: an adopter lists the held locks and then the keys, and a key this tab writes
   * between the two must not look abandoned.
   */
  #lock(): Promise<void> {
    if (this.#held || this.#released || !locks()) return Promise.resolve();
    return withLock(`${this.#prefix}adopt`, () => this.#takeLock());
  }

  #takeLock(): Promise<void> {
    const l = locks();
    if (this.#held || this.#released || !l) return Promise.resolve();
    return this.#locking ??= new Promise<void>((go) => {
      const hold: { release?: () => void } = {};
      let waited = false;
      const done = () => { if (!waited) { waited = true; this.#locking = undefined; go(); } };
      const timer = setTimeout(done, LOCK_WAIT_MS);
      l.request(this.#key, {}, () => {
        clearTimeout(timer);
        // Closed while waiting for it: nothing more is written, the lock goes at once.
        if (this.#released) { done(); return undefined; }
        this.#held = hold;
        done();
        return new Promise<void>((r) => { hold.release = r; });
      }).catch(() => {
        // Taken away (WebKit, when the page enters the back/forward cache) or refused (a document
        // that is no longer active).
        done();
      }).finally(() => { if (this.#held === hold) this.#held = undefined; });
    });
  }

  #unlock(): void {
    this.#held?.release?.();
    this.#held = undefined;
  }

  /** Whether the event `messageId` is in the copy last written (another page would adopt it). */
  isWritten(messageId: string): boolean {
    return this.#written.has(messageId);
  }

  /** The queues of runtimes that are gone, oldest tab first; they are removed from IndexedDB. */
  async adopt(): Promise<SavedQueues> {
    const out: SavedQueues = { e: [], i: [] };
    const run = async () => {
      const l = locks();
      const held = new Set(l ? ((await l.query()).held ?? []).map((h) => h.name) : []);
      for (const [key, value] of await entries<string, SavedQueues>(idb())) {
        const k = String(key);
        if (!k.startsWith(this.#prefix) || held.has(k) || k === this.#key) continue;
        // Read back from storage: only well-formed events are kept (anything else is dropped).
        if (Array.isArray(value?.e)) out.e.push(...value.e.filter(isExperienceEvent));
        if (Array.isArray(value?.i)) {
          out.i.push(...value.i.filter((x) => isObject(x) && isInsightsEvent(x.event) && (x.profileId === undefined || isId(x.profileId))));
        }
        await del(k, idb());
      }
    };
    // Without the adoption lock, two tabs could take the same queue: a later page adopts instead.
    try { await withLock(`${this.#prefix}adopt`, run, async () => {}); } catch { /* IndexedDB unavailable */ }
    return out;
  }

  /** consent(false), reset(): every persisted queue of this organization goes, other tabs' too. */
  async clear(): Promise<void> {
    this.#pending = null;
    try {
      for (const [key] of await entries(idb())) if (String(key).startsWith(this.#prefix)) await del(key, idb());
    } catch { /* best effort */ }
    if (!this.#writing && !this.#suspended && this.#pending === null) void this.#write();
  }

  /**
   * The page enters the back/forward cache: no more writes (the copy written before stands) and the
   * tab lock goes, so that the next page can adopt this queue and deliver it.
   */
  suspend(): void {
    if (this.#closed) return;
    this.#suspended = true;
    this.#unlock();
  }

  /**
   * The page is shown again from the back/forward cache. Returns the messageIds another page took
   * over meanwhile (it adopted this tab's queue and delivers them) — the caller drops those — or
   * an empty set when the queue is still this tab's, whose lock is then held again.
   */
  async resume(): Promise<Set<string>> {
    this.#suspended = false;
    this.#pending = undefined;
    const mine = this.#written;
    let taken = new Set<string>();
    if (!mine.size || this.#closed) return taken;
    const check = async () => {
      if (await get(this.#key, idb()) === undefined) { taken = mine; return; }
      // Still here: hold the lock again before letting adopters look.
      await this.#takeLock();
    };
    try { await withLock(`${this.#prefix}adopt`, check); } catch { /* IndexedDB unavailable: keep what is in memory */ }
    if (taken.size) this.#written = new Set();
    return taken;
  }

  /**
   * The runtime is being destroyed: the tab lock is held until close(), so that another page
   * adopts the queue only once its last copy is written.
   */
  closing(): void {
    void this.#lock();
  }

  /** After the last write, releases the tab lock: the queues can then be adopted; no more writes. */
  close(): void {
    this.#closed = true;
    const done = () => { if (this.#writing) setTimeout(done, 10); else { this.#released = true; this.#unlock(); } };
    done();
  }
}
