/**
 * Durable event queues (issue 6), used only with persistence consent. Each runtime (one per tab)
 * writes its own queues to IndexedDB under its own key, so tabs never overwrite each other, and
 * holds a Web Lock named after that key for its lifetime. A runtime that starts adopts the queues of
 * runtimes whose lock is no longer held (a closed or reloaded tab), under a lock so that only one
 * tab adopts each queue: every event is owned by one tab at a time and is sent by that tab only.
 * Events handed to `sendBeacon` while the page unloads may still be in the persisted copy (the
 * write may not finish, and a beacon can be lost): the next load sends them again with the same
 * messageId, which the Insights API de-duplicates.
 */
import { createStore, del, entries, set, type UseStore } from 'idb-keyval';
import { uuid } from '../core/events.js';
import { suspectJson } from '../core/text.js';
import { ProfileId } from '../core/wire.js';

export type Ev = Record<string, unknown>;
export interface SavedQueues { e: Ev[]; i: Array<{ profileId?: string; event: Ev }> }

const isObject = (x: unknown): x is Ev => !!x && typeof x === 'object' && !Array.isArray(x);
const isId = (x: unknown) => ProfileId.safeParse(x).success;

/**
 * An event as this runtime builds it, of one of `types`: an id-like `messageId` (a UUID), a
 * `context` object, no `__proto__` key and no nesting past the API's 64 levels. The persisted queue
 * is read back from storage that other scripts can write (issue 9): anything else is dropped.
 */
const isEvent = (types: string) => (x: unknown): x is Ev =>
  isObject(x) && types.split(' ').includes(x.type as string) && isId(x.messageId) && isObject(x.context) && !suspectJson(x, true);
const isExperienceEvent = isEvent('page identify track screen component');
const isInsightsEvent = isEvent('component component_click component_hover');

let db: UseStore | undefined;
const idb = () => (db ??= createStore('ctfl-optimization-queue', 'queues'));
type Locks = { request(name: string, fn: () => Promise<unknown>): Promise<unknown>; query(): Promise<{ held?: Array<{ name?: string }> }> };
export const locks = (): Locks | undefined => (globalThis.navigator as unknown as { locks?: Locks })?.locks;

export class QueueStore {
  readonly tab = uuid();
  readonly #prefix: string;
  #release?: () => void;
  #released = false;
  #pending?: SavedQueues | null;
  #writing = false;
  #closed = false;

  constructor(clientId: string) {
    this.#prefix = `${clientId}:`;
    // The lock is granted asynchronously: a runtime closed before that releases it at once (found by
    // the consent property suite — such a lock was held for the page's lifetime, so the queue it
    // guarded was never adopted and stayed in IndexedDB).
    void locks()?.request(this.#prefix + this.tab, () => new Promise<void>((r) => { this.#release = r; if (this.#released) r(); }));
  }

  /** Writes (coalesced) this tab's queues; empty queues delete the key. */
  save(q: SavedQueues): void {
    if (this.#closed) return;
    this.#pending = q;
    if (!this.#writing) void this.#write();
  }

  async #write(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending !== undefined) {
        const q = this.#pending;
        this.#pending = undefined;
        const key = this.#prefix + this.tab;
        try { await (q && (q.e.length || q.i.length) ? set(key, q, idb()) : del(key, idb())); } catch { /* IndexedDB unavailable: memory only */ }
      }
    } finally { this.#writing = false; }
  }

  /** The queues of runtimes that are gone, oldest tab first; they are removed from IndexedDB. */
  async adopt(): Promise<SavedQueues> {
    const out: SavedQueues = { e: [], i: [] };
    const run = async () => {
      const l = locks();
      const held = new Set(l ? ((await l.query()).held ?? []).map((h) => h.name) : []);
      for (const [key, value] of await entries<string, SavedQueues>(idb())) {
        const k = String(key);
        if (!k.startsWith(this.#prefix) || held.has(k) || k === this.#prefix + this.tab) continue;
        // Read back from storage: only well-formed events are kept (anything else is dropped).
        if (Array.isArray(value?.e)) out.e.push(...value.e.filter(isExperienceEvent));
        if (Array.isArray(value?.i)) {
          out.i.push(...value.i.filter((x) => isObject(x) && isInsightsEvent(x.event) && (x.profileId === undefined || isId(x.profileId))));
        }
        await del(k, idb());
      }
    };
    try { await (locks()?.request(`${this.#prefix}adopt`, run) ?? run()); } catch { /* IndexedDB unavailable */ }
    return out;
  }

  /** consent(false), reset(): every persisted queue of this organization goes, other tabs' too. */
  async clear(): Promise<void> {
    this.#pending = null;
    try {
      for (const [key] of await entries(idb())) if (String(key).startsWith(this.#prefix)) await del(key, idb());
    } catch { /* best effort */ }
  }

  /** After the last write, releases the tab lock: the queues can then be adopted; no more writes. */
  close(): void {
    this.#closed = true;
    const done = () => { if (this.#writing) setTimeout(done, 10); else { this.#released = true; this.#release?.(); } };
    done();
  }
}
