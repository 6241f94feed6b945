/**
 * Configuration of the browser runtime, validated once at construction. An invalid config throws an
 * OptimizationError whose code is stable and whose message names the field and what to pass.
 */
import {
  array, boolean, fn as func, integer, is, matching, object, oneOf, optional, positive, string,
} from '../core/checks.js';
import { DEFAULT_EXPERIENCE_URL, DEFAULT_INSIGHTS_URL } from '../core/api.js';
import { ALLOWABLE_EVENT_TYPES, BROWSER_DEFAULT_ALLOWED_EVENT_TYPES, type BlockedEvent } from '../core/consent.js';
import { describeIssues, OptimizationError, type LogLevel } from '../core/log.js';
import { unknownKeys } from '../core/options.js';
import { nearest } from '../core/text.js';
import {
  Changes, NamespaceId, Profile, SelectedOptimizations,
  type Change, type Profile as ProfileT, type SelectedOptimization,
} from '../core/wire.js';

const HttpUrl = is<string>((s) => {
  try { const u = new URL(s as string); return typeof s === 'string' && (u.protocol === 'http:' || u.protocol === 'https:'); } catch { return false; }
}, 'expected an http(s) URL');

const fn = func<(...args: never[]) => unknown>;

export const ConfigSchema = object({
  clientId: NamespaceId,
  environment: optional(NamespaceId),
  locale: optional(matching(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, 'expected a locale such as "en-US"')),
  app: optional(object({ name: string(), version: string() })),
  api: optional(object({
    experienceBaseUrl: optional(HttpUrl),
    insightsBaseUrl: optional(HttpUrl),
    enabledFeatures: optional(array(string())),
    preflight: optional(boolean()),
    ip: optional(string()),
    timeoutMs: optional(positive()),
  })),
  defaults: optional(object({
    consent: optional(boolean()),
    persistenceConsent: optional(boolean()),
    profile: optional(Profile),
    selectedOptimizations: optional(SelectedOptimizations),
    changes: optional(Changes),
  })),
  allowedEventTypes: optional(array(string())),
  cookie: optional(object({
    domain: optional(matching(/^\.?[A-Za-z0-9.-]+$/, 'expected a domain such as ".example.com"')),
    expires: optional(positive()),
  })),
  stateEntries: optional(object({ cookies: optional(boolean()), domain: optional(string()) })),
  insights: optional(object({
    batchSize: optional(integer(1)),
    flushIntervalMs: optional(positive()),
  })),
  queue: optional(object({ maxExperienceEvents: optional(integer(1)), maxInsightsEvents: optional(integer(1)) })),
  onDrop: optional(fn()),
  getAnonymousId: optional(fn()),
  onEventBlocked: optional(fn()),
  logLevel: optional(oneOf('debug', 'info', 'warn', 'error', 'silent')),
  handoff: optional(boolean()),
  autoPage: optional(is<boolean | 'load'>((v) => typeof v === 'boolean' || v === 'load', 'expected true, false or "load"')),
});

export interface DroppedEvents {
  readonly api: 'experience' | 'insights';
  /** `cap`: the queue was full and these, the oldest, made room; `refused`: the API answered 4xx. */
  readonly reason: 'cap' | 'refused';
  readonly messageIds: readonly string[];
}

export interface OptimizationConfig {
  /** Your organization id (the Experience API's client id). */
  clientId: string;
  /** Contentful environment, `main` by default. */
  environment?: string;
  /** Locale for events and localized location names, e.g. `de-DE`. Defaults to the browser's. */
  locale?: string;
  app?: { name: string; version: string };
  api?: {
    experienceBaseUrl?: string;
    insightsBaseUrl?: string;
    /** e.g. `['location', 'ip-enrichment']` */
    enabledFeatures?: string[];
    /** Evaluate without storing: for previews only, never for normal continuity. */
    preflight?: boolean;
    ip?: string;
    timeoutMs?: number;
  };
  defaults?: {
    consent?: boolean;
    persistenceConsent?: boolean;
    profile?: ProfileT;
    selectedOptimizations?: SelectedOptimization[];
    changes?: Change[];
  };
  /** Event types that may emit before event consent is `true`. Browser default `['identify', 'page']`. */
  allowedEventTypes?: string[];
  /** The `ctfl-opt-aid` cookie: `Domain`, and its lifetime in days (default 365; the reference SDK's unit). */
  cookie?: { domain?: string; expires?: number };
  /** Client-state entries as first-party cookies when the page is on `domain`; otherwise IndexedDB. */
  stateEntries?: { cookies?: boolean; domain?: string };
  insights?: { batchSize?: number; flushIntervalMs?: number };
  /** Queue caps (defaults 1,000 Experience and 5,000 Insights events); past a cap the oldest go. */
  queue?: { maxExperienceEvents?: number; maxInsightsEvents?: number };
  /** Called with events that will never be delivered: over a queue cap, or refused by the API (4xx). */
  onDrop?: (drop: DroppedEvents) => void;
  getAnonymousId?: () => string | undefined;
  onEventBlocked?: (event: BlockedEvent) => void;
  logLevel?: LogLevel;
  /** Read the server handoff element `#ctfl-optimization-data` (default true). */
  handoff?: boolean;
  /** Script-tag bundle: page events when the page loads and on route changes (default true; `'load'`: on load only; `data-auto-page`). */
  autoPage?: boolean | 'load';
}

