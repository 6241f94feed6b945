/**
 * Configuration of the server entry, validated once in the constructor. Each field has its own
 * stable code (E050–E055), and the message names the field and says what to pass, so a typo such as
 * `allowedEventType` fails at startup instead of quietly sending pre-consent events.
 */
import * as z from 'zod/mini';
import { DEFAULT_EXPERIENCE_URL, DEFAULT_INSIGHTS_URL, REQUEST_TIMEOUT_MS } from '../core/api.js';
import { describeIssues, OptimizationError, type LogLevel, type MessageCode } from '../core/log.js';
import { ALLOWABLE_EVENT_TYPES } from '../core/consent.js';
import { unknownKeys } from '../core/options.js';
import { NamespaceId } from '../core/schemas.js';
import { nearest } from '../core/text.js';

/** Node's pre-consent default (consent-management.txt): page and identify, sent with `isConsentGiven: false`. */
export const SERVER_DEFAULT_ALLOWED_EVENT_TYPES: readonly string[] = Object.freeze(['identify', 'page']);

export { ALLOWABLE_EVENT_TYPES };

export interface ServerConfig {
  /** Your organization id (the Experience API's client id). */
  clientId: string;
  /** Contentful environment, `main` by default. */
  environment?: string;
  api?: {
    experienceBaseUrl?: string;
    insightsBaseUrl?: string;
    /** e.g. `['ip-enrichment', 'location']` */
    enabledFeatures?: string[];
    /** Per-request timeout in ms (default 3000). */
    timeoutMs?: number;
  };
  /**
   * Event types that may emit while a request's event consent is not `true`. Default
   * `['identify', 'page']`; pass `[]` for strict opt-in.
   */
  allowedEventTypes?: string[];
  /** Sent as `context.app` on every event. */
  app?: { name: string; version: string };
  /** A `fetch` to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
  logLevel?: LogLevel;
}

export interface ResolvedServerConfig {
  readonly clientId: string;
  readonly environment: string;
  readonly experienceBaseUrl: string;
  readonly insightsBaseUrl: string;
  readonly enabledFeatures: readonly string[];
  readonly timeoutMs: number;
  readonly allowedEventTypes: readonly string[];
  readonly app?: { readonly name: string; readonly version: string };
  readonly fetch: typeof fetch;
  readonly logLevel: LogLevel;
}

const HttpUrl = z.string().check(z.refine((s) => {
  try { const u = new URL(s); return u.protocol === 'http:' || u.protocol === 'https:'; } catch { return false; }
}, 'expected an http(s) URL'));

const Api = z.strictObject({
  experienceBaseUrl: z.optional(HttpUrl),
  insightsBaseUrl: z.optional(HttpUrl),
  enabledFeatures: z.optional(z.array(z.string())),
  timeoutMs: z.optional(z.number().check(z.positive())),
});

const KNOWN = new Set(['clientId', 'environment', 'api', 'allowedEventTypes', 'app', 'fetch', 'logLevel']);

/** The value when it fits; otherwise throws `code` naming the field and what is wrong (what to pass is the table's). */
function check<T>(code: MessageCode, field: string, schema: z.ZodMiniType<T>, value: unknown): T {
  const r = z.safeParse(schema, value);
  if (r.success) return r.data;
  throw new OptimizationError(code, describeIssues(r.error.issues.map((i) => ({ ...i, path: [field, ...i.path] }))));
}

export function resolveServerConfig(input: unknown): ResolvedServerConfig {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new OptimizationError('E050', `got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`);
  }
  const c = input as Record<string, unknown>;
  // Thrown, not warned: a server fails at start-up, where its developer sees it, instead of running
  // with a setting (say `allowedEventType`) silently not applied.
  const unknown = Object.keys(c).filter((k) => !KNOWN.has(k));
  if (unknown.length) {
    const named = unknown.map((k) => { const near = nearest(k, [...KNOWN]); return `"${k}"${near ? ` (did you mean "${near}"?)` : ''}`; });
    throw new OptimizationError('E050', `unknown option ${named.join(', ')}; the server entry takes ${[...KNOWN].join(', ')}`);
  }
  if (c.api !== undefined) {
    const nested = unknownKeys(c.api, Object.fromEntries(Object.keys(Api._zod.def.shape).map((k) => [k, {}])), 'api.');
    if (nested.length) throw new OptimizationError('E053', `unknown option ${nested.join(', ')}`);
  }
  if (c.clientId === undefined || c.clientId === '') {
    throw new OptimizationError('E051', 'clientId is missing');
  }
  const clientId = check('E051', 'clientId', NamespaceId, c.clientId);
  const environment = c.environment === undefined ? 'main'
    : check('E052', 'environment', NamespaceId, c.environment);
  const api = c.api === undefined ? {} : check('E053', 'api', Api, c.api);
  const allowed = c.allowedEventTypes === undefined ? SERVER_DEFAULT_ALLOWED_EVENT_TYPES
    : check('E054', 'allowedEventTypes', z.array(z.string()), c.allowedEventTypes);
  const bad = allowed.filter((t) => !ALLOWABLE_EVENT_TYPES.includes(t));
  if (bad.length) {
    const named = bad.map((t) => { const near = nearest(t, ALLOWABLE_EVENT_TYPES); return `${JSON.stringify(t)}${near ? ` (did you mean "${near}"?)` : ''}`; });
    throw new OptimizationError('E054', `${named.join(', ')} is not an event type; the event types are ${ALLOWABLE_EVENT_TYPES.join(', ')}`);
  }
  const app = c.app === undefined ? undefined
    : check('E055', 'app', z.strictObject({ name: z.string(), version: z.string() }), c.app);
  if (c.fetch !== undefined && typeof c.fetch !== 'function') {
    throw new OptimizationError('E055', 'fetch: expected a function');
  }
  const logLevel = c.logLevel === undefined ? 'warn'
    : check('E055', 'logLevel', z.enum(['debug', 'info', 'warn', 'error', 'silent']), c.logLevel);
  const f = (c.fetch as typeof fetch | undefined) ?? globalThis.fetch;
  if (typeof f !== 'function') {
    throw new OptimizationError('E055', 'this runtime has no global fetch');
  }
  return Object.freeze({
    clientId,
    environment,
    experienceBaseUrl: api.experienceBaseUrl ?? DEFAULT_EXPERIENCE_URL,
    insightsBaseUrl: api.insightsBaseUrl ?? DEFAULT_INSIGHTS_URL,
    enabledFeatures: Object.freeze([...(api.enabledFeatures ?? [])]),
    timeoutMs: api.timeoutMs ?? REQUEST_TIMEOUT_MS,
    allowedEventTypes: Object.freeze([...allowed]),
    app: app ? Object.freeze({ ...app }) : undefined,
    fetch: f,
    logLevel,
  });
}
