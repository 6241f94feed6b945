/**
 * The Insights delivery queue: events go in batches (one batch item per profile, in chunks under
 * 64 KB), when `insights.batchSize` are queued, on the flush interval, and — handed to sendBeacon —
 * when the page goes away. Events made before any profile existed wait for the first profile (the
 * Insights API needs one) instead of being dropped.
 */
import { insightsUrl, sendInsightsBatch } from '../core/api.js';
import { AUTO, DeliveryQueue, FORCED, LAST, type Pass } from './delivery.js';

export interface PendingInsights { profileId?: string; event: Record<string, unknown> }

/** sendBeacon and keepalive bodies stay under 64 KB. */
const CHUNK_BYTES = 60_000;

export class InsightsQueue extends DeliveryQueue<PendingInsights> {
  /** Queues an event, bound to the profile of the moment; a full batch leaves at once. */
  _push(event: Record<string, unknown>): void {
    const rt = this._rt;
    this._emitted(event);
    this._queue.push({ profileId: rt._store.value.profile?.id, event });
    rt._cap();
    if (this._queue.length >= rt.config.insights.batchSize) void this._flush();
  }

  async _flush(pass: Pass = AUTO): Promise<void> {
    const later = this._afterResume(pass);
    if (later) return later;
    const rt = this._rt;
    const store = rt._store;
    if (pass < LAST && this._pass) return pass ? this._pass.then(() => this._flush(FORCED)) : undefined;
    if (pass === AUTO && (this._waiting || !store.value.online)) return;
    const current = store.value.profile?.id;
    let ready: PendingInsights[] = [];
    const waiting: PendingInsights[] = [];
    // Entering the back/forward cache, what is already in the persisted queue stays there: the next
    // page adopts and sends it (or this one, back from the cache) — a beacon would send it twice.
    const stays = pass === LAST && rt._leaving ? (p: PendingInsights) => rt._queues.isWritten(String(p.event.messageId)) : () => false;
    for (const p of this._queue) {
      const id = p.profileId ?? current;
      if (id && !stays(p)) ready.push({ profileId: id, event: p.event });
      else waiting.push(p);
    }
    if (!ready.length) {
      if (__DEV__ && waiting.length) rt._log.debug(`${waiting.length} Insights event(s) wait for a profile`);
      return;
    }
    const { insightsBaseUrl: baseUrl, clientId, environment } = rt.config;
    const nav = rt._win.navigator;
    // Offline, the page goes away with its queue persisted (or lost without persistence consent).
    if (pass === LAST && !store.value.online) return;
    if (pass === LAST && typeof nav?.sendBeacon === 'function') {
      // Hand each chunk to the browser; what it refuses stays queued (and persisted) for fetch or the next load.
      const left: PendingInsights[] = [];
      for (const c of chunks(ready, CHUNK_BYTES)) {
        if (!nav.sendBeacon(insightsUrl(baseUrl, clientId, environment), new Blob([JSON.stringify(toBatch(c))], { type: 'text/plain' }))) left.push(...c);
      }
      this._queue = [...left, ...waiting];
      rt._save();
      if (!(ready = left).length) return;
    }
    this._queue = waiting;
    this._out = ready;
    const purges = rt._purges;
    let failed = false;
    return this._pass = this._locked(async () => {
      for (const c of chunks(ready, pass === LAST ? CHUNK_BYTES : 8 * CHUNK_BYTES)) {
        // Purged (consent(false), reset()) while waiting for the lock or a previous chunk: what has
        // not left yet never does.
        if (purges !== rt._purges) return;
        const res = await sendInsightsBatch({
          baseUrl, clientId, environment, batch: toBatch(c), fetch: rt._fetch, timeoutMs: rt.config.timeoutMs, keepalive: pass === LAST,
        });
        if (!res.ok && res.retryable) {
          failed = true;
          if (purges === rt._purges) this.#retry(res.retryAfterMs);
          return;
        }
        this._out = this._out.slice(c.length);
        if (!res.ok) {
          rt._log.warn('E021', res.message);
          this._dropped(c, 'refused');
        }
        this._reset();
        rt._save();
      }
    }).catch(() => {
      // No request could be made (see experience-queue.ts): retried after the backoff, not at once.
      failed = true;
      if (purges === rt._purges) this.#retry();
    }).finally(() => {
      this._pass = undefined;
      this._out = [];
      rt._save();
      if (!failed && this._queue.length >= rt.config.insights.batchSize) void this._flush();
    });
  }

  /** What is out goes back in front, in order; a retry follows the backoff. */
  #retry(retryAfterMs?: number): void {
    this._requeue(this._out);
    this._out = [];
    this._rt._cap();
    this._retryLater(retryAfterMs);
  }
}

/** Chunks whose JSON stays under `max` bytes (64 KB for sendBeacon and keepalive). */
function chunks(items: PendingInsights[], max: number): PendingInsights[][] {
  const out: PendingInsights[][] = [];
  const enc = new TextEncoder();
  let size = max;
  for (const p of items) {
    const n = enc.encode(JSON.stringify(p.event)).length + 64;
    if (size + n > max) { out.push([]); size = 0; }
    out[out.length - 1]!.push(p);
    size += n;
  }
  return out;
}

/** One batch item per profile. */
function toBatch(items: PendingInsights[]): never {
  const byProfile = new Map<string, Record<string, unknown>[]>();
  for (const p of items) {
    const list = byProfile.get(p.profileId!) ?? [];
    list.push(p.event);
    byProfile.set(p.profileId!, list);
  }
  return [...byProfile].map(([id, events]) => ({ profile: { id }, events })) as never;
}
