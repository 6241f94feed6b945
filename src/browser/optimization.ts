/**
 * `ContentfulOptimization`: the stateful browser runtime.
 *
 * It follows profile-synchronization.txt and consent-management.txt: consent for events and for
 * persistence, profile continuity through localStorage and the `ctfl-opt-aid` cookie, Experience
 * API calls that publish profile, selected optimizations and changes as one snapshot, Insights
 * events, observable state and the server handoff.
 */
import { readProfile } from '../core/api.js';
import type { ConsentChoice, ConsentValue } from '../core/consent.js';
import {
  buildClickEvent, buildHoverEvent, buildIdentifyEvent, buildPageEvent, buildScreenEvent, buildTrackEvent, buildViewEvent,
  uuid, type ComponentPayload, type FlagViewPayload, type HoverPayload, type ViewPayload,
} from '../core/events.js';
import { createLogger, type Logger } from '../core/log.js';
import type { IdentifyPayload, PagePayload, ScreenPayload, TrackPayload } from '../core/payloads.js';
import {
  getFlag, getFlagChange, getMergeTagValue, resolveOptimizedEntry as resolveFrom, type ContentfulEntry,
} from '../core/resolve.js';
import type { Json, SelectedOptimization } from '../core/wire.js';
import { createStore, type Observable, type Store, type Unsubscribe } from '../core/store.js';
import { experienceCall, insightsCall, refuse, viewCall } from './calls.js';
import { configWarnings, resolveConfig, type DroppedEvents, type OptimizationConfig, type ResolvedConfig } from './config.js';
import { DurableQueues } from './durable-queues.js';
import { FORCED } from './delivery.js';
import { ExperienceQueue } from './experience-queue.js';
import { InsightsQueue } from './insights-queue.js';
import { initialState } from './initial-state.js';
import { provideRuntime } from './registry.js';
import { StateEntries } from './state-entries.js';
import { Continuity } from './continuity.js';
import { loadChunk } from './chunks.js';
import { parts } from './parts.js';
import { trackCurrentPage, type RouteMemory } from './route-page.js';
import { followLifecycle, recoverQueues, shutDown } from './lifecycle.js';
import { syncTabs, type SyncMessage } from './tab-sync.js';
import { adoptCookie, resetVisitor, setConsent } from './visitor.js';
import { createKeyValueStore, DebugFlag, STORAGE_KEYS, type KeyValueStore } from './storage.js';

import type { OptimizationState, Overrides, ShownDecision, EventResult, TrackCurrentPageOptions } from './types.js';

export type { RequestState, EmittedEvent, OptimizationState, Overrides, ShownDecision, EventResult, EventError, TrackCurrentPageOptions } from './types.js';
export type { DroppedEvents, FlagViewPayload, HoverPayload, IdentifyPayload, PagePayload, ScreenPayload, TrackPayload, ViewPayload };

type StateKey = keyof OptimizationState;

export interface RuntimeDependencies {
  fetch?: typeof fetch;
  storage?: Storage;
  window?: Window;
  console?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
}

export class ContentfulOptimization {
  readonly config: ResolvedConfig;
  /** Observables of each state field; each `subscribe` calls at once and returns its unsubscribe. */
  readonly states: { readonly [K in StateKey]: Observable<OptimizationState[K]> };
  /**
   * Resolves once the event queues that earlier pages persisted (with persistence consent) are
   * taken over and queued behind what this page sent. Nothing waits for it: the first request
   * leaves at once.
   */
  readonly ready: Promise<void>;

  // Internals shared with the runtime's own modules (README → Contributing): `_like` names, left out
  // of the type declarations and renamed in the script-tag bundle.
  /** @internal */ _store: Store<OptimizationState>;
  /** @internal */ _log: Logger;
  /** @internal */ _win: Window;
  /** @internal */ _fetch: typeof fetch;
  /** @internal */ _kv: KeyValueStore;
  /** @internal */ _stateEntries: StateEntries;
  /** @internal */ _continuity: Continuity;
  /** @internal */ _queues: DurableQueues;
  /** @internal */ _exp = new ExperienceQueue(this, 'experience');
  /** @internal */ _ins = new InsightsQueue(this, 'insights');
  /** @internal Tells the other tabs of a change made here (tab-sync.ts). */
  _post: (m: SyncMessage) => void;
  /** @internal Listeners and timers, undone by destroy(). */
  _teardown: Array<() => void> = [];
  /** @internal The other tabs' messages: heard until destroy()'s last delivery pass is over. */
  _syncTeardown: Array<() => void> = [];
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

  #saveQueued = false;
  /** The route key trackCurrentPage() reported last. */
  #route: RouteMemory = {};