export interface ResolvedConfig {
  clientId: string;
  environment: string;
  locale: string;
  app?: { name: string; version: string };
  experienceBaseUrl: string;
  insightsBaseUrl: string;
  enabledFeatures: readonly string[];
  preflight: boolean;
  ip?: string;
  timeoutMs: number;
  defaults: NonNullable<OptimizationConfig['defaults']>;
  allowedEventTypes: readonly string[];
  /** The `ctfl-opt-aid` cookie's attributes as `writeCookie()` takes them (`cookie.expires` days in seconds). */
  cookie: { domain?: string; maxAgeSeconds: number };
  stateEntries: { cookies: boolean; domain?: string };
  insights: { batchSize: number; flushIntervalMs: number };
  queue: { maxExperienceEvents: number; maxInsightsEvents: number };
  onDrop?: (drop: DroppedEvents) => void;
  getAnonymousId?: () => string | undefined;
  onEventBlocked?: (event: BlockedEvent) => void;
  logLevel: LogLevel;
  handoff: boolean;
}

/**
 * Mistakes that do not stop the runtime, one detail of warning E009 each: unknown keys (with the
 * nearest valid one) and `allowedEventTypes` entries that are no event type.
 */
export function configWarnings(input: unknown): string[] {
  const out = unknownKeys(input, ConfigSchema.shape!).map((k) => `unknown option ${k}`);
  const types = (input as { allowedEventTypes?: unknown } | null)?.allowedEventTypes;
  if (Array.isArray(types)) {
    for (const t of types) {
      if (typeof t === 'string' && !ALLOWABLE_EVENT_TYPES.includes(t)) {
        const near = nearest(t, ALLOWABLE_EVENT_TYPES);
        out.push(`allowedEventTypes: "${t.slice(0, 40)}" is not an event type${near ? ` (did you mean "${near}"?)` : ''}; use ${ALLOWABLE_EVENT_TYPES.join(', ')}`);
      }
    }
  }
  return out;
}

export function resolveConfig(input: unknown, browserLocale = 'en-US'): ResolvedConfig {
  if (!input || typeof input !== 'object') {
    throw new OptimizationError('E001');
  }
  if (!('clientId' in input) || (input as { clientId?: unknown }).clientId === undefined || (input as { clientId?: unknown }).clientId === '') {
    throw new OptimizationError('E002');
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new OptimizationError('E003', describeIssues(parsed.error.issues));
  }
  const c = parsed.data;
  return {
    clientId: c.clientId,
    environment: c.environment ?? 'main',
    locale: c.locale ?? browserLocale,
    app: c.app,
    experienceBaseUrl: c.api?.experienceBaseUrl ?? DEFAULT_EXPERIENCE_URL,
    insightsBaseUrl: c.api?.insightsBaseUrl ?? DEFAULT_INSIGHTS_URL,
    enabledFeatures: Object.freeze([...(c.api?.enabledFeatures ?? [])]),
    preflight: c.api?.preflight ?? false,
    ip: c.api?.ip,
    timeoutMs: c.api?.timeoutMs ?? 3000,
    defaults: c.defaults ?? {},
    allowedEventTypes: Object.freeze([...(c.allowedEventTypes ?? BROWSER_DEFAULT_ALLOWED_EVENT_TYPES)]),
    cookie: { domain: c.cookie?.domain, maxAgeSeconds: (c.cookie?.expires ?? 365) * 86400 },
    stateEntries: { cookies: c.stateEntries?.cookies ?? false, domain: c.stateEntries?.domain },
    insights: { batchSize: c.insights?.batchSize ?? 25, flushIntervalMs: c.insights?.flushIntervalMs ?? 10_000 },
    queue: { maxExperienceEvents: c.queue?.maxExperienceEvents ?? 1000, maxInsightsEvents: c.queue?.maxInsightsEvents ?? 5000 },
    onDrop: c.onDrop as ResolvedConfig['onDrop'],
    getAnonymousId: c.getAnonymousId as ResolvedConfig['getAnonymousId'],
    onEventBlocked: c.onEventBlocked as ResolvedConfig['onEventBlocked'],
    logLevel: c.logLevel ?? 'warn',
    handoff: c.handoff ?? true,
  };
}
