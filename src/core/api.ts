/**
 * Experience API v2 and Insights API v1 over `fetch`. No DOM: the browser runtime and the server
 * entry both use it, each passing its own `fetch`. Every response is validated before use; what
 * fails validation is reported as a failure and never reaches state.
 */
import {
  ErrorEnvelope, ProfileResponseEnvelope, StateEntry, type OptimizationData,
} from './wire.js';
import type { ExperienceEvent, InsightsBatch } from './wire-events.js';
import { deepFreeze } from './store.js';
import { suspectJson } from './text.js';

export const DEFAULT_EXPERIENCE_URL = 'https://experience.ninetailed.co/';
export const DEFAULT_INSIGHTS_URL = 'https://ingest.insights.ninetailed.co/';
export const REQUEST_TIMEOUT_MS = 3000;

export type FailureReason = 'offline' | 'network' | 'timeout' | 'http' | 'invalid-response' | 'api-error' | 'invalid-request';

export type ApiResult<T> =
  | { ok: true; data: T; status: number }
  | { ok: false; reason: FailureReason; status?: number; code?: string; message: string; retryable: boolean; retryAfterMs?: number };

export interface ExperienceResult {
  data: OptimizationData;
  stateEntries: StateEntry[];
}

export interface ExperienceRequest {
  baseUrl: string;
  clientId: string;
  environment: string;
  profileId?: string;
  events: ExperienceEvent[] | Array<Record<string, unknown>>;
  features?: readonly string[];
  stateEntries?: ReadonlyArray<{ key: string; value?: string }>;
  locale?: string;
  preflight?: boolean;
  ip?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  keepalive?: boolean;
}

const joinUrl = (base: string, path: string) => base.replace(/\/+$/, '') + '/' + path;
const seg = encodeURIComponent;

export function experienceUrl(r: Pick<ExperienceRequest, 'baseUrl' | 'clientId' | 'environment' | 'profileId' | 'locale' | 'preflight'>): string {
  const path = `v2/organizations/${seg(r.clientId)}/environments/${seg(r.environment)}/profiles${r.profileId ? `/${seg(r.profileId)}` : ''}`;
  const q = new URLSearchParams();
  if (r.locale) q.set('locale', r.locale);
  if (r.preflight) q.set('type', 'preflight');
  const qs = q.toString();
  return joinUrl(r.baseUrl, path) + (qs ? `?${qs}` : '');
}

export function insightsUrl(baseUrl: string, clientId: string, environment: string): string {
  return joinUrl(baseUrl, `v1/organizations/${seg(clientId)}/environments/${seg(environment)}/events`);
}

function retryAfterMs(res: Response): number | undefined {
  const h = res.headers.get('Retry-After');
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const d = Date.parse(h);
  return Number.isFinite(d) ? Math.max(0, d - Date.now()) : undefined;
}

const isRetryableStatus = (s: number) => s === 429 || s >= 500;

/** The APIs refuse request bodies over 1 MiB (413). */
export const MAX_REQUEST_BYTES = 1024 * 1024;


