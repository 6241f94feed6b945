/**
 * The Experience delivery queue: all queued events in one request (the API takes an array), one
 * request at a time, in order, so the profile id a request creates is used by the next; across
 * tabs one pass at a time (a Web Lock). Each event's promise settles with the answer to its request.
 */
import { sendExperienceEvents, type ApiResult, type ExperienceResult } from '../core/api.js';
import { AUTO, DeliveryQueue, FORCED, LAST, type Pass } from './delivery.js';
import type { EventResult } from './types.js';

export interface PendingExperience {
  event: Record<string, unknown>;
  resolve: (r: EventResult) => void;
}

export class ExperienceQueue extends DeliveryQueue<PendingExperience> {
  #sending = false;
  /** No pass has run yet: the first request of the page leaves without waiting for a lock. */
  #first = true;

  /** Queues an event; it leaves with the next pass, a microtask later (events of one task go together). */
  _push(event: Record<string, unknown>): Promise<EventResult> {
    this._emitted(event);
    return new Promise<EventResult>((resolve) => {
      this._queue.push({ event, resolve });
      this._rt._cap();
      queueMicrotask(() => void this._flush());
    });
  }

  async _flush(pass: Pass = AUTO): Promise<void> {
    const later = this._afterResume(pass);
    if (later) return later;
    // A forced pass during one under way follows it: flush() resolves once both are over.
    if (this.#sending) return pass === FORCED ? this._pass?.then(() => this._flush(FORCED)) : undefined;
    // LAST: destroy()'s last pass, which still sends what was queued before.
    if ((this._rt._destroyed && pass < LAST) || !this._queue.length || (pass === AUTO && this._open)) return;
    this.#sending = true;
    await (this._pass = this.#deliver());
  }

  async #deliver(): Promise<void> {
    const rt = this._rt;
    const store = rt._store;
    /** The pass ended waiting for the connection or a retry: the queue is not tried again at once. */
    let waits = false;
    // The first pass leaves at once: it waits neither for the persisted queues (adopted behind it)
    // nor for the lock (another tab's request of the same moment may make a second profile for a new
    // visitor; its id reaches the other tabs, which follow it from then on).
    const locked = this.#first ? (fn: () => Promise<void>) => fn() : (fn: () => Promise<void>) => this._locked(fn);
    this.#first = false;
    try {
      await locked(async () => {
        while (this._queue.length) {
          if (!store.value.online) {
            this._fail({ ok: false, reason: 'offline', message: 'the browser is offline; events wait for the connection', retryable: true });
            this.#settleWaiting();
            waits = true;
            return;
          }
          const generation = rt._generation;
          const purges = rt._purges;
          // The batch leaves the queue while it is in flight: a purge then only drops what is still queued.
          const batch = this._out = this._queue.splice(0, 200);
          store.set({ requestState: { status: 'pending' } });
          const res = await sendExperienceEvents({
            ...this._apiBase(),
            profileId: rt._continuity._profileId(store.value),
            events: batch.map((p) => p.event),
            features: rt.config.enabledFeatures,
            stateEntries: rt._stateEntries.list(),
            preflight: rt.config.preflight,
          });
          this._out = [];
          rt._save();
          if (generation !== rt._generation) {
            // reset() or a cookie adoption meanwhile: the answer belongs to a previous identity.
            for (const p of batch) p.resolve({ accepted: false });
            if (store.value.requestState.status === 'pending') store.set({ requestState: { status: 'idle' } });
            continue;
          }
          if (res.ok || !res.retryable || purges !== rt._purges) {
            // Consent revoked meanwhile: the request had left with consent, so its answer still updates
            // in-memory state (durable storage follows persistence consent), but a failure is not retried.
            const result = this._apply(res);
            for (const p of batch) p.resolve(result);
            this._reset();
            if (res.ok) rt._stateEntries.store(res.data.stateEntries);
            else if (!res.retryable) {
              const code = res.code ?? res.status ?? res.reason;
              // The API's own code and message; the error table says what E020 means.
              rt._log.warn('E020', `${code}: ${res.message}`);
              this._dropped(batch, 'refused');
            }
          } else {
            this._requeue(batch);
            rt._cap();
            this._fail(res);
            this.#settleWaiting();
            this._retryLater(res.retryAfterMs);
            waits = true;
            return;
          }
        }
      });
    } catch (error) {
      // No request could even be made (e.g. a document that is no longer active refuses Web Locks
      // and fetch): a failure like a lost connection, retried after the backoff — never at once,
      // which would spin without end and hang the page (found in WebKit, with an iframe removed
      // while its page event was going out).
      waits = true;
      this._requeue(this._out.splice(0));
      this._fail({ ok: false, reason: 'network', message: `the request could not be made: ${String((error as Error)?.message ?? error)}`, retryable: true });
      this.#settleWaiting();
      this._retryLater();
    } finally {
      this.#sending = false;
      this._pass = undefined;
      // Events queued meanwhile go out now, or wait for the connection or a retry, answered as
      // such. Once destroyed, destroy()'s last pass takes them.
      if (this._queue.length && !rt._destroyed) {
        if (!waits && store.value.online && !this._waiting) queueMicrotask(() => void this._flush());
        else this.#settleWaiting();
      }
    }
  }

  /** Where and how Experience requests go (also refresh()'s read). */
  _apiBase() {
    const c = this._rt.config;
    return {
      baseUrl: c.experienceBaseUrl, clientId: c.clientId, environment: c.environment,
      locale: c.locale, fetch: this._rt._fetch, timeoutMs: c.timeoutMs, ip: c.ip,
    };
  }

  /** An answer (or a failure that is not retried) published: profile, selections and changes as one snapshot. */
  _apply(res: ApiResult<ExperienceResult>): EventResult {
    if (!res.ok) {
      this._fail(res);
      // Not retried (refused, redirected, unreadable): the event is not delivered by us.
      return { accepted: false, error: Object.freeze({ reason: res.reason, code: res.code, status: res.status, message: res.message }) };
    }
    const rt = this._rt;
    const { data } = res.data;
    const before = rt._store.value.profile?.id;
    // One snapshot: no subscriber ever sees profile from one response and selections from another.
    rt._store.set({ ...data, requestState: { status: 'success', at: new Date().toISOString() } });
    // A new profile reaches the other tabs at once.
    if (data.profile.id !== before) rt._post({ d: data });
    return { accepted: true, data };
  }

  /** A failed request, in `requestState`. */
  _fail(res: Extract<ApiResult<unknown>, { ok: false }>): void {
    this._rt._store.set({
      requestState: Object.freeze({
        status: 'failed', reason: res.reason, code: res.code, httpStatus: res.status, message: res.message, at: new Date().toISOString(),
      }),
    });
    if (__DEV__) this._rt._log.debug(`Experience request failed: ${res.reason}${res.status ? ` (${res.status})` : ''} ${res.message}`);
  }

  /**
   * Callers of events that wait for a retry are answered now: accepted (queued, no data yet) — unless
   * the runtime is destroyed without persistence consent, when nothing will send them any more.
   */
  #settleWaiting(): void {
    const lost = this._rt._destroyed && this._rt._store.value.persistenceConsent !== true;
    for (const p of this._queue) p.resolve({ accepted: !lost });
  }
}