  constructor(config: OptimizationConfig, deps: RuntimeDependencies = {}) {
    const win = this._win = deps.window ?? window;
    this.config = resolveConfig(config, win.navigator?.language || 'en-US');
    const ls = deps.storage ?? safeLocalStorage(win);
    const kv = this._kv = createKeyValueStore(ls);
    const debug = kv.getValid(STORAGE_KEYS.debug, DebugFlag, undefined, false) === 'true';
    this._log = createLogger(debug ? 'debug' : this.config.logLevel, deps.console);
    // Configuration warnings are diagnostics: the script-tag bundle reports them once its deferred
    // chunk is here, a moment after the first request.
    const warn = (check: typeof configWarnings) => { for (const w of check(config)) this._log.warn('E009', w); };
    if (__UMD__) void loadChunk('deferred').then(() => parts.configWarnings && warn(parts.configWarnings), () => {});
    else warn(configWarnings);
    this._fetch = deps.fetch ?? win.fetch.bind(win);
    const { clientId, stateEntries } = this.config;
    this._stateEntries = new StateEntries({ clientId, cookies: stateEntries.cookies, domain: stateEntries.domain, doc: win.document, kv });
    // A destroyed runtime hears no other tab: its last write yields to a withdrawal made in one.
    this._queues = new DurableQueues(clientId, () => !this._destroyed || kv.get(STORAGE_KEYS.persistenceConsent) !== 'denied');
    const continuity = this._continuity = new Continuity(this.config, kv, win.document, this._log);

    // Steps 1 to 4 (initial-state.ts), as one snapshot.
    this._store = createStore(initialState(this), (error) => this._log.error('E010', '', error));
    // Every field of the initial snapshot, and the preview overrides (absent until a preview sets them).
    const keys = [...Object.keys(this._store.value), 'overrides'] as StateKey[];
    this.states = Object.fromEntries(keys.map((k) => [k, this._store.select(k)])) as ContentfulOptimization['states'];

    const persisting = this._store.value.persistenceConsent === true;
    // 5. and 6. Cookie adoption, only with persistence consent.
    if (persisting) adoptCookie(this);
    // Mirror state to durable storage after each change (best effort, never blocks subscribers).
    this._teardown.push(this._store.subscribe((s) => continuity._persist(s)));
    if (persisting) {
      continuity._persist(this._store.value, true);
      this._stateEntries.load();
    }
    this.ready = persisting ? recoverQueues(this) : Promise.resolve();
    followLifecycle(this, this._teardown);
    this._post = syncTabs(this, ls, this._syncTeardown);
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
  // Events (calls.ts: the call's form, the consent gate, the page's context)

  /** A page view; `properties` merge into the page's own (path, query, referrer, search, title, url). */
  page(payload?: PagePayload): Promise<EventResult> {
    return experienceCall(this, 'page', payload, arguments[1], (base, p) => buildPageEvent(base, p.properties ?? {}, p.userId));
  }

  identify(payload: IdentifyPayload): Promise<EventResult> {
    return experienceCall(this, 'identify', payload, arguments[1], (base, p) => buildIdentifyEvent(base, p.userId, p.traits ?? {}));
  }

  track(payload: TrackPayload): Promise<EventResult> {
    return experienceCall(this, 'track', payload, arguments[1], (base, p) => buildTrackEvent(base, p.event, p.properties ?? {}));
  }

  screen(payload: ScreenPayload): Promise<EventResult> {
    return experienceCall(this, 'screen', payload, arguments[1], (base, p) => buildScreenEvent(base, p.name, p.properties ?? {}));
  }

  /**
   * A page event for apps with their own router: call it on every route change. A repeat of the
   * route key last reported sends nothing; `initialPageEvent: 'skip'` records the first route
   * without sending (the page event of the load, or the server, already reported it).
   * `buildPayload()` gives the page payload, otherwise `{ properties }` is sent.
   */
  trackCurrentPage(options: TrackCurrentPageOptions): Promise<EventResult> {
    const extra = arguments[1];
    const run = (track: typeof trackCurrentPage) => track(this, this.#route, options, extra, (p) => refuse(this, p));
    // In the script-tag bundle it comes with the deferred chunk: at once when that is here (a call
    // right after keeps its order), else once it is.
    if (!__UMD__) return run(trackCurrentPage);
    if (parts.trackCurrentPage) return run(parts.trackCurrentPage);
    return loadChunk('deferred').then(() => run(parts.trackCurrentPage!), () => ({ accepted: false }));
  }

  /** A view. Sticky views go to the Experience API first (so the API pins the variant), then Insights. */
  trackView(payload: ViewPayload): Promise<EventResult> {
    return viewCall(this, payload, arguments[1]);
  }

  trackClick(payload: ComponentPayload): Promise<EventResult> {
    return insightsCall(this, 'trackClick', payload, arguments[1], buildClickEvent);
  }

  trackHover(payload: HoverPayload): Promise<EventResult> {
    return insightsCall(this, 'trackHover', payload, arguments[1], buildHoverEvent);
  }

  /** A Custom Flag was read and shown: an Insights `component` event of type `Variable`. */
  trackFlagView(payload: FlagViewPayload): Promise<EventResult> {
    return insightsCall(this, 'trackFlagView', payload, arguments[1], (base, p) => {
      const change = getFlagChange(p.componentId, this._store.value.changes);
      return buildViewEvent(base, {
        componentType: 'Variable',
        componentId: p.componentId,
        experienceId: p.experienceId ?? change?.meta.experienceId,
        variantIndex: p.variantIndex ?? change?.meta.variantIndex ?? 0,
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
    const res = await read({ ...this._exp._apiBase(), profileId });
    if (generation !== this._generation) return { accepted: false };
    return this._exp._apply(res);
  }

  // ---------------------------------------------------------------------------------------------
  // Consent and continuity (visitor.ts), delivery, the end

  /**
   * `consent(true | false)` sets both event and persistence consent; `consent({events, persistence})`
   * changes only the fields given.
   */
  consent(choice: boolean | ConsentChoice): void { setConsent(this, choice); }

  /**
   * Ends this visitor's continuity: clears profile, selected optimizations, changes, the event
   * streams, the anonymous id, queued events, durable storage and the cookie. Keeps consent.
   */
  reset(): void { resetVisitor(this); }

  /**
   * Sends what is queued now (Insights and any Experience events waiting for a retry), and resolves
   * once those deliveries — and one already under way — are over.
   */
  async flush(): Promise<void> {
    await Promise.all([this._exp._flush(FORCED), this._ins._flush(FORCED)]);
  }

  /**
   * Delivers what is queued and releases listeners and timers (lifecycle.ts); the events a call
   * made just before are delivered too. Persisted user state stays.
   */
  destroy(): void { if (!this._destroyed) shutDown(this); }

  // ---------------------------------------------------------------------------------------------
  // Resolvers

  /**
   * Which variant of an entry this visitor sees: by baseline id, or from an entry with
   * `nt_experiences`. With preview overrides, the decision they give, marked `override` when it is
   * not the visitor's own.
   */
  resolveEntry(entry: string | ContentfulEntry): ShownDecision {
    const s = this._store.value;
    const own = resolveFrom(entry, s.selectedOptimizations);
    if (!s.overrides) return own; // every element asks on every update: no second pass without a preview
    const shown = resolveFrom(entry, shownState(s).selectedOptimizations);
    return shown.entryId === own.entryId && shown.experienceId === own.experienceId && shown.variantIndex === own.variantIndex
      ? own : { ...shown, override: true };
  }

  /**
   * `resolveEntry()` under the reference SDKs' name, for apps that render variants themselves
   * (`<ctfl-optimized-entry headless>`). With `selected`, from those selected optimizations (a
   * server's answer, say) instead of this visitor's state.
   */
  resolveOptimizedEntry(entry: string | ContentfulEntry, selected?: readonly SelectedOptimization[]): ShownDecision {
    return selected === undefined ? this.resolveEntry(entry) : resolveFrom(entry, selected);
  }

  /** A merge tag from the active profile: `traits.firstname` or `traits_firstname`. Text only. */
  getMergeTagValue(path: string, fallback?: string): string | undefined {
    return getMergeTagValue(path, this._store.value.profile, fallback);
  }

  /** A Custom Flag's value (`{value: X}` unwrapped; preview overrides applied), or `fallback` when no change has the key. */
  getFlag<T extends Json | null | undefined = Json | null | undefined>(key: string, fallback?: T): Json | null | T | undefined {
    const v = getFlag(key, shownState(this._store.value).changes);
    return v === undefined ? fallback : v;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals the delivery queues share

  /** @internal Mirrors the queues (in flight included) to IndexedDB, once per task, with persistence consent only. */
  _save(): void {
    if (this.#saveQueued || this._store.value.persistenceConsent !== true) return;
    this.#saveQueued = true;
    queueMicrotask(() => { this.#saveQueued = false; this._saveNow(); });
  }

  /** @internal */
  _saveNow(): void {
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
}

/** The state with preview overrides applied (for the resolvers only). */
function shownState(s: OptimizationState): Pick<OptimizationState, 'selectedOptimizations' | 'changes'> {
  return s.overrides ? { ...s, ...s.overrides(s) } : s;
}

function safeLocalStorage(win: Window): Storage | undefined {
  try { return win.localStorage ?? undefined; } catch { return undefined; }
}

export { uuid };
