/**
 * `ContentfulOptimization`: the stateful browser runtime.
 *
 * It follows profile-synchronization.txt and consent-management.txt: consent for events and for
 * persistence, profile continuity through localStorage and the `ctfl-opt-aid` cookie, Experience
 * API calls that publish profile, selected optimizations and changes as one snapshot, Insights
 * events, observable state and the server handoff.
 */
import { readProfile, type ApiResult, type ExperienceResult } from '../core/api.js';
import {
  isMethodAllowed, METHOD_EVENT_TYPES, normalizeConsentChoice,
  type BlockedEvent, type ConsentChoice, type ConsentValue, type GatedMethod,
} from '../core/consent.js';
import {
  buildClickEvent, buildHoverEvent, buildIdentifyEvent, buildPageEvent, buildScreenEvent, buildTrackEvent, buildViewEvent,
  uuid, type ComponentPayload, type EventBase, type FlagViewPayload, type HoverPayload, type ViewPayload,
} from '../core/events.js';
import { createLogger, type Logger } from '../core/log.js';
import {
  payloadProblem, type IdentifyPayload, type PagePayload, type PayloadMethod, type ScreenPayload, type TrackPayload,
} from '../core/payloads.js';
import {
  getFlag, getFlagChange, getMergeTagValue, resolveByBaselineId, resolveEntryJson,
  type ContentfulEntry,
} from '../core/resolve.js';
import type { Json, SelectedOptimization } from '../core/wire.js';
import { createStore, deepFreeze, type Observable, type Store, type Unsubscribe } from '../core/store.js';
import { configWarnings, resolveConfig, type DroppedEvents, type OptimizationConfig, type ResolvedConfig } from './config.js';
import type { Ev } from './queue-store.js';
import { DurableQueues } from './durable-queues.js';
import { withLock } from './locks.js';
import { FORCED, LAST } from './delivery.js';
import { ExperienceQueue } from './experience-queue.js';
import { InsightsQueue } from './insights-queue.js';
import * as recovery from './queue-recovery.js';
import { readHandoff } from './handoff.js';
import { currentRuntime, provideRuntime } from './registry.js';
import { currentPage } from './page.js';
import { StateEntries } from './state-entries.js';
import { Continuity } from './continuity.js';
import { loadChunk } from './chunks.js';
import { parts } from './parts.js';
import { trackCurrentPage, type RouteMemory } from './route-page.js';
import { followLifecycle } from './lifecycle.js';
import { syncTabs, type SyncMessage } from './tab-sync.js';
import { createKeyValueStore, DebugFlag, STORAGE_KEYS, type KeyValueStore } from './storage.js';

import type { EmittedEvent, OptimizationState, Overrides, ShownDecision, EventResult, TrackCurrentPageOptions } from './types.js';

export type { RequestState, EmittedEvent, OptimizationState, Overrides, ShownDecision, EventResult, EventError, TrackCurrentPageOptions } from './types.js';
export type { DroppedEvents, FlagViewPayload, HoverPayload, IdentifyPayload, PagePayload, ScreenPayload, TrackPayload, ViewPayload };

