/**
 * `ContentfulOptimization`: the stateful browser runtime.
 *
 * It follows profile-synchronization.txt and consent-management.txt: consent for events and for
 * persistence, profile continuity through localStorage and the `ctfl-opt-aid` cookie, Experience
 * API calls that publish profile, selected optimizations and changes as one snapshot, Insights
 * events, observable state and the server handoff.
 */
import {
  insightsUrl, readProfile, sendExperienceEvents, sendInsightsBatch, type ApiResult, type ExperienceResult,
} from '../core/api.js';
import {
  isEventAllowed, isMethodAllowed, METHOD_EVENT_TYPES, normalizeConsentChoice,
  type BlockedEvent, type ConsentChoice, type ConsentValue, type GatedMethod,
} from '../core/consent.js';
import {
  buildClickEvent, buildHoverEvent, buildIdentifyEvent, buildPageEvent, buildScreenEvent, buildTrackEvent, buildViewEvent,
  uuid, type ComponentPayload, type EventBase, type FlagViewPayload, type HoverPayload, type ViewPayload,
} from '../core/events.js';
import type { Check } from '../core/checks.js';
import { createLogger, type Logger } from '../core/log.js';
import {
  payloadProblem, type IdentifyPayload, type PagePayload, type PayloadMethod, type ScreenPayload, type TrackPayload,
} from '../core/payloads.js';
import {
  getFlag, getFlagChange, getMergeTagValue, resolveByBaselineId, resolveEntryJson,
  type ContentfulEntry,
} from '../core/resolve.js';
import {
  Changes, Profile, ProfileId, SelectedOptimizations,
  OptimizationData, type Json, type SelectedOptimization,
} from '../core/wire.js';
import { createStore, deepFreeze, type Observable, type Store, type Unsubscribe } from '../core/store.js';
import { configWarnings, resolveConfig, type DroppedEvents, type OptimizationConfig, type ResolvedConfig } from './config.js';
import type { Ev } from './queue-store.js';
import { DurableQueues } from './durable-queues.js';
import { withLock } from './locks.js';
import { ANONYMOUS_ID_COOKIE, LEGACY_ANONYMOUS_ID_COOKIE, readCookie, removeCookie, writeCookie } from './cookies.js';
import { readHandoff } from './handoff.js';
import { listen } from './listen.js';
import { currentRuntime, provideRuntime } from './registry.js';
import { currentPage } from './page.js';
import { StateEntries } from './state-entries.js';
import { loadChunk } from './chunks.js';
import { parts } from './parts.js';
import { trackCurrentPage, type RouteMemory } from './route-page.js';
import { storageSync } from './storage-sync.js';
import type { PreviewPanelElement } from '../elements/preview-panel.js';
import {
  CONTINUITY_KEYS, createKeyValueStore, DebugFlag, LEGACY_CONTINUITY_KEYS, LEGACY_STORAGE_KEYS, STORAGE_KEYS, type KeyValueStore,
} from './storage.js';

import type { RequestState, EmittedEvent, OptimizationState, Overrides, ShownDecision, EventResult, EventError, TrackCurrentPageOptions } from './types.js';

export type { RequestState, EmittedEvent, OptimizationState, Overrides, ShownDecision, EventResult, EventError, TrackCurrentPageOptions } from './types.js';
export type { DroppedEvents, FlagViewPayload, HoverPayload, IdentifyPayload, PagePayload, ScreenPayload, TrackPayload, ViewPayload };

type StateKey = keyof OptimizationState;
const HISTORY = 50;
/** Failures in a row after which the circuit opens: no automatic attempt for 30 s. */
const BREAKER = 6;
/** Exponential backoff with jitter (≈1 s doubling to 30 s), 30 s once the circuit is open; a longer Retry-After wins. */
const backoff = (failures: number, retryAfterMs = 0) =>
  Math.max(retryAfterMs, failures >= BREAKER ? 30_000 : Math.min(30_000, 500 * 2 ** failures) * (0.5 + Math.random() / 2));
/** sendBeacon and keepalive bodies stay under 64 KB. */
const CHUNK_BYTES = 60_000;
type SyncMessage = { c?: ConsentChoice; r?: 1; d?: OptimizationData };

interface PendingExperience {
  event: Record<string, unknown>;
  resolve: (r: EventResult) => void;
}
interface PendingInsights { profileId?: string; event: Record<string, unknown> }

export interface RuntimeDependencies {
  fetch?: typeof fetch;
  storage?: Storage;
  window?: Window;
  console?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
}

export class ContentfulOptimization {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  /** Observables of each state field; each `subscribe` calls at once and returns its unsubscribe. */
  readonly states: { readonly [K in StateKey]: Observable<OptimizationState[K]> };
  /**
   * Resolves once the event queues that earlier pages persisted (with persistence consent) are
   * taken over and queued behind what this page sent. Nothing waits for it: the first request
   * leaves at once.
   */
  readonly ready: Promise<void>;

  #store: Store<OptimizationState>;
  #kv: KeyValueStore;
  #win: Window;
  #fetch: typeof fetch;
  #stateEntries: StateEntries;
  #anonymousId: string | undefined;
  #experienceQueue: PendingExperience[] = [];
  #insightsQueue: PendingInsights[] = [];
  #sending = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #expFailures = 0;
  #insTimer: ReturnType<typeof setTimeout> | undefined;
  #insFailures = 0;
  #insFlight: Promise<void> | undefined;
  /** Batches out for delivery: they stay in the persisted copy until the API answered. */
  #inflightExp: PendingExperience[] = [];
  #inflightIns: PendingInsights[] = [];
  #queues: DurableQueues;
  /** No delivery pass has run yet: the first request of the page leaves without waiting for a lock. */
  #firstPass = true;
  #saveQueued = false;
  #post: (m: SyncMessage) => void = () => {};
  /** True while applying another tab's change: it is not sent back. */
  #remote = false;
  #flushTimer: ReturnType<typeof setInterval> | undefined;
  #teardown: Array<() => void> = [];
  #destroyed = false;
  /** Bumped by reset() and cookie adoption: work started before belongs to a previous identity. */
  #generation = 0;
  /** The route key trackCurrentPage() reported last. */
  #route: RouteMemory = {};
  /** Bumped whenever queues are purged (consent(false), reset()): nothing started before is retried or followed up. */
  #purges = 0;
  /** messageIds another page adopted from this tab's persisted queue while this page was in the back/forward cache. */
  #taken = new Set<string>();
  /** Between a `pagehide` into the back/forward cache (with persistence consent) and the next `pageshow`. */
  #leaving = false;
  /** The other tabs' messages: heard until destroy()'s last delivery pass is over. */
  #syncTeardown: Array<() => void> = [];

