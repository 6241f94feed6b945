/**
 * The stateless server runtime. `ContentfulOptimization` holds configuration only; `forRequest()`
 * binds one request's consent, locale, profile and event context into a `RequestOptimization` that
 * lives as long as that request. Nothing about a visitor is kept on the instance, so concurrent
 * requests in a long-lived process (or a reused serverless instance) never see each other's profile.
 *
 * Consent follows consent-management.txt for Node: event calls fail closed except for the
 * configured `allowedEventTypes` (default `identify`, `page`), and those carry
 * `context.gdpr.isConsentGiven: false` until event consent is `true`. Persisting the returned profile
 * id is the application's job, and only when `canPersistProfile` says so.
 */
import { isIP } from 'node:net';
import { sendExperienceEvents, sendInsightsBatch, type ApiResult, type FailureReason } from '../core/api.js';
import { isMethodAllowed, METHOD_EVENT_TYPES, normalizeConsentChoice, type ConsentChoice, type GatedMethod } from '../core/consent.js';
import {
  buildClickEvent, buildHoverEvent, buildIdentifyEvent, buildPageEvent, buildScreenEvent, buildTrackEvent, buildViewEvent,
  queryFrom, type ComponentPayload, type EventBase, type FlagViewPayload, type HoverPayload, type JsonRecord, type PageInfo, type ViewPayload,
} from '../core/events.js';
import { createLogger, OptimizationError, type Logger } from '../core/log.js';
import {
  payloadProblem, type IdentifyPayload, type PagePayload, type PayloadMethod, type ScreenPayload, type TrackPayload,
} from '../core/payloads.js';
import { getFlagChange } from '../core/resolve.js';
import { ProfileId, type InsightsBatch, type OptimizationData, type Profile } from '../core/schemas.js';
import { resolveServerConfig, type ResolvedServerConfig, type ServerConfig } from './config.js';

const LOCALE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;
const MAX_USER_AGENT = 512;

export interface RequestPage {
  /** The page's absolute URL; path, search and query are derived from it unless given. */
  url: string;
  path?: string;
  search?: string;
  query?: Record<string, string>;
  referrer?: string;
  title?: string;
}

export interface EventContextInput {
  /** The page being rendered. */
  page?: RequestPage;
  /** The visitor's `User-Agent` header. */
  userAgent?: string;
  /** The visitor's IP address, sent as `X-Force-IP` (for location features). Invalid values are ignored. */
  ip?: string;
  /** `context.locale` of events; defaults to the request's `locale`. */
  locale?: string;
  /** Overrides `context.campaign` (otherwise derived from the page's `utm_*` parameters). */
  campaign?: { name?: string; source?: string; medium?: string; term?: string; content?: string };
}

export interface ForRequestOptions {
  /**
   * This request's consent, from the application's own consent record (cookie, session, CMP token).
   * `true`/`false` set events and persistence alike; omitted means no decision (fail closed).
   */
  consent?: boolean | ConsentChoice;
  /** The Experience API locale (`?locale=`, localized location names) and default event locale. */
  locale?: string;
  /** The profile to continue, usually `{ id: readAnonymousId(req.headers.cookie) }`; omit for a new one. */
  profile?: { id: string } | undefined;
  eventContext?: EventContextInput;
  /** Evaluate without storing: previews only. Never adopt or persist an id from a preflight. */
  preflight?: boolean;
}

export interface ServerEventResult {
  /**
   * True when the API took the event. False when the consent gate blocked the call, an
   * Insights-only call had no profile, or the API refused the event or could not be reached
   * (`error` says which; the server keeps no queue, so nothing retries it).
   */
  readonly accepted: boolean;
  /** The Experience API's answer, when there was one. */
  readonly data?: OptimizationData;
  /** Why the API did not take the event. */
  readonly error?: { readonly reason: FailureReason; readonly status?: number; readonly code?: string; readonly message: string };
}

export type { FlagViewPayload, HoverPayload, IdentifyPayload, PagePayload, ScreenPayload, TrackPayload, ViewPayload };


/** The server entry. Create once per process; call `forRequest()` once per request. */
export class ContentfulOptimization {
  readonly config: ResolvedServerConfig;
  readonly log: Logger;

  constructor(config: ServerConfig) {
    this.config = resolveServerConfig(config);
    this.log = createLogger(this.config.logLevel);
  }

