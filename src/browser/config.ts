/**
 * Configuration of the browser runtime, validated once at construction. An invalid config throws an
 * OptimizationError whose code is stable and whose message names the field and what to pass.
 */
import * as z from 'zod/mini';
import { DEFAULT_EXPERIENCE_URL, DEFAULT_INSIGHTS_URL } from '../core/api.js';
import { ALLOWABLE_EVENT_TYPES, BROWSER_DEFAULT_ALLOWED_EVENT_TYPES, type BlockedEvent } from '../core/consent.js';
import { describeIssues, OptimizationError, type LogLevel } from '../core/log.js';
import { unknownKeys } from '../core/options.js';
import { nearest } from '../core/text.js';
import {
  Changes, integer, matching, NamespaceId, oneOf, Profile, rule, SelectedOptimizations,
  type Change, type Profile as ProfileT, type SelectedOptimization,
} from '../core/wire.js';

// Hand-written rules (see `rule` in wire.ts) report what z.refine / z.custom / z.positive() would.
const HttpUrl = rule(z.string(), (s) => {
  try { const u = new URL(s); if (u.protocol === 'http:' || u.protocol === 'https:') return undefined; } catch { /* not a URL */ }
  return { code: 'custom', message: 'expected an http(s) URL' };
});

const fn = rule(z.unknown(), (v) => (typeof v === 'function' ? undefined : { code: 'custom', message: 'expected a function' })) as unknown as
  z.ZodMiniType<(...args: never[]) => unknown>;

/** A number > 0, like `z.number().check(z.positive())`. */
const positive = rule(z.number(), (n) => (n > 0 ? undefined : { code: 'too_small', origin: 'number', minimum: 0, inclusive: false }));

export const ConfigSchema = z.object({
  clientId: NamespaceId,
  environment: z.optional(NamespaceId),
  locale: z.optional(matching(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/)),
  app: z.optional(z.object({ name: z.string(), version: z.string() })),
  api: z.optional(z.object({
    experienceBaseUrl: z.optional(HttpUrl),
    insightsBaseUrl: z.optional(HttpUrl),
    enabledFeatures: z.optional(z.array(z.string())),
    preflight: z.optional(z.boolean()),
    ip: z.optional(z.string()),
    timeoutMs: z.optional(positive),
  })),
  defaults: z.optional(z.object({
    consent: z.optional(z.boolean()),
    persistenceConsent: z.optional(z.boolean()),
    profile: z.optional(Profile),
    selectedOptimizations: z.optional(SelectedOptimizations),
    changes: z.optional(Changes),
  })),
  allowedEventTypes: z.optional(z.array(z.string())),
  cookie: z.optional(z.object({
    domain: z.optional(matching(/^\.?[A-Za-z0-9.-]+$/)),
    expires: z.optional(positive),
  })),
  stateEntries: z.optional(z.object({ cookies: z.optional(z.boolean()), domain: z.optional(z.string()) })),
  insights: z.optional(z.object({
    batchSize: z.optional(integer(1)),
    flushIntervalMs: z.optional(positive),
  })),
  queue: z.optional(z.object({ maxExperienceEvents: z.optional(integer(1)), maxInsightsEvents: z.optional(integer(1)) })),
  onDrop: z.optional(fn),
  getAnonymousId: z.optional(fn),
  onEventBlocked: z.optional(fn),
  logLevel: z.optional(oneOf('debug', 'info', 'warn', 'error', 'silent')),
  handoff: z.optional(z.boolean()),
  autoPage: z.optional(z.boolean()),
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
  /** Script-tag bundle: send a page event when the page loads (default true; `data-auto-page`). */
  autoPage?: boolean;
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
  cookie: { domain?: string; expires: number };
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
 * Mistakes that do not stop the runtime, one line each: unknown keys (with the nearest valid one)
 * and `allowedEventTypes` entries that are no event type. The constructor warns E009 for each.
 */
export function configWarnings(input: unknown): string[] {
  const out = unknownKeys(input, ConfigSchema).map((k) => `unknown option ${k}; it was ignored`);
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
    throw new OptimizationError('E001', 'the configuration must be an object like { clientId: "your-organization-id" }.');
  }
  if (!('clientId' in input) || (input as { clientId?: unknown }).clientId === undefined || (input as { clientId?: unknown }).clientId === '') {
    throw new OptimizationError('E002', 'clientId is missing; pass your organization id as clientId (data-client-id="…" on the script tag).');
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new OptimizationError('E003', `invalid configuration: ${describeIssues(parsed.error.issues)}. Fix these fields and try again.`);
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
    cookie: { domain: c.cookie?.domain, expires: c.cookie?.expires ?? 365 },
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