type StateKey = keyof OptimizationState;
const HISTORY = 50;


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

  // Internals shared with the runtime's own modules (delivery queues, continuity, lifecycle, tab
  // sync): `_like` names, left out of the type declarations and renamed in the script-tag bundle.
  /** @internal */ _store: Store<OptimizationState>;
  /** @internal */ _win: Window;
  /** @internal */ _fetch: typeof fetch;
  /** @internal */ _stateEntries: StateEntries;
  /** @internal */ _continuity: Continuity;
  /** @internal */ _queues: DurableQueues;
  /** @internal */ _exp = new ExperienceQueue(this, 'experience');
  /** @internal */ _ins = new InsightsQueue(this, 'insights');
  /** @internal */ _destroyed = false;
  /** @internal Bumped by reset() and cookie adoption: work started before belongs to a previous identity. */
  _generation = 0;
  /** @internal Bumped whenever queues are purged (consent(false), reset()): nothing started before is retried or followed up. */
  _purges = 0;
  /** @internal messageIds another page adopted from this tab's persisted queue while this page was in the back/forward cache. */
  _taken = new Set<string>();
  /** @internal Between a `pagehide` into the back/forward cache (with persistence consent) and the next `pageshow`. */
  _leaving = false;
  /** @internal Back from the back/forward cache, until it is known what another page took over meanwhile. */
  _resuming: Promise<void> | undefined;

  #kv: KeyValueStore;
  #saveQueued = false;
  #post: (m: SyncMessage) => void;
  #teardown: Array<() => void> = [];
  /** The route key trackCurrentPage() reported last. */
  #route: RouteMemory = {};
  /** The other tabs' messages: heard until destroy()'s last delivery pass is over. */
  #syncTeardown: Array<() => void> = [];

  constructor(config: OptimizationConfig, deps: RuntimeDependencies = {}) {
    this._win = deps.window ?? window;
    const nav = this._win.navigator;
    this.config = resolveConfig(config, nav?.language || 'en-US');
    const ls = deps.storage ?? safeLocalStorage(this._win);
    this.#kv = createKeyValueStore(ls);
    const debug = this.#kv.getValid(STORAGE_KEYS.debug, DebugFlag, undefined, false) === 'true';
    this.log = createLogger(debug ? 'debug' : this.config.logLevel, deps.console);
    // Configuration warnings are diagnostics: the script-tag bundle reports them once its deferred
    // chunk is here, a moment after the first request.
    const warn = (check: typeof configWarnings) => { for (const w of check(config)) this.log.warn('E009', w); };
    if (__UMD__) void loadChunk('deferred').then(() => parts.configWarnings && warn(parts.configWarnings), () => {});
    else warn(configWarnings);
    this._fetch = deps.fetch ?? this._win.fetch.bind(this._win);
    this._stateEntries = new StateEntries({
      clientId: this.config.clientId, cookies: this.config.stateEntries.cookies, domain: this.config.stateEntries.domain,
      doc: this._win.document, kv: this.#kv,
    });
    // A destroyed runtime hears no other tab: its last write yields to a withdrawal made in one.
    this._queues = new DurableQueues(this.config.clientId, () => !this._destroyed || this.#kv.get(STORAGE_KEYS.persistenceConsent) !== 'denied');

    // 1. Resolve event consent and persistence consent: explicit defaults, then persisted values,
    //    then legacy accepted consent. A boolean `defaults.consent` maps to both.
    const d = this.config.defaults;
    const continuity = this._continuity = new Continuity(this.config, this.#kv, this._win.document, this.log);
    const stored = continuity._storedConsent();
    const consent = d.consent ?? stored.consent;
    // Stored event consent alone (consent({events: true})) says nothing about persistence.
    const persistenceConsent = d.persistenceConsent ?? d.consent ?? stored.persistence;

    // 2. Merge explicit defaults; the server handoff element is this page's explicit data.
    const handoff = this.config.handoff
      ? readHandoff(this._win.document, __DEV__ ? (why) => this.log.debug(`server handoff ignored: ${why}`) : undefined)
      : undefined;
    let profile = handoff?.profile ?? (d.profile ? deepFreeze(d.profile) : undefined);
    let selectedOptimizations = handoff?.selectedOptimizations ?? (d.selectedOptimizations ? deepFreeze(d.selectedOptimizations) : undefined);
    let changes = handoff?.changes ?? (d.changes ? deepFreeze(d.changes) : undefined);

    // 3. Durable profile continuity only when persistence consent resolves to true.
    if (persistenceConsent === true) {
      const durable = continuity._load();
      profile ??= durable.profile;
      selectedOptimizations ??= durable.selectedOptimizations;
      changes ??= durable.changes;
    } else if (persistenceConsent === false) {
      continuity._clear();
      this._stateEntries.clearDurable();
      // Queues a previous page persisted are durable SDK storage too (consent({persistence: false}) clears them).
      void this._queues.clear();
    }

    // 4. Initialize state with the merged values, as one snapshot.
    this._store = createStore<OptimizationState>({
      profile, selectedOptimizations, changes, consent, persistenceConsent,
      blockedEvents: Object.freeze([]), events: Object.freeze([]),
      requestState: { status: 'idle' },
      online: nav?.onLine !== false,
    }, (error) => this.log.error('E010', '', error));
    // Every field of the initial snapshot, and the preview overrides (absent until a preview sets them).
    const keys = [...Object.keys(this._store.value), 'overrides'] as StateKey[];
    this.states = Object.fromEntries(keys.map((k) => [k, this._store.select(k)])) as ContentfulOptimization['states'];

    // 5. and 6. Cookie adoption, only with persistence consent.
    if (persistenceConsent === true) this.#adoptCookie();

    // Mirror state to durable storage after each change (best effort, never blocks subscribers).
    this.#teardown.push(this._store.subscribe((s) => continuity._persist(s)));
    if (persistenceConsent === true) continuity._persist(this._store.value, true);

    if (persistenceConsent === true) this._stateEntries.load();
    this.ready = persistenceConsent === true ? this._recover() : Promise.resolve();
    followLifecycle(this, this.#teardown);
    this.#post = syncTabs(this, ls, this.#syncTeardown);
    provideRuntime(this);
  }

  // ---------------------------------------------------------------------------------------------
  // Observable state

  /** The current frozen snapshot. */
  get state(): OptimizationState { return this._store.value; }
  get consentState(): { events: ConsentValue; persistence: ConsentValue } {
    return { events: this._store.value.consent, persistence: this._store.value.persistenceConsent };
  }

  /** Calls `fn` at once with the whole snapshot, then after every change; returns its unsubscribe. */
  subscribe(fn: (state: OptimizationState) => void): Unsubscribe { return this._store.subscribe(fn); }

  /** The anonymous id the next Experience event will use, if any (getAnonymousId → profile.id). */
  get anonymousId(): string | undefined { return this._continuity._profileId(this._store.value); }

  /** Events waiting for delivery, queued or in flight, per API. */
  get queued(): { readonly experience: number; readonly insights: number } {
    const length = (q: ExperienceQueue | InsightsQueue) => q._queue.length + q._out.length;
    return { experience: length(this._exp), insights: length(this._ins) };
  }

  // ---------------------------------------------------------------------------------------------
  // Preview

  /**
   * Opens `<ctfl-preview-panel>`, loaded on first use (`optimization.preview.js` next to the
   * script-tag bundle; a separate module of the package): this visitor's state, live, and overrides
   * that only this tab shows. Resolves with the panel.
   */
  preview(): Promise<HTMLElementTagNameMap['ctfl-preview-panel']> {
    // The chunk defines the element; the runtime knows it by its tag (and static open()) only.
    type Panel = { open(sdk: ContentfulOptimization): Promise<HTMLElementTagNameMap['ctfl-preview-panel']> };
    return loadChunk('preview').then(() => (customElements.get('ctfl-preview-panel') as unknown as Panel).open(this));
  }

  /** Sets or (with `undefined`) ends the preview overrides; elements show the result at once. */
  setOverrides(overrides: Overrides | undefined): void {
    this._store.set({ overrides });
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
    const sticky = payload.sticky ?? (!!payload.experienceId && this._store.value.selectedOptimizations?.some((o) => o.experienceId === payload.experienceId && o.sticky === true));
    let result: EventResult = { accepted: true };
    if (sticky) {
      const purges = this._purges;
      result = await this._exp._push(buildViewEvent(this.#base(), payload));
      // Purged while the Experience request was out (consent(false), reset()): no Insights follow-up.
      if (!result.accepted || purges !== this._purges) return { accepted: false, ...(result.error ? { error: result.error } : {}) };
    }
    this._ins._push(buildViewEvent(this.#base(), payload));
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
      const change = getFlagChange(payload.componentId, this._store.value.changes);
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
    const profileId = this._continuity._profileId(this._store.value);
    if (!profileId) return { accepted: false };
    const generation = this._generation;
    // The script-tag bundle reads profiles with its deferred chunk.
    const read = __UMD__ ? await loadChunk('deferred').then(() => parts.readProfile, () => undefined) : readProfile;
    if (!read) return { accepted: false };
    const res = await read({ ...this._apiBase(), profileId });
    if (generation !== this._generation) return { accepted: false };
    return this._apply(res);
  }

  // ---------------------------------------------------------------------------------------------
  // Consent

  /**
   * `consent(true | false)` sets both event and persistence consent; `consent({events, persistence})`
   * changes only the fields given.
   */
  consent(choice: boolean | ConsentChoice): void {
    const c = normalizeConsentChoice(choice);
    const before = this._store.value;
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
      void this._queues.clear();
      this._continuity._clear();
      this._stateEntries.clearDurable();
    }
    const grantedLater = c.persistence === true && before.persistenceConsent !== true;
    if (grantedLater) {
      // Granted later: load the durable anonymous id and run the cookie adoption check before the
      // state is mirrored, or the session's profile id would overwrite a server-set cookie first.
      this._continuity._id = this._continuity._storedId() ?? this._continuity._id;
      this.#adoptCookie();
    }
    this._store.set(patch);
    this.#post({ c });
    if (grantedLater) {
      this._save();
      this._continuity._persist(this._store.value, true);
      this._stateEntries.enablePersistence();
      this._stateEntries.load();
    }
  }

  /**
   * Ends this visitor's continuity: clears profile, selected optimizations, changes, the event
   * streams, the anonymous id, queued events, durable storage and the cookie. Keeps consent.
   */
  reset(): void {
    this._generation++;
    this.#purgeQueues('reset');
    this._continuity._clear();
    this._stateEntries.clear();
    this._store.set({
      profile: undefined, selectedOptimizations: undefined, changes: undefined, requestState: { status: 'idle' },
      events: Object.freeze([]), blockedEvents: Object.freeze([]),
    });
    this.#post({ r: 1 });
  }

  /**
   * Sends what is queued now (Insights and any Experience events waiting for a retry), and resolves
   * once those deliveries — and one already under way — are over.
   */
  async flush(): Promise<void> {
    await Promise.all([this._exp._flush(FORCED), this._ins._flush(FORCED)]);
  }

  /** Flushes the queues and releases listeners and timers. Persisted user state stays. */
  destroy(): void {
    if (this._destroyed) return;
    // Queued Experience events go out too: the loop drains what is queued even once destroyed
    // (the gate lets nothing new in and no retry is scheduled after this point).
    // The persisted copy is final before the queues can be adopted by another runtime — so it is
    // written once no Experience request is out: a request in flight (which flush() does not wait
    // for) would otherwise stay in it although delivered, and be sent again by the next page.
    this._destroyed = true;
    // Elements connected from now on wait for another runtime instead of binding to this one.
    if (currentRuntime() === this) provideRuntime(undefined);
    if (this._store.value.persistenceConsent === true) this._queues.closing();
    // Until that last pass is over, other tabs are still heard: a consent withdrawal or reset() made
    // in one meanwhile purges what is left here too.
    void Promise.allSettled([this.#drainExperience(), this._ins._flush(LAST)]).then(() => {
      this.#saveNow();
      this._queues.close();
      for (const off of this.#syncTeardown.splice(0)) off();
    });
    for (const off of this.#teardown.splice(0)) off();
    this._exp._reset();
    this._ins._reset();
  }

  /**
   * destroy(): a delivery under way finishes first, then what is still queued leaves in one last
   * pass — also a `track()` made just before destroy(), which a pass already under way may have
   * missed: it is delivered and its promise settles.
   */
  async #drainExperience(): Promise<void> {
    const exp = this._exp;
    const idle = async () => { while (exp._pass) await exp._pass; };
    await idle();
    await exp._flush(LAST);
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
    const s = this._store.value;
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
    return getMergeTagValue(path, this._store.value.profile, fallback);
  }

  /** A Custom Flag's value (`{value: X}` unwrapped; preview overrides applied), or `fallback` when no change has the key. */
  getFlag<T extends Json | null | undefined = Json | null | undefined>(key: string, fallback?: T): Json | null | T | undefined {
    const v = getFlag(key, this.#shown(this._store.value).changes);
    return v === undefined ? fallback : v;
  }

  /** The state with preview overrides applied (for the resolvers only). */
  #shown(s: OptimizationState): Pick<OptimizationState, 'selectedOptimizations' | 'changes'> {
    return s.overrides ? { ...s, ...s.overrides(s) } : s;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: gate, queues, delivery

  #gate(method: GatedMethod): boolean {
    if (this._destroyed) return false;
    const { consent } = this._store.value;
    if (isMethodAllowed(method, consent, this.config.allowedEventTypes)) return true;
    const blocked: BlockedEvent = Object.freeze({
      reason: 'consent', method, eventType: METHOD_EVENT_TYPES[method][0], consent, at: new Date().toISOString(),
    });
    this._store.set({ blockedEvents: Object.freeze([...this._store.value.blockedEvents, blocked].slice(-HISTORY)) });
    if (__DEV__) this.log.debug(`${method}() blocked: no event consent and "${blocked.eventType}" is not in allowedEventTypes`);
    try { this.config.onEventBlocked?.(blocked); } catch (error) {
      this.log.error('E011', '', error);
    }
    return false;
  }

  #base(): EventBase {
    return {
      channel: 'web',
      locale: this.config.locale,
      userAgent: this._win.navigator?.userAgent,
      page: currentPage(this._win),
      app: this.config.app,
      library: { name: __PACKAGE_NAME__, version: __VERSION__ },
      isConsentGiven: this._store.value.consent === true,
    };
  }

  /** @internal */
  _apiBase() {
    return {
      baseUrl: this.config.experienceBaseUrl, clientId: this.config.clientId, environment: this.config.environment,
      locale: this.config.locale, fetch: this._fetch, timeoutMs: this.config.timeoutMs, ip: this.config.ip,
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
    if (accepted) this._ins._push(build());
    return Promise.resolve({ accepted });
  }

  #experience<P>(method: PayloadMethod & GatedMethod, payload: P | undefined, extra: unknown, build: (p: P) => Record<string, unknown>): Promise<EventResult> {
    const problem = payloadProblem(method, payload, extra);
    if (problem) return Promise.resolve(this.#refuse(problem));
    if (!this.#gate(method)) return Promise.resolve({ accepted: false });
    return this._exp._push(build(payload ?? ({} as P)));
  }

  /**
   * One delivery at a time across the tabs of this site (Web Locks where available). A lock that is
   * not granted in time (held by a page in the back/forward cache) or cannot be had is done without.
   * @internal
   */
  _locked(fn: () => Promise<void>): Promise<void> {
    return withLock(`ctfl-opt-flush:${this.config.clientId}`, fn);
  }

  /** @internal */
  _apply(res: ApiResult<ExperienceResult>): EventResult {
    if (!res.ok) {
      this._fail(res);
      // Not retried (refused, redirected, unreadable): the event is not delivered by us.
      return { accepted: false, error: Object.freeze({ reason: res.reason, code: res.code, status: res.status, message: res.message }) };
    }
    const { profile, selectedOptimizations, changes } = res.data.data;
    const before = this._store.value.profile?.id;
    // One snapshot: no subscriber ever sees profile from one response and selections from another.
    this._store.set({ profile, selectedOptimizations, changes, requestState: { status: 'success', at: new Date().toISOString() } });
    // A new profile reaches the other tabs at once.
    if (profile.id !== before) this.#post({ d: res.data.data });
    return { accepted: true, data: res.data.data };
  }

  /** @internal */
  _fail(res: Extract<ApiResult<unknown>, { ok: false }>): void {
    this._store.set({
      requestState: Object.freeze({
        status: 'failed', reason: res.reason, code: res.code, httpStatus: res.status, message: res.message, at: new Date().toISOString(),
      }),
    });
    if (__DEV__) this.log.debug(`Experience request failed: ${res.reason}${res.status ? ` (${res.status})` : ''} ${res.message}`);
  }

  /** @internal Durable queues taken up again (queue-recovery.ts): adopted (`back` false), or back from the back/forward cache. */
  _recover(back?: boolean): Promise<void> {
    const run = (r: typeof recovery) => (back ? r.resume : r.restore)(this);
    const p: Promise<void> = __UMD__ ? loadChunk('deferred').then(() => parts.recovery && run(parts.recovery), () => {}) : run(recovery);
    if (!back) return p;
    // Until it is known what another page took over meanwhile, nothing leaves (delivery.ts).
    const resuming = this._resuming = p.finally(() => { if (this._resuming === resuming) this._resuming = undefined; });
    return resuming;
  }

  /** @internal Mirrors the queues (in flight included) to IndexedDB, once per task, with persistence consent only. */
  _save(): void {
    if (this.#saveQueued || this._store.value.persistenceConsent !== true) return;
    this.#saveQueued = true;
    queueMicrotask(() => { this.#saveQueued = false; this.#saveNow(); });
  }

  #saveNow(): void {
    if (this._store.value.persistenceConsent !== true) return;
    this._queues.save({
      e: [...this._exp._out, ...this._exp._queue].map((p) => p.event),
      i: [...this._ins._out, ...this._ins._queue],
    });
  }

  /** @internal Past a cap the oldest events go, reported to onDrop. */
  _cap(): void {
    const { maxExperienceEvents, maxInsightsEvents } = this.config.queue;
    this._exp._cap(maxExperienceEvents);
    this._ins._cap(maxInsightsEvents);
    this._save();
  }

  /** @internal */
  _drop(api: DroppedEvents['api'], reason: DroppedEvents['reason'], events: Ev[]): void {
    if (reason === 'cap') this.log.warnOnce('E022', api);
    try {
      this.config.onDrop?.(Object.freeze({ api, reason, messageIds: Object.freeze(events.map((e) => String(e.messageId))) }));
    } catch (error) {
      this.log.error('E014', '', error);
    }
  }

  /** @internal An event made: into the `events` state (the last 50). */
  _emitted(api: 'experience' | 'insights', event: Record<string, unknown>): void {
    const e: EmittedEvent = Object.freeze({ api, type: String(event.type), messageId: String(event.messageId), at: String(event.timestamp) });
    this._store.set({ events: Object.freeze([...this._store.value.events, e].slice(-HISTORY)) });
  }

  #purgeQueues(why: string): void {
    const dropped = this._exp._purge().length + this._ins._purge().length;
    this._purges++;
    void this._queues.clear();
    if (__DEV__ && dropped) this.log.debug(`${why}: ${dropped} queued event(s) purged`);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals: identity and durable continuity

  /** Steps 5 and 6 (continuity.ts); a cookie naming another profile ends the active one here. */
  #adoptCookie(): void {
    if (!this._continuity._adoptCookie(this._store.value.profile)) return;
    this._generation++;
    this._store.set({ profile: undefined, selectedOptimizations: undefined, changes: undefined });
  }
}

function safeLocalStorage(win: Window): Storage | undefined {
  try { return win.localStorage ?? undefined; } catch { return undefined; }
}

export { uuid };