  /** A client bound to one request. Throws E056 when an option has the wrong type. */
  forRequest(options: ForRequestOptions = {}): RequestOptimization {
    return new RequestOptimization(this.config, this.log, options);
  }
}

const fail = (field: string, what: string): never => {
  throw new OptimizationError('E056', `${field}: ${what}`);
};
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const optString = (v: unknown, field: string) => {
  if (v !== undefined && typeof v !== 'string') fail(field, 'expected a string');
  return v as string | undefined;
};

/** One request's view of the runtime: its consent, profile and context, and the event methods. */
export class RequestOptimization {
  readonly #config: ResolvedServerConfig;
  readonly #log: Logger;
  readonly #events: boolean | undefined;
  readonly #persistence: boolean | undefined;
  readonly #apiLocale: string | undefined;
  readonly #eventLocale: string;
  readonly #page: PageInfo | undefined;
  readonly #userAgent: string | undefined;
  readonly #ip: string | undefined;
  readonly #campaign: Record<string, string> | undefined;
  readonly #preflight: boolean;
  #profile: Profile | { id: string } | undefined;
  #data: OptimizationData | undefined;
  /** Experience calls of one request run one after another, so the id one creates is used by the next. */
  #chain: Promise<unknown> = Promise.resolve();

  /** @internal Use `ContentfulOptimization#forRequest()`. */
  constructor(config: ResolvedServerConfig, log: Logger, options: ForRequestOptions) {
    this.#config = config;
    this.#log = log;
    if (!isObject(options)) fail('forRequest options', 'expected an object');
    const { consent, locale, profile, eventContext, preflight } = options;
    if (consent !== undefined && typeof consent !== 'boolean' && !isObject(consent)) {
      fail('consent', 'expected true, false or { events, persistence }');
    }
    if (isObject(consent)) {
      for (const k of ['events', 'persistence'] as const) {
        if (consent[k] !== undefined && typeof consent[k] !== 'boolean') fail(`consent.${k}`, 'expected a boolean');
      }
    }
    const choice = consent === undefined ? {} : normalizeConsentChoice(consent);
    this.#events = choice.events;
    this.#persistence = choice.persistence;
    if (preflight !== undefined && typeof preflight !== 'boolean') fail('preflight', 'expected a boolean');
    this.#preflight = preflight === true;
    if (optString(locale, 'locale') !== undefined && !LOCALE.test(locale!)) fail('locale', `expected a locale such as "en-US", got ${JSON.stringify(locale).slice(0, 40)}`);
    this.#apiLocale = locale;

    if (eventContext !== undefined && !isObject(eventContext)) fail('eventContext', 'expected an object');
    const ctx = (eventContext ?? {}) as EventContextInput;
    const eventLocale = optString(ctx.locale, 'eventContext.locale');
    if (eventLocale !== undefined && !LOCALE.test(eventLocale)) fail('eventContext.locale', 'expected a locale such as "en-US"');
    this.#eventLocale = eventLocale ?? locale ?? 'en-US';
    this.#page = ctx.page === undefined ? undefined : pageInfo(ctx.page);
    if (ctx.page !== undefined && !this.#page) log.debug('eventContext.page.url is not an absolute URL; events carry no page context');
    // Header values come from the visitor: keep them as data, bounded; drop what cannot be an IP.
    const ua = optString(ctx.userAgent, 'eventContext.userAgent');
    this.#userAgent = ua ? ua.slice(0, MAX_USER_AGENT) : undefined;
    const ip = optString(ctx.ip, 'eventContext.ip');
    this.#ip = ip && isIP(ip.trim()) ? ip.trim() : undefined;
    if (ip && !this.#ip) log.debug('eventContext.ip is not an IP address; it was ignored');
    if (ctx.campaign !== undefined) {
      if (!isObject(ctx.campaign)) fail('eventContext.campaign', 'expected an object');
      const c: Record<string, string> = {};
      for (const [k, v] of Object.entries(ctx.campaign)) if (typeof v === 'string' && v) c[k] = v;
      this.#campaign = c;
    }

    if (profile !== undefined && profile !== null) {
      if (!isObject(profile)) fail('profile', 'expected { id } or undefined');
      // The id usually comes from a cookie, i.e. from the visitor: junk is ignored, not thrown.
      if (ProfileId.safeParse(profile.id).success) this.#profile = { id: profile.id };
      else log.warnOnce('E057');
    }
  }

  /** The bound profile: the one given to `forRequest()`, then the one each accepted response returned. */
  get profile(): Profile | { id: string } | undefined { return this.#profile; }

  /** True only when this request's persistence consent is `true` (and it is not a preflight). */
  get canPersistProfile(): boolean { return this.#persistence === true && !this.#preflight; }

  /**
   * This request's consent as bound, `{ events, persistence }` (`undefined`: no decision): the shape
   * and name of the browser runtime's `consentState` (`consent` is only ever the method that sets it).
   */
  get consentState(): { events: boolean | undefined; persistence: boolean | undefined } {
    return { events: this.#events, persistence: this.#persistence };
  }

  // ---------------------------------------------------------------------------------------------
  // Experience events

  page(payload?: PagePayload): Promise<ServerEventResult> {
    const p = checked('page', payload, arguments[1]) ?? {};
    return this.#experience('page', () => buildPageEvent(this.#base(), p.properties ?? {}, p.userId));
  }

  identify(payload: IdentifyPayload): Promise<ServerEventResult> {
    const p = checked('identify', payload, arguments[1]);
    return this.#experience('identify', () => buildIdentifyEvent(this.#base(), p.userId, p.traits ?? {}));
  }

  track(payload: TrackPayload): Promise<ServerEventResult> {
    const p = checked('track', payload, arguments[1]);
    return this.#experience('track', () => buildTrackEvent(this.#base(), p.event, p.properties ?? {}));
  }

  screen(payload: ScreenPayload): Promise<ServerEventResult> {
    const p = checked('screen', payload, arguments[1]);
    return this.#experience('screen', () => buildScreenEvent(this.#base(), p.name, p.properties ?? {}));
  }

  // ---------------------------------------------------------------------------------------------
  // Views and interactions

  /** A view: sticky views go to the Experience API first (it pins the variant), then to Insights. */
  trackView(payload: ViewPayload): Promise<ServerEventResult> {
    checked('trackView', payload, arguments[1]); // throws at the call, like the other methods
    return this.#view(payload);
  }

  async #view(payload: ViewPayload): Promise<ServerEventResult> {
    if (!this.#gate('trackView')) return { accepted: false };
    const sticky = payload.sticky ?? (!!payload.experienceId && !!this.#data?.selectedOptimizations.some((o) => o.experienceId === payload.experienceId && o.sticky === true));
    let result: ServerEventResult = { accepted: true };
    if (sticky) {
      result = await this.#send(() => buildViewEvent(this.#base(), payload));
      // The Experience API did not take it: no Insights view either, as in the browser.
      if (!result.accepted) return result;
    }
    const insights = await this.#insights('trackView', buildViewEvent(this.#base(), payload));
    return sticky && insights.accepted ? result : { ...insights, ...(result.data ? { data: result.data } : {}) };
  }

  trackClick(payload: ComponentPayload): Promise<ServerEventResult> {
    checked('trackClick', payload, arguments[1]);
    if (!this.#gate('trackClick')) return Promise.resolve({ accepted: false });
    return this.#insights('trackClick', buildClickEvent(this.#base(), payload));
  }

  trackHover(payload: HoverPayload): Promise<ServerEventResult> {
    checked('trackHover', payload, arguments[1]);
    if (!this.#gate('trackHover')) return Promise.resolve({ accepted: false });
    return this.#insights('trackHover', buildHoverEvent(this.#base(), payload));
  }

  /** A Custom Flag was read and shown; experience and variant default to the bound change's `meta`. */
  trackFlagView(payload: FlagViewPayload): Promise<ServerEventResult> {
    checked('trackFlagView', payload, arguments[1]);
    if (!this.#gate('trackFlagView')) return Promise.resolve({ accepted: false });
    const change = getFlagChange(payload.componentId, this.#data?.changes);
    return this.#insights('trackFlagView', buildViewEvent(this.#base(), {
      componentType: 'Variable',
      componentId: payload.componentId,
      experienceId: payload.experienceId ?? change?.meta.experienceId,
      variantIndex: payload.variantIndex ?? change?.meta.variantIndex ?? 0,
    }));
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  #gate(method: GatedMethod): boolean {
    if (isMethodAllowed(method, this.#events, this.#config.allowedEventTypes)) return true;
    this.#log.debug(`${method}() blocked: event consent is ${String(this.#events)} and "${METHOD_EVENT_TYPES[method][0]}" is not in allowedEventTypes`);
    return false;
  }

  #base(): EventBase {
    return {
      channel: 'server',
      locale: this.#eventLocale,
      userAgent: this.#userAgent,
      page: this.#page,
      app: this.#config.app,
      library: { name: __PACKAGE_NAME__, version: __VERSION__ },
      isConsentGiven: this.#events === true,
    };
  }

  #experience(method: GatedMethod, build: () => Record<string, unknown>): Promise<ServerEventResult> {
    if (!this.#gate(method)) return Promise.resolve({ accepted: false });
    return this.#send(build);
  }

  /** Sends one Experience event after the previous one of this request; the bound profile follows the answer. */
  #send(build: () => Record<string, unknown>): Promise<ServerEventResult> {
    const run = async (): Promise<ServerEventResult> => {
      const event = build();
      if (this.#campaign) (event.context as Record<string, unknown>).campaign = { ...(event.context as { campaign?: object }).campaign, ...this.#campaign };
      const boundId = this.#profile?.id;
      const res = await sendExperienceEvents({
        baseUrl: this.#config.experienceBaseUrl,
        clientId: this.#config.clientId,
        environment: this.#config.environment,
        profileId: boundId,
        events: [event],
        features: this.#config.enabledFeatures,
        locale: this.#apiLocale,
        preflight: this.#preflight,
        ip: this.#ip,
        fetch: this.#config.fetch,
        timeoutMs: this.#config.timeoutMs,
        keepalive: false,
      });
      // Nothing retries on the server: an event the API refused or never got is not accepted.
      if (!res.ok) return { accepted: false, error: this.#failure('E020', event, res) };
      const data = res.data.data;
      // A preflight stores nothing: never adopt an id it made up, only refresh the one bound.
      if (!this.#preflight || data.profile.id === boundId) {
        this.#profile = data.profile;
        this.#data = data;
      }
      return { accepted: true, data };
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => undefined);
    return result;
  }

  async #insights(method: GatedMethod, event: Record<string, unknown>): Promise<ServerEventResult> {
    await this.#chain; // a sticky view or a pending identify may still bind the profile
    const id = this.#profile?.id;
    if (!id) {
      this.#log.warnOnce('E058', `${method}()`);
      return { accepted: false };
    }
    const batch = [{ profile: { id }, events: [event] }] as unknown as InsightsBatch;
    const res = await sendInsightsBatch({
      baseUrl: this.#config.insightsBaseUrl, clientId: this.#config.clientId, environment: this.#config.environment,
      batch, fetch: this.#config.fetch, timeoutMs: this.#config.timeoutMs, keepalive: false,
    });
    return res.ok ? { accepted: true } : { accepted: false, error: this.#failure('E021', event, res) };
  }

  /** Warns `code` (E020, E021) with the event's type and the API's answer: the server keeps no queue, the event is lost. */
  #failure(code: 'E020' | 'E021', event: Record<string, unknown>, res: Extract<ApiResult<unknown>, { ok: false }>): NonNullable<ServerEventResult['error']> {
    this.#log.warn(code, `a ${String(event.type)} event (${res.code ?? res.status ?? res.reason}): ${res.message}`);
    return Object.freeze({ reason: res.reason, status: res.status, code: res.code, message: res.message });
  }
}

/** The payload when it has the method's form; otherwise throws E056 with the right form. */
function checked<P>(method: PayloadMethod, payload: P, extra: unknown): P {
  const problem = payloadProblem(method, payload, extra);
  if (problem) throw new OptimizationError('E056', problem);
  return payload;
}

/**
 * Page context from a URL plus what the caller knows; explicit fields win. The URL is usually built
 * from request headers (Host), so one that does not parse is dropped, not thrown.
 */
function pageInfo(page: unknown): PageInfo | undefined {
  if (!isObject(page) || typeof page.url !== 'string') return fail('eventContext.page', 'expected { url, referrer?, title? }');
  let url: URL;
  try { url = new URL(page.url); } catch { return undefined; }
  const search = optString(page.search, 'eventContext.page.search') ?? url.search;
  if (page.query !== undefined && !isObject(page.query)) fail('eventContext.page.query', 'expected an object of strings');
  return {
    path: optString(page.path, 'eventContext.page.path') ?? url.pathname,
    query: (page.query as Record<string, string> | undefined) ?? queryFrom(search),
    referrer: optString(page.referrer, 'eventContext.page.referrer') ?? '',
    search,
    url: url.href,
    title: optString(page.title, 'eventContext.page.title') ?? '',
  };
}