async function request(url: string, init: RequestInit, f: typeof fetch, timeoutMs: number): Promise<ApiResult<unknown>> {
  const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
  const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
  let res: Response;
  let text: string;
  try {
    // Redirects are not followed: the APIs never redirect, and following one would send the
    // visitor's events (a 307/308 repeats the POST body) wherever the redirect points. The answer
    // is then a failed request that is not retried (status 0 in browsers, the 3xx in Node).
    res = await f(url, { ...init, redirect: 'manual', signal: controller?.signal });
    text = await res.text();
  } catch (error) {
    const aborted = controller?.signal.aborted;
    const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
    // The API answers a body over its limit with 413 before reading it and closes the connection;
    // WebKit, still sending, reports that as a network error. Retrying could never succeed (and
    // would hold up every event queued behind it): refused, like the 413 other browsers read.
    const size = typeof init.body === 'string' ? new Blob([init.body]).size : 0;
    if (!aborted && !offline && size > MAX_REQUEST_BYTES) {
      return { ok: false, retryable: false, reason: 'http', status: 413, message: `the request body (${size} bytes) is over the API's ${MAX_REQUEST_BYTES}-byte limit` };
    }
    return {
      ok: false, retryable: true,
      reason: aborted ? 'timeout' : offline ? 'offline' : 'network',
      message: aborted ? `no answer within ${timeoutMs} ms` : String((error as Error)?.message ?? error),
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
    // The Experience API refuses bodies nested deeper than 64 levels, so none of its answers is
    // deeper; walking one that is (freezing, storing, posting to other tabs) overflows the stack.
    if (suspectJson(json)) throw 0;
  } catch {
    return res.ok
      ? { ok: false, reason: 'invalid-response', status: res.status, message: 'response is not JSON', retryable: false }
      : { ok: false, reason: 'http', status: res.status, message: `HTTP ${res.status}`, retryable: isRetryableStatus(res.status), retryAfterMs: retryAfterMs(res) };
  }
  // An error envelope is an error whatever the status says (some proxies answer 200).
  const err = ErrorEnvelope.safeParse(json);
  if (err.success && err.data.error) {
    const status = res.ok ? 500 : res.status;
    return { ok: false, reason: 'api-error', status: res.status, code: err.data.error.code, message: err.data.message, retryable: isRetryableStatus(status), retryAfterMs: retryAfterMs(res) };
  }
  if (!res.ok) {
    return { ok: false, reason: 'http', status: res.status, message: `HTTP ${res.status}`, retryable: isRetryableStatus(res.status), retryAfterMs: retryAfterMs(res) };
  }
  return { ok: true, data: json, status: res.status };
}

/** Create or update a profile (`upsertProfile`): POST /profiles or /profiles/:id. */
export async function sendExperienceEvents(r: ExperienceRequest): Promise<ApiResult<ExperienceResult>> {
  const body: Record<string, unknown> = { events: r.events };
  if (r.features?.length) body.options = { features: [...r.features] };
  if (r.stateEntries?.length) body.meta = { state: { entries: r.stateEntries.map(({ key, value }) => ({ key, value })) } };
  const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
  if (r.ip) headers['X-Force-IP'] = r.ip;
  let text: string;
  // Never an exception in the page: events the runtime checked should always have a JSON form.
  try { text = JSON.stringify(body); } catch (error) {
    return { ok: false, reason: 'invalid-request', message: `the events have no JSON form (${String(error).slice(0, 80)})`, retryable: false };
  }
  const res = await request(
    experienceUrl(r),
    // Browsers refuse keepalive bodies over 64 KB outright (a "network error" that retrying never
    // fixes, holding up every event queued behind it): a larger body goes as a plain request.
    { method: 'POST', headers, body: text, keepalive: (r.keepalive ?? true) && new Blob([text]).size < 65_000, credentials: 'omit' },
    r.fetch ?? fetch,
    r.timeoutMs ?? REQUEST_TIMEOUT_MS,
  );
  return res.ok ? parseProfileEnvelope(res.data, res.status) : res;
}

/** Read the evaluated profile without sending an event. */
export async function readProfile(r: Omit<ExperienceRequest, 'events' | 'preflight'> & { profileId: string }): Promise<ApiResult<ExperienceResult>> {
  const res = await request(experienceUrl(r), { method: 'GET', credentials: 'omit' }, r.fetch ?? fetch, r.timeoutMs ?? REQUEST_TIMEOUT_MS);
  return res.ok ? parseProfileEnvelope(res.data, res.status) : res;
}

export function parseProfileEnvelope(json: unknown, status = 200): ApiResult<ExperienceResult> {
  let parsed;
  // Whatever a response holds, it never becomes an exception in the page.
  try { parsed = ProfileResponseEnvelope.safeParse(json); } catch { /* reported as invalid below */ }
  if (!parsed?.success) {
    return { ok: false, reason: 'invalid-response', status, message: 'response does not match the Experience API schema', retryable: false };
  }
  const { profile, experiences, changes } = parsed.data.data;
  const stateEntries: StateEntry[] = [];
  // Each entry on its own: a malformed one is dropped, the others in its handle are kept.
  for (const h of parsed.data.handle ?? []) {
    if (h.type !== 'state:store' || !Array.isArray(h.payload)) continue;
    for (const item of h.payload) {
      const entry = StateEntry.safeParse(item);
      if (entry.success) stateEntries.push(entry.data);
    }
  }
  // Frozen once here and shared by every subscriber: no clone per subscriber.
  const data = deepFreeze({ profile, selectedOptimizations: experiences, changes: changes ?? [] });
  return { ok: true, status, data: { data, stateEntries } };
}

export interface InsightsRequest {
  baseUrl: string;
  clientId: string;
  environment: string;
  batch: InsightsBatch;
  fetch?: typeof fetch;
  timeoutMs?: number;
  keepalive?: boolean;
}

export async function sendInsightsBatch(r: InsightsRequest): Promise<ApiResult<unknown>> {
  return request(
    insightsUrl(r.baseUrl, r.clientId, r.environment),
    { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(r.batch), keepalive: r.keepalive ?? false, credentials: 'omit' },
    r.fetch ?? fetch,
    r.timeoutMs ?? REQUEST_TIMEOUT_MS,
  );
}