  constructor(config: OptimizationConfig, deps: RuntimeDependencies = {}) {
    this.#win = deps.window ?? window;
    const nav = this.#win.navigator;
    this.config = resolveConfig(config, nav?.language || 'en-US');
    const ls = deps.storage ?? safeLocalStorage(this.#win);
    this.#kv = createKeyValueStore(ls);
    const debug = this.#kv.getValid(STORAGE_KEYS.debug, DebugFlag, undefined, false) === 'true';
    this.log = createLogger(debug ? 'debug' : this.config.logLevel, deps.console);
    // Configuration warnings are diagnostics: the script-tag bundle reports them once its deferred
    // chunk is here, a moment after the first request.
    const warn = (check: typeof configWarnings) => { for (const w of check(config)) this.log.warn('E009', w); };
    if (__UMD__) void loadChunk('deferred').then(() => parts.configWarnings && warn(parts.configWarnings), () => {});
    else warn(configWarnings);
    this.#fetch = deps.fetch ?? this.#win.fetch.bind(this.#win);
    this.#stateEntries = new StateEntries({
      clientId: this.config.clientId, cookies: this.config.stateEntries.cookies, domain: this.config.stateEntries.domain,
      doc: this.#win.document, kv: this.#kv,
    });
    // A destroyed runtime hears no other tab: its last write yields to a withdrawal made in one.
    this.#queues = new DurableQueues(this.config.clientId, () => !this.#destroyed || this.#kv.get(STORAGE_KEYS.persistenceConsent) !== 'denied');

    // 1. Resolve event consent and persistence consent: explicit defaults, then persisted values,
    //    then legacy accepted consent. A boolean `defaults.consent` maps to both.
    const d = this.config.defaults;
    const stored = this.#readStoredConsent();
    const consent = d.consent ?? stored.consent;
    // Stored event consent alone (consent({events: true})) says nothing about persistence.
    const persistenceConsent = d.persistenceConsent ?? d.consent ?? stored.persistence;

