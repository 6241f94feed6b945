/**
 * One delivery queue, configured for each API by a subclass: Experience events leave one request
 * at a time, in order (experience-queue.ts); Insights events in batches, handed to sendBeacon when
 * the page goes away (insights-queue.ts). What both do the same way is here: what is queued and
 * what is out (kept in the persisted copy until the API answered), one pass at a time, retries with
 * exponential backoff behind a circuit breaker, the cap, and purges.
 *
 * Members named `_like` are the runtime's internals (scripts/esbuild-umd.mjs renames them in the
 * script-tag bundle); `rt` is the runtime that owns the queue (optimization.ts).
 */
import type { DroppedEvents } from './config.js';
import { withLock } from './locks.js';
import type { ContentfulOptimization } from './optimization.js';
import type { Ev } from './queue-store.js';
import { HISTORY } from './calls.js';
import type { EmittedEvent, EventResult } from './types.js';

/** How hard a pass tries. */
export type Pass = typeof AUTO | typeof FORCED | typeof LAST;
/** On its own (an event queued, the interval): waits out a backoff, and the connection. */
export const AUTO = 0;
/** `flush()`, a retry that is due, back online: tries now, even while the circuit is open. */
export const FORCED = 1;
/**
 * The page or the runtime goes away (`pagehide`, `destroy()`): tries now, also once destroyed;
 * Insights hands its batches to sendBeacon.
 */
export const LAST = 2;

/** Failures in a row after which the circuit opens: no automatic attempt for 30 s. */
export const BREAKER = 6;
/** Exponential backoff with jitter (≈1 s doubling to 30 s), 30 s once the circuit is open; a longer Retry-After wins. */
const backoff = (failures: number, retryAfterMs = 0) =>
  Math.max(retryAfterMs, failures >= BREAKER ? 30_000 : Math.min(30_000, 500 * 2 ** failures) * (0.5 + Math.random() / 2));

/** A queued event, and — for the methods whose promise waits for delivery — how to settle it. */
export interface Queued { event: Ev; resolve?: (r: EventResult) => void }

export abstract class DeliveryQueue<T extends Queued> {
  /** Waiting to leave, oldest first. */
  _queue: T[] = [];
  /** Out for delivery: still in the persisted copy until the API answered. */
  _out: T[] = [];
  /** The pass under way: settles when it is over. */
  _pass: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  readonly _rt: ContentfulOptimization;
  readonly #api: DroppedEvents['api'];

  constructor(rt: ContentfulOptimization, api: DroppedEvents['api']) {
    this._rt = rt;
    this.#api = api;
  }

  abstract _flush(pass?: Pass): Promise<void>;

  /** A retry is scheduled. */
  get _waiting(): boolean { return this.#timer !== undefined; }
  /** After BREAKER failures in a row only a forced pass tries before the scheduled retry. */
  get _open(): boolean { return this._waiting && this.#failures >= BREAKER; }

  /**
   * A page back from the back/forward cache delivers nothing (but what a `pagehide` hands over) until
   * it knows which of its events another page took over meanwhile: sending them too would send them
   * twice. Returns the pass asked for, run once that is known — or nothing when it may run now.
   */
  _afterResume(pass: Pass): Promise<void> | undefined {
    const resuming = this._rt._resuming;
    return resuming && pass < LAST ? resuming.then(() => this._flush(pass)) : undefined;
  }

  /**
   * One delivery at a time across the tabs of this site (Web Locks where available). A lock that is
   * not granted in time (held by a page in the back/forward cache) or cannot be had is done without.
   */
  _locked(fn: () => Promise<void>): Promise<void> {
    return withLock(`ctfl-opt-flush:${this._rt.config.clientId}`, fn);
  }

  /** Tries again after the backoff (a longer Retry-After wins); never once the runtime is destroyed. */
  _retryLater(retryAfterMs?: number): void {
    if (this._waiting || this._rt._destroyed) return;
    const delay = backoff(++this.#failures, retryAfterMs);
    // A document that is no longer active may refuse timers (Firefox throws): no retry there.
    try { this.#timer = setTimeout(() => { this.#timer = undefined; void this._flush(FORCED); }, delay); } catch { /* gone */ }
  }

  /** Delivered, back online, purged or destroyed: no retry is pending and the backoff starts over. */
  _reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#failures = 0;
  }

  /**
   * Puts `items` back in front of the queue, in order, without those another page took over (it
   * adopted this tab's persisted queue while this page was in the back/forward cache, and sends them).
   */
  _requeue(items: T[]): void {
    this._queue.unshift(...this._notTaken(items));
  }

  /** `items` without those another page took over: it delivers them, so they are settled as accepted. */
  _notTaken(items: T[]): T[] {
    const taken = this._rt._taken;
    if (!taken.size) return items;
    return items.filter((p) => !taken.has(String(p.event.messageId)) || void p.resolve?.({ accepted: true }));
  }

  /** Past `max` the oldest events go, reported to onDrop. */
  _cap(max: number): void {
    const q = this._queue;
    if (q.length > max) this._dropped(q.splice(0, q.length - max), 'cap');
  }

  /** Events that will never be delivered: settled as not accepted, and reported to onDrop. */
  _dropped(items: T[], reason: DroppedEvents['reason']): void {
    const rt = this._rt;
    const api = this.#api;
    // Settled first, whether or not there is an onDrop to tell.
    const messageIds = Object.freeze(this.#refuse(items).map((p) => String(p.event.messageId)));
    if (reason === 'cap') rt._log.warnOnce('E022', api);
    try {
      rt.config.onDrop?.(Object.freeze({ api, reason, messageIds }));
    } catch (error) {
      rt._log.error('E014', '', error);
    }
  }

  /** An event made: into the `events` state (the newest HISTORY). */
  _emitted(event: Record<string, unknown>): void {
    const store = this._rt._store;
    const e: EmittedEvent = Object.freeze({ api: this.#api, type: String(event.type), messageId: String(event.messageId), at: String(event.timestamp) });
    store.set({ events: Object.freeze([...store.value.events, e].slice(-HISTORY)) });
  }

  #refuse(items: T[]): T[] {
    for (const p of items) p.resolve?.({ accepted: false });
    return items;
  }

  /** Everything queued goes (consent withdrawn, reset()): settled as not accepted and returned; no retry follows. */
  _purge(): T[] {
    this._reset();
    // What is out (in flight, or waiting for the lock) is purged from the persisted copy too: a later
    // save (this page's, or a closed one's hearing another tab grant persistence) must not keep it
    // for the next page to send.
    this._out = [];
    return this.#refuse(this._queue.splice(0));
  }
}