    // 2. Merge explicit defaults; the server handoff element is this page's explicit data.
    const handoff = this.config.handoff
      ? readHandoff(this.#win.document, __DEV__ ? (why) => this.log.debug(`server handoff ignored: ${why}`) : undefined)
      : undefined;
    let profile = handoff?.profile ?? (d.profile ? deepFreeze(d.profile) : undefined);
    let selectedOptimizations = handoff?.selectedOptimizations ?? (d.selectedOptimizations ? deepFreeze(d.selectedOptimizations) : undefined);
    let changes = handoff?.changes ?? (d.changes ? deepFreeze(d.changes) : undefined);

    // 3. Durable profile continuity only when persistence consent resolves to true.
    if (persistenceConsent === true) {
      this.#migrateLegacy();
      this.#anonymousId = this.#kv.getValid(STORAGE_KEYS.anonymousId, ProfileId, this.#invalid, false);
      profile ??= this.#readJson(STORAGE_KEYS.profile, Profile);
      selectedOptimizations ??= this.#readJson(STORAGE_KEYS.selectedOptimizations, SelectedOptimizations);
      changes ??= this.#readJson(STORAGE_KEYS.changes, Changes);
    } else if (persistenceConsent === false) {
      this.#clearDurableContinuity();
      this.#stateEntries.clearDurable();
      // Queues a previous page persisted are durable SDK storage too (consent({persistence: false}) clears them).
      void this.#queues.clear();
    }

    // 4. Initialize state with the merged values, as one snapshot.
    this.#store = createStore<OptimizationState>({
      profile, selectedOptimizations, changes, consent, persistenceConsent,
      blockedEvents: Object.freeze([]), events: Object.freeze([]),
      requestState: { status: 'idle' },
      online: nav?.onLine !== false,
    }, (error) => this.log.error('E010', __DEV__ ? 'a state subscriber threw; the SDK kept going.' : '', error));
    // Every field of the initial snapshot, and the preview overrides (absent until a preview sets them).
    const keys = [...Object.keys(this.#store.value), 'overrides'] as StateKey[];
    this.states = Object.fromEntries(keys.map((k) => [k, this.#store.select(k)])) as ContentfulOptimization['states'];

    // 5. and 6. Cookie adoption, only with persistence consent.
    if (persistenceConsent === true) this.#adoptCookie();

    // Mirror state to durable storage after each change (best effort, never blocks subscribers).
    this.#teardown.push(this.#store.subscribe((s) => this.#persist(s)));
    if (persistenceConsent === true) this.#persistAll(this.#store.value);

    if (persistenceConsent === true) this.#stateEntries.load();
    this.ready = persistenceConsent === true ? this.#restore() : Promise.resolve();
    this.#listen(ls);
    provideRuntime(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Observable state

  /** The current frozen snapshot. */
  get state(): OptimizationState { return this.#store.value; }
  get profile() { return this.#store.value.profile; }
  get selectedOptimizations() { return this.#store.value.selectedOptimizations; }
  get changes() { return this.#store.value.changes; }
  get consentState(): { events: ConsentValue; persistence: ConsentValue } {
    return { events: this.#store.value.consent, persistence: this.#store.value.persistenceConsent };
  }

  /** Calls `fn` at once with the whole snapshot, then after every change; returns its unsubscribe. */
  subscribe(fn: (state: OptimizationState) => void): Unsubscribe { return this.#store.subscribe(fn); }

  /** The anonymous id the next Experience event will use, if any (getAnonymousId → profile.id). */
  get anonymousId(): string | undefined { return this.#selectProfileId(); }

  /** Events waiting for delivery, queued or in flight, per API. */
  get queued(): { readonly experience: number; readonly insights: number } {
    return { experience: this.#experienceQueue.length + this.#inflightExp.length, insights: this.#insightsQueue.length + this.#inflightIns.length };
  }

  // ---------------------------------------------------------------------------------------------
  // Preview

  /**
   * Opens `<ctfl-preview-panel>`, loaded on first use (`optimization.preview.js` next to the
   * script-tag bundle; a separate module of the package): this visitor's state, live, and overrides
   * that only this tab shows. Resolves with the panel.
   */
  preview(): Promise<PreviewPanelElement> {
    return loadChunk('preview').then(() => (customElements.get('ctfl-preview-panel') as unknown as typeof PreviewPanelElement).open(this));
  }

  /** Sets or (with `undefined`) ends the preview overrides; elements show the result at once. */
  setOverrides(overrides: Overrides | undefined): void {
    this.#store.set({ overrides });
  }

  // ---------------------------------------------------------------------------------------------
  // Experience events

  /** A page view; `properties` merge into the page's own (path, query, referrer, search, title, url). */
  page(payload?: PagePayload): Promise<EventResult> {
    return this.#experience('page', payload, arguments[1], (p) => buildPageEvent(this.#base(), p.properties ?? {}, p.userId));
  }

  identify(payload: IdentifyPayload): Promise<EventResult> {
    return this.#experience('identify', payload, arguments[1], (p) => buildIdentifyEvent(this.#base(), p.userId, p.traits ?? {}));
  }

  track(payload: TrackPayload): Promise<EventResult> {
    return this.#experience('track', payload, arguments[1], (p) => buildTrackEvent(this.#base(), p.event, p.properties ?? {}));
  }

  screen(payload: ScreenPayload): Promise<EventResult> {
    return this.#experience('screen', payload, arguments[1], (p) => buildScreenEvent(this.#base(), p.name, p.properties ?? {}));
  }

  /**
   * A page event for apps with their own router: call it on every route change. A repeat of the
   * route key last reported sends nothing; `initialPageEvent: 'skip'` records the first route
   * without sending (the page event of the load, or the server, already reported it).
   * `buildPayload()` gives the page payload, otherwise `{ properties }` is sent.
   */
  trackCurrentPage(options: TrackCurrentPageOptions): Promise<EventResult> {
    const extra = arguments[1];
    const run = (track: typeof trackCurrentPage) => track(this, this.#route, options, extra, (p) => this.#refuse(p));
    // In the script-tag bundle it comes with the deferred chunk: at once when that is here (a call
    // right after keeps its order), else once it is.
    if (!__UMD__) return run(trackCurrentPage);
    if (parts.trackCurrentPage) return run(parts.trackCurrentPage);
    return loadChunk('deferred').then(() => run(parts.trackCurrentPage!), () => ({ accepted: false }));
  }

  /** A view. Sticky views go to the Experience API first (so the API pins the variant), then Insights. */
  async trackView(payload: ViewPayload): Promise<EventResult> {
    const problem = payloadProblem('trackView', payload, arguments[1]);
    if (problem) return this.#refuse(problem);
    if (!this.#gate('trackView')) return { accepted: false };
    const sticky = payload.sticky ?? (!!payload.experienceId && this.#store.value.selectedOptimizations?.some((o) => o.experienceId === payload.experienceId && o.sticky === true));
    let result: EventResult = { accepted: true };
    if (sticky) {
      const purges = this.#purges;
      result = await this.#enqueueExperience(buildViewEvent(this.#base(), payload));
      // Purged while the Experience request was out (consent(false), reset()): no Insights follow-up.
      if (!result.accepted || purges !== this.#purges) return { accepted: false, ...(result.error ? { error: result.error } : {}) };
    }
    this.#insights(buildViewEvent(this.#base(), payload));
    return result;
  }

  trackClick(payload: ComponentPayload): Promise<EventResult> {
    return this.#insightsOnly('trackClick', payload, arguments[1], () => buildClickEvent(this.#base(), payload));
  }

  trackHover(payload: HoverPayload): Promise<EventResult> {
    return this.#insightsOnly('trackHover', payload, arguments[1], () => buildHoverEvent(this.#base(), payload));
  }

  /** A Custom Flag was read and shown: an Insights `component` event of type `Variable`. */
  trackFlagView(payload: FlagViewPayload): Promise<EventResult> {
    return this.#insightsOnly('trackFlagView', payload, arguments[1], () => {
      const change = getFlagChange(this.#store.value.changes, payload.componentId);
      return buildViewEvent(this.#base(), {
        componentType: 'Variable',
        componentId: payload.componentId,
        experienceId: payload.experienceId ?? change?.meta.experienceId,
        variantIndex: payload.variantIndex ?? change?.meta.variantIndex ?? 0,
      });
    });
  }

  /** Reads the evaluated profile without sending an event, and publishes it. */
  async refresh(): Promise<EventResult> {
    const profileId = this.#selectProfileId();
    if (!profileId) return { accepted: false };
    const generation = this.#generation;
    // The script-tag bundle reads profiles with its deferred chunk.
    const read = __UMD__ ? await loadChunk('deferred').then(() => parts.readProfile, () => undefined) : readProfile;
    if (!read) return { accepted: false };
    const res = await read({ ...this.#apiBase(), profileId });
    if (generation !== this.#generation) return { accepted: false };
    return this.#apply(res);
  }

  // ---------------------------------------------------------------------------------------------
  // Consent

  /**
   * `consent(true | false)` sets both event and persistence consent; `consent({events, persistence})`
   * changes only the fields given.
   */
  consent(choice: boolean | ConsentChoice): void {
    const c = normalizeConsentChoice(choice);
    const before = this.#store.value;
    const patch: { consent?: ConsentValue; persistenceConsent?: ConsentValue } = {};
    if (c.events !== undefined) {
      patch.consent = c.events;
      this.#kv.set(STORAGE_KEYS.consent, c.events ? 'accepted' : 'denied');
    }
    if (c.persistence !== undefined) {
      patch.persistenceConsent = c.persistence;
      this.#kv.set(STORAGE_KEYS.persistenceConsent, c.persistence ? 'accepted' : 'denied');
    }
    if (c.events === false) this.#purgeQueues('consent revoked');
    if (c.persistence === false) {
      void this.#queues.clear();
      this.#clearDurableContinuity();
      this.#stateEntries.clearDurable();
    }
    const grantedLater = c.persistence === true && before.persistenceConsent !== true;
    if (grantedLater) {
      // Granted later: load the durable anonymous id and run the cookie adoption check before the
      // state is mirrored, or the session's profile id would overwrite a server-set cookie first.
      this.#anonymousId = this.#kv.getValid(STORAGE_KEYS.anonymousId, ProfileId, this.#invalid, false) ?? this.#anonymousId;
      this.#adoptCookie();
    }
    this.#store.set(patch);
    this.#post({ c });
    if (grantedLater) {
      this.#save();
      this.#persistAll(this.#store.value);
      this.#stateEntries.enablePersistence();
      this.#stateEntries.load();
    }
  }

  /**
   * Ends this visitor's continuity: clears profile, selected optimizations, changes, the event
   * streams, the anonymous id, queued events, durable storage and the cookie. Keeps consent.
   */
  reset(): void {
    this.#generation++;
    this.#purgeQueues('reset');
    this.#anonymousId = undefined;
    this.#clearDurableContinuity();
    this.#stateEntries.clear();
    this.#store.set({
      profile: undefined, selectedOptimizations: undefined, changes: undefined, requestState: { status: 'idle' },
      events: Object.freeze([]), blockedEvents: Object.freeze([]),
    });
    this.#post({ r: 1 });
  }

  /** Sends what is queued now (Insights and any Experience events waiting for a retry). */
  async flush(): Promise<void> {
    await Promise.all([this.#flushExperience(true), this.#flushInsights(1)]);
  }

  /** Flushes the queues and releases listeners and timers. Persisted user state stays. */
  destroy(): void {
    if (this.#destroyed) return;
    // Queued Experience events go out too: the loop drains what is queued even once destroyed
    // (the gate lets nothing new in and no retry is scheduled after this point).
    // The persisted copy is final before the queues can be adopted by another runtime — so it is
    // written once no Experience request is out: a request in flight (which flush() does not wait
    // for) would otherwise stay in it although delivered, and be sent again by the next page.
    this.#destroyed = true;
    // Elements connected from now on wait for another runtime instead of binding to this one.
    if (currentRuntime() === this) provideRuntime(undefined);
    if (this.#store.value.persistenceConsent === true) this.#queues.closing();
    // Until that last pass is over, other tabs are still heard: a consent withdrawal or reset() made
    // in one meanwhile purges what is left here too.
    void Promise.allSettled([this.#drainExperience(), this.#flushInsights(2)]).then(() => {
      this.#saveNow();
      this.#queues.close();
      for (const off of this.#syncTeardown.splice(0)) off();
    });
    for (const off of this.#teardown.splice(0)) off();
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    if (this.#insTimer !== undefined) clearTimeout(this.#insTimer);
    if (this.#flushTimer) clearInterval(this.#flushTimer);
  }

  /**
   * destroy(): a delivery under way finishes first, then what is still queued leaves in one last
   * pass — also a `track()` made just before destroy(), which a pass already under way may have
   * missed: it is delivered and its promise settles.
   */
  async #drainExperience(): Promise<void> {
    const idle = async () => { while (this.#sending) await new Promise((r) => setTimeout(r, 20)); };
    await idle();
    await this.#flushExperience(true, true);
    await idle();
  }

  // ---------------------------------------------------------------------------------------------
  // Resolvers

  /**
   * Which variant of an entry this visitor sees: by baseline id, or from an entry with
   * `nt_experiences`. With preview overrides, the decision they give, marked `override` when it is
   * not the visitor's own.
   */
  resolveEntry(entry: string | ContentfulEntry): ShownDecision {
    const s = this.#store.value;
    const resolve = (selected: OptimizationState['selectedOptimizations']) =>
      typeof entry === 'string' ? resolveByBaselineId(entry, selected) : resolveEntryJson(entry, selected);
    const own = resolve(s.selectedOptimizations);
    if (!s.overrides) return own; // every element asks on every update: no second pass without a preview
    const shown = resolve(this.#shown(s).selectedOptimizations);
    return shown.entryId === own.entryId && shown.experienceId === own.experienceId && shown.variantIndex === own.variantIndex
      ? own : { ...shown, override: true };
  }

  /**
   * `resolveEntry()` under the reference SDKs' name, for apps that render variants themselves
   * (`<ctfl-optimized-entry headless>`). With `selected`, from those selected optimizations (a
   * server's answer, say) instead of this visitor's state.
   */
  resolveOptimizedEntry(entry: string | ContentfulEntry, selected?: readonly SelectedOptimization[]): ShownDecision {
    if (selected === undefined) return this.resolveEntry(entry);
    return typeof entry === 'string' ? resolveByBaselineId(entry, selected) : resolveEntryJson(entry, selected);
  }

  /** A merge tag from the active profile: `traits.firstname` or `traits_firstname`. Text only. */
  getMergeTagValue(path: string, fallback?: string): string | undefined {
    return getMergeTagValue(this.#store.value.profile, path, fallback);
  }

  /** A Custom Flag's value (`{value: X}` unwrapped; preview overrides applied), or `fallback` when no change has the key. */
  getFlag<T extends Json | null | undefined = Json | null | undefined>(key: string, fallback?: T): Json | null | T | undefined {
    const v = getFlag(this.#shown(this.#store.value).changes, key);
    return v === undefined ? fallback : v;
  }

  /** The state with preview overrides applied (for the resolvers only). */
  #shown(s: OptimizationState): Pick<OptimizationState, 'selectedOptimizations' | 'changes'> {
    return s.overrides ? { ...s, ...s.overrides(s) } : s;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: gate, queues, delivery

  #gate(method: GatedMethod): boolean {
    if (this.#destroyed) return false;
    const { consent } = this.#store.value;
    if (isMethodAllowed(method, consent, this.config.allowedEventTypes)) return true;
    const blocked: BlockedEvent = Object.freeze({
      reason: 'consent', method, eventType: METHOD_EVENT_TYPES[method][0], consent, at: new Date().toISOString(),
    });
    this.#store.set({ blockedEvents: Object.freeze([...this.#store.value.blockedEvents, blocked].slice(-HISTORY)) });
    if (__DEV__) this.log.debug(`${method}() blocked: no event consent and "${blocked.eventType}" is not in allowedEventTypes`);
    try { this.config.onEventBlocked?.(blocked); } catch (error) {
      this.log.error('E011', __DEV__ ? 'onEventBlocked threw; the SDK kept going.' : '', error);
    }
    return false;
  }

  #base(): EventBase {
    return {
      channel: 'web',
      locale: this.config.locale,
      userAgent: this.#win.navigator?.userAgent,
      page: currentPage(this.#win),
      app: this.config.app,
      library: { name: __PACKAGE_NAME__, version: __VERSION__ },
      isConsentGiven: this.#store.value.consent === true,
    };
  }

  #apiBase() {
    return {
      baseUrl: this.config.experienceBaseUrl, clientId: this.config.clientId, environment: this.config.environment,
      locale: this.config.locale, fetch: this.#fetch, timeoutMs: this.config.timeoutMs, ip: this.config.ip,
    };
  }

  /** A call in another form than the method's: nothing is queued, and the caller is told the right form. */
  #refuse(problem: string): EventResult {
    this.log.warn('E015', problem);
    return { accepted: false, error: Object.freeze({ reason: 'invalid-call', code: 'E015', message: problem }) };
  }

  /** An event that goes to the Insights API only, queued when the gate lets it through. */
  #insightsOnly(method: PayloadMethod & GatedMethod, payload: unknown, extra: unknown, build: () => Record<string, unknown>): Promise<EventResult> {
    const problem = payloadProblem(method, payload, extra);
    if (problem) return Promise.resolve(this.#refuse(problem));
    const accepted = this.#gate(method);
    if (accepted) this.#insights(build());
    return Promise.resolve({ accepted });
  }

  #experience<P>(method: PayloadMethod & GatedMethod, payload: P | undefined, extra: unknown, build: (p: P) => Record<string, unknown>): Promise<EventResult> {
    const problem = payloadProblem(method, payload, extra);
    if (problem) return Promise.resolve(this.#refuse(problem));
    if (!this.#gate(method)) return Promise.resolve({ accepted: false });
    return this.#enqueueExperience(build(payload ?? ({} as P)));
  }

  #enqueueExperience(event: Record<string, unknown>): Promise<EventResult> {
    this.#recordEmitted('experience', event);
    return new Promise<EventResult>((resolve) => {
      this.#experienceQueue.push({ event, resolve });
      this.#cap();
      queueMicrotask(() => void this.#flushExperience());
    });
  }

  /**
   * Sends queued Experience events in order, all queued events in one request (the API takes an
   * array), one request at a time so the profile id a request creates is used by the next. Across
   * tabs one flush runs at a time (Web Lock). `force` (flush(), a retry, back online) also tries
   * while the circuit is open.
   */
  async #flushExperience(force = false, final = false): Promise<void> {
    // `final`: destroy()'s last pass, which still sends what was queued before.
    if (this.#sending || (this.#destroyed && !final) || !this.#experienceQueue.length) return;
    if (!force && this.#retryTimer !== undefined && this.#expFailures >= BREAKER) return;
    this.#sending = true;
    /** The pass ended waiting for the connection or a retry: the queue is not tried again at once. */
    let waits = false;
    // The first pass leaves at once: it waits neither for the persisted queues (adopted behind it)
    // nor for the lock (another tab's request of the same moment may make a second profile for a new
    // visitor; its id reaches the other tabs, which follow it from then on).
    const locked = this.#firstPass ? (fn: () => Promise<void>) => fn() : (fn: () => Promise<void>) => this.#locked(fn);
    this.#firstPass = false;
    try {
      await locked(async () => {
        while (this.#experienceQueue.length) {
          if (!this.#store.value.online) {
            this.#fail({ ok: false, reason: 'offline', message: 'the browser is offline; events wait for the connection', retryable: true });
            this.#settleWaiting();
            waits = true;
            return;
          }
          const generation = this.#generation;
          const purges = this.#purges;
          // The batch leaves the queue while it is in flight: a purge then only drops what is still queued.
          const batch = this.#inflightExp = this.#experienceQueue.splice(0, 200);
          this.#store.set({ requestState: { status: 'pending' } });
          const res = await sendExperienceEvents({
            ...this.#apiBase(),
            profileId: this.#selectProfileId(),
            events: batch.map((p) => p.event),
            features: this.config.enabledFeatures,
            stateEntries: this.#stateEntries.list(),
            preflight: this.config.preflight,
          });
          this.#inflightExp = [];
          this.#save();
          if (generation !== this.#generation) {
            // reset() or a cookie adoption meanwhile: the answer belongs to a previous identity.
            for (const p of batch) p.resolve({ accepted: false });
            if (this.#store.value.requestState.status === 'pending') this.#store.set({ requestState: { status: 'idle' } });
            continue;
          }
          if (res.ok || !res.retryable || purges !== this.#purges) {
            // Consent revoked meanwhile: the request had left with consent, so its answer still updates
            // in-memory state (durable storage follows persistence consent), but a failure is not retried.
            const result = this.#apply(res);
            for (const p of batch) p.resolve(result);
            this.#expFailures = 0;
            if (res.ok) this.#stateEntries.store(res.data.stateEntries);
            else if (!res.retryable) {
              const code = res.code ?? res.status ?? res.reason;
              // Production keeps only the API's own reason; README "Error codes" explains E020.
              this.log.warn('E020', __DEV__ ? `the Experience API refused ${batch.length} event(s) (${code}): ${res.message}. They were dropped.` : `${code}: ${res.message}`);
              this.#drop('experience', 'refused', batch.map((p) => p.event));
            }
          } else {
            this.#experienceQueue.unshift(...this.#notTaken(batch));
            this.#cap();
            this.#fail(res);
            this.#settleWaiting();
            this.#scheduleRetry(res.retryAfterMs);
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
      if (this.#inflightExp.length) this.#experienceQueue.unshift(...this.#notTaken(this.#inflightExp.splice(0)));
      this.#fail({ ok: false, reason: 'network', message: `the request could not be made: ${String((error as Error)?.message ?? error)}`, retryable: true });
      this.#settleWaiting();
      this.#scheduleRetry();
    } finally {
      this.#sending = false;
      // Events queued meanwhile go out now, or wait for the connection or a retry, answered as
      // such. Once destroyed, destroy()'s last pass takes them.
      if (this.#experienceQueue.length && !this.#destroyed) {
        if (!waits && this.#store.value.online && this.#retryTimer === undefined) queueMicrotask(() => void this.#flushExperience());
        else this.#settleWaiting();
      }
    }
  }

  /**
   * One delivery at a time across the tabs of this site (Web Locks where available). A lock that is
   * not granted in time (held by a page in the back/forward cache) or cannot be had is done without.
   */
  #locked(fn: () => Promise<void>): Promise<void> {
    return withLock(`ctfl-opt-flush:${this.config.clientId}`, fn);
  }

  /**
   * Callers of events that wait for a retry are answered now: accepted (queued, no data yet) — unless
   * the runtime is destroyed without persistence consent, when nothing will send them any more.
   */
  #settleWaiting(): void {
    const lost = this.#destroyed && this.#store.value.persistenceConsent !== true;
    for (const p of this.#experienceQueue) p.resolve({ accepted: !lost });
  }

  /**
   * Events to queue again, without those another page took over (it adopted this tab's persisted
   * queue while this page was in the back/forward cache, and sends them): those are answered.
   */
  #notTaken(batch: PendingExperience[]): PendingExperience[] {
    if (!this.#taken.size) return batch;
    return batch.filter((p) => {
      if (!this.#taken.has(String(p.event.messageId))) return true;
      p.resolve({ accepted: true });
      return false;
    });
  }

  #scheduleRetry(retryAfterMs?: number): void {
    if (this.#retryTimer !== undefined || this.#destroyed) return;
    const delay = backoff(++this.#expFailures, retryAfterMs);
    // A document that is no longer active may refuse timers (Firefox throws): no retry there.
    try { this.#retryTimer = setTimeout(() => { this.#retryTimer = undefined; void this.#flushExperience(true); }, delay); } catch { /* gone */ }
  }

  #apply(res: ApiResult<ExperienceResult>): EventResult {
    if (!res.ok) {
      this.#fail(res);
      // Not retried (refused, redirected, unreadable): the event is not delivered by us.
      return { accepted: false, error: Object.freeze({ reason: res.reason, code: res.code, status: res.status, message: res.message }) };
    }
    const { profile, selectedOptimizations, changes } = res.data.data;
    const before = this.#store.value.profile?.id;
    // One snapshot: no subscriber ever sees profile from one response and selections from another.
    this.#store.set({ profile, selectedOptimizations, changes, requestState: { status: 'success', at: new Date().toISOString() } });
    // A new profile reaches the other tabs at once.
    if (profile.id !== before) this.#post({ d: res.data.data });
    return { accepted: true, data: res.data.data };
  }

  #fail(res: Extract<ApiResult<unknown>, { ok: false }>): void {
    this.#store.set({
      requestState: Object.freeze({
        status: 'failed', reason: res.reason, code: res.code, httpStatus: res.status, message: res.message, at: new Date().toISOString(),
      }),
    });
    if (__DEV__) this.log.debug(`Experience request failed: ${res.reason}${res.status ? ` (${res.status})` : ''} ${res.message}`);
  }

  #insights(event: Record<string, unknown>): void {
    this.#recordEmitted('insights', event);
    this.#insightsQueue.push({ profileId: this.#store.value.profile?.id, event });
    this.#cap();
    if (this.#insightsQueue.length >= this.config.insights.batchSize) void this.#flushInsights(0);
  }

  /**
   * One batch item per profile, in chunks under 64 KB. Events made before any profile existed wait
   * for the first profile (the Insights API needs one) instead of being dropped. `mode` 0: automatic
   * (waits out a backoff); 1: flush(), a retry, back online; 2: the page goes away (sendBeacon).
   */
  async #flushInsights(mode: 0 | 1 | 2): Promise<void> {
    if (mode < 2 && this.#insFlight) return mode ? this.#insFlight.then(() => this.#flushInsights(1)) : undefined;
    if (!mode && (this.#insTimer !== undefined || !this.#store.value.online)) return;
    const current = this.#store.value.profile?.id;
    let ready: PendingInsights[] = [];
    const waiting: PendingInsights[] = [];
    // Entering the back/forward cache, what is already in the persisted queue stays there: the next
    // page adopts and sends it (or this one, back from the cache) — a beacon would send it twice.
    const stays = mode === 2 && this.#leaving ? (p: PendingInsights) => this.#queues.isWritten(String(p.event.messageId)) : () => false;
    for (const p of this.#insightsQueue) {
      const id = p.profileId ?? current;
      if (id && !stays(p)) ready.push({ profileId: id, event: p.event });
      else waiting.push(p);
    }
    if (!ready.length) {
      if (__DEV__ && waiting.length) this.log.debug(`${waiting.length} Insights event(s) wait for a profile`);
      return;
    }
    const { insightsBaseUrl: baseUrl, clientId, environment } = this.config;
    const nav = this.#win.navigator;
    // Offline, the page goes away with its queue persisted (or lost without persistence consent).
    if (mode === 2 && !this.#store.value.online) return;
    if (mode === 2 && typeof nav?.sendBeacon === 'function') {
      // Hand each chunk to the browser; what it refuses stays queued (and persisted) for fetch or the next load.
      const left: PendingInsights[] = [];
      for (const c of chunks(ready, CHUNK_BYTES)) {
        if (!nav.sendBeacon(insightsUrl(baseUrl, clientId, environment), new Blob([JSON.stringify(toBatch(c))], { type: 'text/plain' }))) left.push(...c);
      }
      this.#insightsQueue = [...left, ...waiting];
      this.#save();
      if (!(ready = left).length) return;
    }
    this.#insightsQueue = waiting;
    this.#inflightIns = ready;
    const purges = this.#purges;
    let failed = false;
    this.#insFlight = this.#locked(async () => {
      for (const c of chunks(ready, mode === 2 ? CHUNK_BYTES : 8 * CHUNK_BYTES)) {
        // Purged (consent(false), reset()) while waiting for the lock or a previous chunk: what has
        // not left yet never does.
        if (purges !== this.#purges) return;
        const res = await sendInsightsBatch({
          baseUrl, clientId, environment, batch: toBatch(c), fetch: this.#fetch, timeoutMs: this.config.timeoutMs, keepalive: mode === 2,
        });
        if (!res.ok && res.retryable) {
          failed = true;
          if (purges !== this.#purges) return;
          this.#retryInsights(res.retryAfterMs);
          return;
        }
        this.#inflightIns = this.#inflightIns.slice(c.length);
        if (!res.ok) {
          this.log.warn('E021', __DEV__ ? `the Insights API refused ${c.length} event(s): ${res.message}. They were dropped.` : res.message);
          this.#drop('insights', 'refused', c.map((p) => p.event));
        }
        this.#insFailures = 0;
        if (this.#insTimer !== undefined) { clearTimeout(this.#insTimer); this.#insTimer = undefined; }
        this.#save();
      }
    }).catch(() => {
      // No request could be made (see #flushExperience): retried after the backoff, not at once.
      failed = true;
      if (purges === this.#purges) this.#retryInsights();
    }).finally(() => {
      this.#insFlight = undefined;
      this.#inflightIns = [];
      this.#save();
      if (!failed && this.#insightsQueue.length >= this.config.insights.batchSize) void this.#flushInsights(0);
    });
    return this.#insFlight;
  }

  /** Puts what is in flight back in front, in order (without what another page took over); a retry follows the backoff. */
  #retryInsights(retryAfterMs?: number): void {
    const back = this.#taken.size ? this.#inflightIns.filter((p) => !this.#taken.has(String(p.event.messageId))) : this.#inflightIns;
    this.#insightsQueue = [...back, ...this.#insightsQueue];
    this.#inflightIns = [];
    this.#cap();
    if (this.#insTimer !== undefined || this.#destroyed) return;
    try {
      this.#insTimer = setTimeout(() => { this.#insTimer = undefined; void this.#flushInsights(1); }, backoff(++this.#insFailures, retryAfterMs));
    } catch { /* a document that is no longer active: no retry */ }
  }

  /**
   * Back from the back/forward cache: what another page took over from this tab's queue meanwhile
   * is not sent again (it sends it); the rest is written again (without what was handed to
   * sendBeacon on the way out), queues of pages that are gone are adopted, and delivery goes on.
   */
  async #resume(): Promise<void> {
    if (this.#destroyed) return;
    const taken = await this.#queues.resume();
    if (taken.size) {
      for (const id of taken) this.#taken.add(id);
      this.#experienceQueue = this.#notTaken(this.#experienceQueue);
      this.#insightsQueue = this.#insightsQueue.filter((p) => !taken.has(String(p.event.messageId)));
    }
    this.#save();
    if (this.#store.value.persistenceConsent === true) await this.#restore();
    void this.#flushExperience();
    void this.#flushInsights(0);
  }

  /** Restores the queues of tabs that are gone (a reload, a closed tab) and sends them. */
  async #restore(): Promise<void> {
    const purges = this.#purges;
    const q = await this.#queues.adopt();
    // Purged while adopting (consent(false), reset()): the adopted queues go too. And this page's
    // event consent applies: what it would block now never leaves (found by the consent property suite).
    if (this.#store.value.persistenceConsent !== true || purges !== this.#purges) return;
    const allowed = (e: Ev) => isEventAllowed(e, this.#store.value.consent, this.config.allowedEventTypes);
    const noop = () => {};
    const e = q.e.filter(allowed);
    const i = q.i.filter((p) => allowed(p.event));
    if (!e.length && !i.length) return;
    this.#experienceQueue.unshift(...e.map((event) => ({ event, resolve: noop })));
    this.#insightsQueue.unshift(...i);
    this.#cap();
    this.#save();
    queueMicrotask(() => { void this.#flushExperience(); if (i.length) void this.#flushInsights(0); });
  }

  /** Mirrors the queues (in flight included) to IndexedDB, once per task, with persistence consent only. */
  #save(): void {
    if (this.#saveQueued || this.#store.value.persistenceConsent !== true) return;
    this.#saveQueued = true;
    queueMicrotask(() => { this.#saveQueued = false; this.#saveNow(); });
  }

  #saveNow(): void {
    if (this.#store.value.persistenceConsent !== true) return;
    this.#queues.save({
      e: [...this.#inflightExp, ...this.#experienceQueue].map((p) => p.event),
      i: [...this.#inflightIns, ...this.#insightsQueue],
    });
  }

  /** Past a cap the oldest events go, reported to onDrop. */
  #cap(): void {
    const { maxExperienceEvents, maxInsightsEvents } = this.config.queue;
    const e = this.#experienceQueue;
    if (e.length > maxExperienceEvents) {
      const gone = e.splice(0, e.length - maxExperienceEvents);
      for (const p of gone) p.resolve({ accepted: false });
      this.#drop('experience', 'cap', gone.map((p) => p.event));
    }
    const i = this.#insightsQueue;
    if (i.length > maxInsightsEvents) this.#drop('insights', 'cap', i.splice(0, i.length - maxInsightsEvents).map((p) => p.event));
    this.#save();
  }

  #drop(api: DroppedEvents['api'], reason: DroppedEvents['reason'], events: Ev[]): void {
    if (reason === 'cap') this.log.warnOnce('E022', __DEV__ ? `the ${api} queue is full: the oldest events were dropped (config queue).` : api);
    try {
      this.config.onDrop?.(Object.freeze({ api, reason, messageIds: Object.freeze(events.map((e) => String(e.messageId))) }));
    } catch (error) {
      this.log.error('E014', __DEV__ ? 'onDrop threw; the SDK kept going.' : '', error);
    }
  }

  #recordEmitted(api: 'experience' | 'insights', event: Record<string, unknown>): void {
    const e: EmittedEvent = Object.freeze({ api, type: String(event.type), messageId: String(event.messageId), at: String(event.timestamp) });
    this.#store.set({ events: Object.freeze([...this.#store.value.events, e].slice(-HISTORY)) });
  }

  #purgeQueues(why: string): void {
    const pending = this.#experienceQueue.splice(0);
    for (const p of pending) p.resolve({ accepted: false });
    const dropped = pending.length + this.#insightsQueue.length;
    this.#insightsQueue = [];
    this.#purges++;
    void this.#queues.clear();
    if (this.#retryTimer !== undefined) { clearTimeout(this.#retryTimer); this.#retryTimer = undefined; }
    if (this.#insTimer !== undefined) { clearTimeout(this.#insTimer); this.#insTimer = undefined; }
    this.#expFailures = this.#insFailures = 0;
    if (__DEV__ && dropped) this.log.debug(`${why}: ${dropped} queued event(s) purged`);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: identity and durable continuity

  /** getAnonymousId() → in-memory profile.id → none (the API creates a profile). */
  #selectProfileId(): string | undefined {
    let id: string | undefined;
    if (this.config.getAnonymousId) {
      try { id = this.config.getAnonymousId(); } catch (error) { this.log.warnOnce('E012', __DEV__ ? 'getAnonymousId threw; using the profile id instead.' : '', error); }
      if (id !== undefined && !ProfileId.safeParse(id).success) {
        this.log.warnOnce('E013', __DEV__ ? 'getAnonymousId returned a value that is not a valid profile id; it was ignored.' : '');
        id = undefined;
      }
    } else if (this.#store.value.persistenceConsent === true) {
      id = this.#anonymousId;
    }
    return id ?? this.#store.value.profile?.id;
  }

  #invalid = __DEV__ ? (key: string) => this.log.debug(`removed invalid stored value ${key}`) : undefined;

  #readJson<T>(key: string, schema: Pick<Check<T>, 'safeParse'>): T | undefined {
    const v = this.#kv.getValid(key, schema, this.#invalid);
    return v === undefined ? undefined : deepFreeze(v as T);
  }

  #readStoredConsent(): { consent: ConsentValue; persistence: ConsentValue } {
    const read = (key: string): ConsentValue => {
      const v = this.#kv.get(key);
      if (v === 'accepted') return true;
      if (v === 'denied') return false;
      if (v !== null) this.#kv.remove(key);
      return undefined;
    };
    let consent = read(STORAGE_KEYS.consent);
    let persistence = read(STORAGE_KEYS.persistenceConsent);
    const legacy = this.#kv.get(LEGACY_STORAGE_KEYS.consent);
    if (legacy !== null) {
      // The legacy SDK had one consent for everything: accepted maps to both, like consent(true).
      if (consent === undefined && legacy === 'accepted') {
        consent = true;
        this.#kv.set(STORAGE_KEYS.consent, 'accepted');
        if (persistence === undefined) {
          persistence = true;
          this.#kv.set(STORAGE_KEYS.persistenceConsent, 'accepted');
        }
      }
      this.#kv.remove(LEGACY_STORAGE_KEYS.consent);
    }
    return { consent, persistence };
  }

  /** Legacy Ninetailed keys: valid values move to the current keys; all are removed. */
  #migrateLegacy(): void {
    const moves: Array<[string, string, Parameters<KeyValueStore['getValid']>[1], boolean]> = [
      [LEGACY_STORAGE_KEYS.anonymousId, STORAGE_KEYS.anonymousId, ProfileId, false],
      [LEGACY_STORAGE_KEYS.profile, STORAGE_KEYS.profile, Profile, true],
      [LEGACY_STORAGE_KEYS.experiences, STORAGE_KEYS.selectedOptimizations, SelectedOptimizations, true],
      [LEGACY_STORAGE_KEYS.changes, STORAGE_KEYS.changes, Changes, true],
    ];
    for (const [from, to, schema, json] of moves) {
      if (this.#kv.get(from) === null) continue;
      const v = this.#kv.getValid(from, schema, this.#invalid, json);
      if (v !== undefined && this.#kv.get(to) === null) this.#kv.set(to, json ? JSON.stringify(v) : String(v));
      this.#kv.remove(from);
    }
  }

  /**
   * Steps 5 and 6: read `ctfl-opt-aid` (migrating the legacy `ntaid`); when it differs from the
   * stored anonymous id, adopt it — clearing active and cached continuity first only when it also
   * differs from the active profile's id.
   */
  #adoptCookie(): void {
    const doc = this.#win.document;
    let cookie = readCookie(ANONYMOUS_ID_COOKIE, doc);
    const legacy = readCookie(LEGACY_ANONYMOUS_ID_COOKIE, doc);
    if (legacy !== undefined) {
      this.#removeCookie(LEGACY_ANONYMOUS_ID_COOKIE);
      if (cookie === undefined && ProfileId.safeParse(legacy).success) {
        cookie = legacy;
        this.#writeIdCookie(legacy);
      }
    }
    if (cookie === undefined) return;
    if (!ProfileId.safeParse(cookie).success) {
      if (__DEV__) this.log.debug(`ignored a ${ANONYMOUS_ID_COOKIE} cookie that is not a valid profile id, and removed it`);
      this.#removeCookie(ANONYMOUS_ID_COOKIE);
      return;
    }
    if (cookie === this.#anonymousId) return;
    const active = this.#store.value.profile;
    if (active && active.id !== cookie) {
      if (__DEV__) this.log.debug(`${ANONYMOUS_ID_COOKIE} names another profile than the cached one: resetting and adopting it`);
      this.#generation++;
      this.#clearDurableContinuity(false);
      this.#store.set({ profile: undefined, selectedOptimizations: undefined, changes: undefined });
    }
    this.#anonymousId = cookie;
    this.#kv.set(STORAGE_KEYS.anonymousId, cookie);
  }

  // config.cookie is { domain, expires }: the id cookie's attributes.
  #writeIdCookie(id: string): void {
    writeCookie(ANONYMOUS_ID_COOKIE, id, this.config.cookie, this.#win.document);
  }

  #removeCookie(name: string): void {
    removeCookie(name, this.config.cookie, this.#win.document);
  }

  #clearDurableContinuity(removeIdCookie = true): void {
    for (const key of CONTINUITY_KEYS) this.#kv.remove(key);
    // Legacy copies too: a later load with persistence consent would otherwise migrate them back.
    for (const key of LEGACY_CONTINUITY_KEYS) this.#kv.remove(key);
    if (removeIdCookie) {
      this.#removeCookie(ANONYMOUS_ID_COOKIE);
      this.#removeCookie(LEGACY_ANONYMOUS_ID_COOKIE);
      this.#anonymousId = undefined;
    }
  }

  #lastPersisted: Partial<OptimizationState> = {};

  /**
   * Mirrors continuity state to localStorage and the cookie when persistence consent is true.
   * Never in preflight mode: the API did not store that profile, so its id is no continuity handle.
   */
  #persist(s: OptimizationState): void {
    if (s.persistenceConsent !== true || this.config.preflight) { this.#lastPersisted = {}; return; }
    const last = this.#lastPersisted;
    if (s.profile !== last.profile) {
      if (s.profile) {
        this.#kv.set(STORAGE_KEYS.profile, JSON.stringify(s.profile));
        if (s.profile.id !== this.#anonymousId || readCookie(ANONYMOUS_ID_COOKIE, this.#win.document) !== s.profile.id) {
          this.#anonymousId = s.profile.id;
          this.#kv.set(STORAGE_KEYS.anonymousId, s.profile.id);
          this.#writeIdCookie(s.profile.id);
        }
      } else {
        // Profile cleared: drop cached data; keep an existing anonymous id and cookie for continuity.
        this.#kv.remove(STORAGE_KEYS.profile);
        if (!this.#anonymousId) this.#removeCookie(ANONYMOUS_ID_COOKIE);
      }
    }
    if (s.selectedOptimizations !== last.selectedOptimizations) {
      if (s.selectedOptimizations) this.#kv.set(STORAGE_KEYS.selectedOptimizations, JSON.stringify(s.selectedOptimizations));
      else this.#kv.remove(STORAGE_KEYS.selectedOptimizations);
    }
    if (s.changes !== last.changes) {
      if (s.changes) this.#kv.set(STORAGE_KEYS.changes, JSON.stringify(s.changes));
      else this.#kv.remove(STORAGE_KEYS.changes);
    }
    this.#lastPersisted = { profile: s.profile, selectedOptimizations: s.selectedOptimizations, changes: s.changes };
  }

  #persistAll(s: OptimizationState): void {
    this.#lastPersisted = {};
    this.#persist(s);
  }

  // ---------------------------------------------------------------------------------------------
  // Page lifecycle

  #listen(ls: Storage | undefined): void {
    const win = this.#win;
    const on = (target: EventTarget, type: string, fn: () => void) => listen(this.#teardown, target, type, fn);
    on(win, 'online', () => {
      this.#store.set({ online: true });
      if (this.#retryTimer !== undefined) { clearTimeout(this.#retryTimer); this.#retryTimer = undefined; }
      if (this.#insTimer !== undefined) { clearTimeout(this.#insTimer); this.#insTimer = undefined; }
      this.#expFailures = this.#insFailures = 0;
      void this.flush();
    });
    on(win, 'offline', () => this.#store.set({ online: false }));
    // Hidden pages may never come back: hand what is queued to the browser to deliver.
    // Experience events (not de-duplicated by the API) wait in the persisted queue for the next load;
    // without persistence consent they leave now with fetch keepalive.
    // Also while the persistence chunk has not arrived (or cannot be loaded): nothing is persisted yet.
    const away = () => {
      void this.#flushInsights(2);
      if (this.#store.value.persistenceConsent !== true || !this.#queues.durable) void this.#flushExperience(true);
    };
    on(win.document, 'visibilitychange', () => { if (win.document.visibilityState === 'hidden') away(); });
    // A page that may stay in the back/forward cache (`persisted`) writes nothing more to IndexedDB
    // (idb.ts) and lets its queue go to the next page; back from the cache, it takes up again.
    listen(this.#teardown, win, 'pagehide', (e: PageTransitionEvent) => {
      this.#leaving = e.persisted && this.#store.value.persistenceConsent === true;
      away();
      if (e.persisted) this.#queues.suspend();
    });
    listen(this.#teardown, win, 'pageshow', (e: PageTransitionEvent) => { this.#leaving = false; if (e.persisted) void this.#resume(); });
    this.#flushTimer = setInterval(() => void this.#flushInsights(0), this.config.insights.flushIntervalMs);
    // Tabs stay in step: consent, reset() and a new profile reach the other tabs of this site at once.
    const name = `ctfl-opt:${this.config.clientId}`;
    // Messages come from any script of this origin: validated like everything else read from outside.
    const receive = (raw: unknown) => {
      const m = raw as SyncMessage | null;
      if (!m || typeof m !== 'object') return;
      this.#remote = true;
      try {
        if (m.c !== undefined) this.consent(m.c); // consent() ignores fields that are not booleans
        else if (m.r === 1) this.reset();
        else if (m.d !== undefined) {
          const d = OptimizationData.safeParse(m.d);
          if (d.success && d.data.profile.id !== this.#store.value.profile?.id) {
            this.#store.set({ profile: deepFreeze(d.data.profile), selectedOptimizations: deepFreeze(d.data.selectedOptimizations), changes: deepFreeze(d.data.changes) });
          }
        }
      } catch (error) {
        if (__DEV__) this.log.debug('ignored a malformed message from another tab', error);
      } finally { this.#remote = false; }
    };
    const send = (fn: (m: SyncMessage) => void) => { this.#post = (m) => { if (!this.#remote && !this.#destroyed) fn(m); }; };
    if (typeof BroadcastChannel === 'function') {
      const ch = new BroadcastChannel(name);
      ch.onmessage = (e) => receive(e.data);
      this.#syncTeardown.push(() => ch.close());
      send((m) => ch.postMessage(m));
    } else {
      // Fallback: storage events (storage-sync.ts; in the script-tag bundle, from its deferred chunk).
      const start = (sync: typeof storageSync) => { if (!this.#destroyed) send(sync(win, name, ls, receive, this.#syncTeardown)); };
      if (!__UMD__) start(storageSync);
      else void loadChunk('deferred').then(() => parts.storageSync && start(parts.storageSync), () => {});
    }
    // A profile that appears later releases Insights events that were waiting for one.
    this.#teardown.push(this.#store.select('profile').subscribe((p) => {
      if (p && this.#insightsQueue.some((e) => !e.profileId)) void this.#flushInsights(0);
    }));
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

function safeLocalStorage(win: Window): Storage | undefined {
  try { return win.localStorage ?? undefined; } catch { return undefined; }
}

export { uuid };
