/**
 * The emulator's HTTP server (node:http, no framework): the Experience and Insights routes, the
 * `/_emulator/` control and inspection routes, CORS, latency, fail-rate and scripted faults.
 *
 * Order of work for an API request: CORS → route → read the body (≤ 1 MB) → request log → scripted
 * fault → `--fail-rate` → `--latency` → namespace check → drop Experience events already applied
 * (same messageId) → operation → wait for the data log write → answer. Nothing a client sends can crash the server: every handler runs inside one try/catch,
 * and anything that is not an ApiError becomes a logged 500 envelope.
 *
 * The API routes allow any origin with credentials, as the hosted API does. The `/_emulator/`
 * routes are readable from any origin without credentials, and change the emulator only for
 * requests from its own pages, pages on this machine, or clients that are not browsers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { z } from 'zod/mini';
import { NamespaceId } from '../core/schemas.js';
import {
  checkProfileId, ingestInsights, readProfile, stateHandle, upsertBatch, upsertProfile, type ApiContext, type RequestInfo,
} from './api.js';
import { DASHBOARD_CSP, DASHBOARD_CSS, renderDashboard } from './dashboard.js';
import { ApiError, errorEnvelope } from './errors.js';
import { FaultQueue, type ApiName } from './faults.js';
import {
  answerPreflight, ClientGone, closeAfterAnswer, MAX_BODY_BYTES, parseJsonBody, queryObject, readBody, sendError, sendJson,
  setCors, sleep, tryParseJson,
} from './http.js';
import { Persistence } from './persistence.js';
import { toWireProfile, type ProfileRecord } from './profiles.js';
import { createRandomSource } from './random.js';
import { computeResults, MAX_GOAL_LENGTH, MAX_GOALS, type ResultsQuery, type ResultsResponse } from './results.js';
import { emptySpace, type SpaceModel } from './space.js';
import { Store, type Namespace, type StoredExperienceEvent } from './store.js';
import { parseOrThrow } from './validation.js';

export interface EmulatorOptions {
  space?: SpaceModel;
  /** Persist into this directory; memory only when absent. */
  dataDir?: string | null;
  /** Delay every API answer (not `/_emulator/`, not CORS preflights) by this many ms. */
  latencyMs?: number;
  /** Answer this share (0–1) of API requests with 503 ERR_SERVICE_UNAVAILABLE. */
  failRate?: number;
  /** Seeds generated ids, profile `random` and fail-rate rolls. */
  seed?: string;
  /** Accept only these organizations / environments (any well-formed id when absent). */
  organizations?: readonly string[] | null;
  environments?: readonly string[] | null;
  /** The emulator clock's base (default `Date.now`); `/_emulator/clock` shifts it. */
  now?: () => number;
  clockOffsetMs?: number;
  /** Answer 429 ERR_PROFILE_OVERLOAD past this many requests per profile per second (0 = off). */
  maxProfileRps?: number;
  /** Where diagnostics go (default stderr). */
  log?: (message: string) => void;
  /** Track event names counted as conversions by `/_emulator/results` and the dashboard (`--goal`). */
  goals?: readonly string[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  receivedAt: string;
  status: number | null;
  body: unknown;
  organization: string | null;
  environment: string | null;
}

export const REQUEST_LOG_LIMIT = 10_000;
/** Result answers kept, one per query (organization, environment, goals). */
export const RESULTS_CACHE_SIZE = 16;
/** After the store changed, a query's last result answer is still served this long after it was made. */
export const RESULTS_MAX_AGE_MS = 1000;

interface CachedResults { version: number; etag: string; value: ResultsResponse; madeAt: number }
/**
 * The request log also stays under this many bytes of bodies: 10,000 bodies of up to 1 MB each
 * would otherwise hold gigabytes and make `/_emulator/requests` too large to serialize. The oldest
 * entries go first.
 */
export const REQUEST_LOG_BYTES = 32 * 1024 * 1024;

type Route =
  | { kind: 'none' }
  | { kind: 'method'; allow: string; org: string; env: string; api: ApiName }
  | { kind: 'op'; op: 'create' | 'update' | 'read' | 'batch' | 'insights'; api: ApiName; org: string; env: string; profileId: string | null };

const decode = (segment: string): string => {
  try { return decodeURIComponent(segment); } catch { return segment; }
};

export function matchRoute(method: string, pathname: string): Route {
  const segments = pathname.split('/').slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  const [version, organizations, org, environments, env, ...rest] = segments;
  if ((version !== 'v1' && version !== 'v2') || organizations !== 'organizations' || environments !== 'environments'
    || org === undefined || env === undefined) return { kind: 'none' };
  const base = { org: decode(org), env: decode(env) };
  const is = (allow: string, op: Extract<Route, { kind: 'op' }>['op'], api: ApiName, profileId: string | null = null): Route =>
    allow.split(', ').includes(method) ? { kind: 'op', op, api, profileId, ...base } : { kind: 'method', allow, api, ...base };
  if (version === 'v1') return rest.length === 1 && rest[0] === 'events' ? is('POST', 'insights', 'insights') : { kind: 'none' };
  if (rest.length === 1 && rest[0] === 'profiles') return is('POST', 'create', 'experience');
  if (rest.length === 1 && rest[0] === 'events') return is('POST', 'batch', 'experience');
  if (rest.length === 2 && rest[0] === 'profiles' && rest[1] !== '') {
    const id = decode(rest[1]!);
    if (method === 'GET') return { kind: 'op', op: 'read', api: 'experience', profileId: id, ...base };
    return is('GET, POST', 'update', 'experience', id);
  }
  return { kind: 'none' };
}

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);

export const GoalName = z.string().check(z.minLength(1), z.maxLength(MAX_GOAL_LENGTH));
const GoalsBody = z.strictObject({ goals: z.array(GoalName).check(z.maxLength(MAX_GOALS)) });
const RESULTS_PARAMS = ['organization', 'environment', 'goal'];

/** `?organization=&environment=&goal=…` of `/_emulator/results`, checked: 400 ERR_INVALID_DATA names the parameter. */
function resultsQuery(params: URLSearchParams, defaultGoals: readonly string[]): ResultsQuery {
  for (const key of new Set(params.keys())) {
    if (!RESULTS_PARAMS.includes(key)) {
      throw new ApiError(400, 'ERR_INVALID_DATA', `query: unknown parameter ${quote(key)}; use ${RESULTS_PARAMS.join(', ')}`);
    }
  }
  const id = (name: string): string | null => {
    const all = params.getAll(name);
    if (all.length > 1) throw new ApiError(400, 'ERR_INVALID_DATA', `${name}: given ${all.length} times; give it once`);
    const value = all[0];
    if (value === undefined || value === '') return null;
    if (!z.safeParse(NamespaceId, value).success) {
      throw new ApiError(400, 'ERR_INVALID_DATA', `${name}: expected 1–64 characters of A–Z, a–z, 0–9, "_" or "-" (got ${quote(value)})`);
    }
    return value;
  };
  const organization = id('organization');
  const environment = id('environment');
  const given = params.getAll('goal');
  if (given.length > MAX_GOALS) throw new ApiError(400, 'ERR_INVALID_DATA', `goal: at most ${MAX_GOALS} goals (got ${given.length})`);
  given.forEach((goal, i) => {
    if (!z.safeParse(GoalName, goal).success) throw new ApiError(400, 'ERR_INVALID_DATA', `goal[${i}]: expected 1–${MAX_GOAL_LENGTH} characters`);
  });
  return { organization, environment, goals: given.length ? [...new Set(given)] : [...defaultGoals] };
}

/** What the emulator keeps of the Experience events of a request it applied. */
function experienceDigests(events: unknown, profileIdOf: (event: Record<string, unknown>) => string, receivedAt: string): StoredExperienceEvent[] {
  if (!Array.isArray(events)) return [];
  const out: StoredExperienceEvent[] = [];
  for (const e of events as unknown[]) {
    if (!e || typeof e !== 'object') continue;
    const event = e as Record<string, unknown>;
    if (typeof event.messageId !== 'string' || typeof event.type !== 'string') continue;
    const at = typeof event.originalTimestamp === 'string' ? event.originalTimestamp : typeof event.timestamp === 'string' ? event.timestamp : receivedAt;
    out.push({
      profileId: profileIdOf(event), messageId: event.messageId, type: event.type, at, receivedAt,
      ...(event.type === 'track' && typeof event.event === 'string' ? { name: event.event } : {}),
    });
  }
  return out;
}

/**
 * A request body without the events this namespace already applied (same messageId: a client
 * retrying a request whose answer it never saw, or resending a queue after a reload), and the
 * profile the first of those went to.
 */
function withoutApplied(ns: Namespace, body: unknown): { body: unknown; fresh: number; appliedTo: string | null } {
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) return { body, fresh: -1, appliedTo: null };
  let appliedTo: string | null = null;
  const fresh = (events as unknown[]).filter((e) => {
    const id = (e as { messageId?: unknown } | null)?.messageId;
    const to = typeof id === 'string' ? ns.experienceIds.get(id) : undefined;
    if (to === undefined) return true;
    appliedTo ??= to;
    return false;
  });
  if (fresh.length === events.length) return { body, fresh: fresh.length, appliedTo: null };
  return { body: { ...(body as object), events: fresh }, fresh: fresh.length, appliedTo };
}

/**
 * CORS of the `/_emulator/` routes: readable from any origin (the preview panel runs on the
 * site's own origin), never with credentials — nothing there is the visitor's, and a page must not
 * be able to act on the emulator with the user's cookies.
 */
function setControlCors(req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  res.setHeader('Access-Control-Allow-Origin', origin ?? '*');
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', 'ETag, Retry-After');
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Whether a request that changes the emulator (a control POST or DELETE) may come from `origin`:
 * non-browser clients (no Origin header), the emulator's own pages, and pages on this machine
 * (a dev server, the browser tests). Another site's page can make a browser send a POST anywhere
 * without asking first; this is what stops it from changing goals, faults, the clock or the data.
 */
function trustedControlOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try { url = new URL(origin); } catch { return false; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.host === req.headers.host) return true;
  const host = url.hostname;
  return LOOPBACK_NAMES.has(host) || host.endsWith('.localhost') || (isIP(host) === 4 && host.startsWith('127.'));
}

const isJsonContentType = (value: string | undefined) => /^application\/json\s*(;|$)/i.test(value?.trim() ?? '');

export interface Emulator {
  readonly server: Server;
  readonly store: Store;
  readonly space: SpaceModel;
  readonly now: () => number;
  /** Starts listening; `port` 0 picks a free port. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number; host: string }>;
  /** Stops accepting, drops idle connections, writes and fsyncs the data log. */
  close(): Promise<void>;
  /** Loaded from `dataDir` at creation. */
  readonly loaded: { profiles: number; insights: number; droppedLines: number } | null;
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const space = options.space ?? emptySpace();
  const store = new Store();
  const baseNow = options.now ?? Date.now;
  let clockOffset = options.clockOffsetMs ?? 0;
  const now = () => baseNow() + clockOffset;
  const random = createRandomSource(options.seed);
  const ctx: ApiContext = { space, store, random, now };
  const faults = new FaultQueue();
  const requests: RequestLogEntry[] = [];
  const requestSizes = new WeakMap<RequestLogEntry, number>();
  let requestBytes = 0;
  /** Drops the oldest entries while the log is over its count or byte limit (in one splice). */
  const trimRequests = (count: number, bytes: number) => {
    let drop = 0;
    let left = requestBytes;
    while (drop < requests.length - 1 && (requests.length - drop > count || left > bytes)) left -= requestSizes.get(requests[drop++]!) ?? 0;
    if (drop) { requests.splice(0, drop); requestBytes = left; }
  };
  const logBody = (entry: RequestLogEntry, body: unknown, size: number) => {
    entry.body = body;
    requestSizes.set(entry, size);
    requestBytes += size;
    if (requestBytes > REQUEST_LOG_BYTES) trimRequests(REQUEST_LOG_LIMIT, REQUEST_LOG_BYTES * 0.9);
  };
  const latencyMs = options.latencyMs ?? 0;
  const failRate = options.failRate ?? 0;
  const maxProfileRps = options.maxProfileRps ?? 0;
  const profileHits = new Map<string, { second: number; count: number }>();
  let goals: string[] = [...new Set(options.goals ?? [])];
  // ETags name a store version of this process: another process (a restart without --data) counts
  // its versions from 0 again, and must not answer 304 to an ETag of the last one.
  const etagNonce = randomBytes(12).toString('base64url');
  const resultsCache = new Map<string, CachedResults>();
  /**
   * Results for a query. Computing them can take most of a second at the store's caps, on the one
   * thread that also answers the API, while a dashboard polls every second and preview panels
   * every three: so each query's last answer is kept (RESULTS_CACHE_SIZE queries, least recently
   * used out), served while the store is unchanged, and after a change still served for up to
   * RESULTS_MAX_AGE_MS after it was made, unless `fresh` (a `Cache-Control: no-cache` request).
   * Its ETag names the store version it was computed from, so a 304 always means "the same answer".
   */
  const results = (query: ResultsQuery, fresh = false): CachedResults => {
    const key = JSON.stringify([query.organization, query.environment, query.goals]);
    let entry = resultsCache.get(key);
    const current = entry !== undefined
      && (entry.version === store.version || (!fresh && performance.now() - entry.madeAt <= RESULTS_MAX_AGE_MS));
    if (!current) {
      const version = store.version;
      const value = computeResults(space, store, query, now());
      const etag = `"${createHash('sha256').update(JSON.stringify([etagNonce, version, key])).digest('base64url').slice(0, 22)}"`;
      entry = { version, etag, value, madeAt: performance.now() };
    }
    resultsCache.delete(key);
    resultsCache.set(key, entry!);
    if (resultsCache.size > RESULTS_CACHE_SIZE) resultsCache.delete(resultsCache.keys().next().value!);
    return entry!;
  };
  let dashboardScript: string | null = null;

  let persistence: Persistence | null = null;
  let loaded: Emulator['loaded'] = null;
  if (options.dataDir) {
    persistence = new Persistence(options.dataDir, store, { warn: log });
    loaded = persistence.open();
  }

  function checkNamespace(org: string, env: string): void {
    for (const [what, id, allowed] of [
      ['organization', org, options.organizations], ['environment', env, options.environments],
    ] as const) {
      if (!z.safeParse(NamespaceId, id).success) {
        throw new ApiError(404, 'ERR_CONFIG_NOT_FOUND', `${what} ${quote(id)} not found: ids are 1–64 characters of A–Z, a–z, 0–9, "_" or "-"`);
      }
      if (allowed && !allowed.includes(id)) {
        throw new ApiError(404, 'ERR_CONFIG_NOT_FOUND', `${what} ${quote(id)} not found (this emulator serves ${allowed.join(', ')})`);
      }
    }
  }

  function checkOverload(org: string, env: string, profileId: string): void {
    if (maxProfileRps <= 0) return;
    const key = `${org}\u0000${env}\u0000${profileId}`;
    const second = Math.floor(Date.now() / 1000);
    const hit = profileHits.get(key);
    if (!hit || hit.second !== second) {
      if (profileHits.size > 100_000) profileHits.clear();
      profileHits.set(key, { second, count: 1 });
      return;
    }
    if (++hit.count > maxProfileRps) {
      throw new ApiError(429, 'ERR_PROFILE_OVERLOAD', `profile ${quote(profileId)} received more than ${maxProfileRps} requests in one second`);
    }
  }

  function logRequest(req: IncomingMessage, url: URL, route: Route): RequestLogEntry {
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: queryObject(url.searchParams),
      contentType: req.headers['content-type'] ?? null,
      receivedAt: new Date(now()).toISOString(),
      status: null,
      body: null,
      organization: route.kind === 'none' ? null : route.org,
      environment: route.kind === 'none' ? null : route.env,
    };
    requests.push(entry);
    if (requests.length > REQUEST_LOG_LIMIT + 500) trimRequests(REQUEST_LOG_LIMIT, REQUEST_LOG_BYTES);
    return entry;
  }

  /** The read answer for a profile, or null when there is none (for a request that only resent applied events). */
  function readKnown(info: RequestInfo, profileId: string): unknown {
    try {
      return readProfile(ctx, info, profileId);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * The batch answer for a resent batch, after its new events (if any) were applied: each profile
   * an event went to — the one its messageId was applied to, else its anonymousId's — as it is now;
   * null when one is not there.
   */
  function batchAnswer(info: RequestInfo, body: unknown): unknown {
    const events = (body as { events: { anonymousId?: unknown; messageId?: unknown }[] }).events;
    const profiles: ProfileRecord[] = [];
    for (const event of events) {
      const id = (typeof event?.messageId === 'string' ? info.ns.experienceIds.get(event.messageId) : undefined) ?? event?.anonymousId;
      let profile = typeof id === 'string' ? info.ns.profiles.get(id) : undefined;
      for (let hops = 0; profile?.mergedInto && hops < 8; hops++) profile = info.ns.profiles.get(profile.mergedInto) ?? profile;
      if (!profile) return null;
      if (!profiles.includes(profile)) profiles.push(profile);
    }
    const only = profiles.length === 1 ? profiles[0]!.session?.id ?? null : null;
    return {
      data: { profiles: profiles.map((p) => toWireProfile(p, space, info.locale)) }, message: 'ok', error: null,
      handle: stateHandle(info.ns.organization, only),
    };
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const route = matchRoute(method, url.pathname);
    const entry = logRequest(req, url, route);
    res.once('finish', () => { entry.status = res.statusCode; });
    setCors(req, res);
    if (method === 'OPTIONS') return answerPreflight(res);

    let text: string | null = null;
    let parsed: ReturnType<typeof tryParseJson> | null = null;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE') {
      const body = await readBody(req);
      if (body.kind === 'too-large') {
        await sleep(latencyMs);
        closeAfterAnswer(req, res);
        throw new ApiError(413, 'ERR_PAYLOAD_TOO_LARGE', `body: larger than ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
      }
      text = body.text;
      parsed = tryParseJson(text);
      logBody(entry, parsed.ok ? parsed.value : text, text.length);
    }

    if (route.kind === 'none') {
      await sleep(latencyMs);
      throw new ApiError(404, 'ERR_NOT_FOUND', `no route for ${method} ${url.pathname.slice(0, 200)}`);
    }
    const fault = faults.take(route.org, route.api);
    if (fault) {
      await sleep(latencyMs + fault.delayMs);
      setCors(req, res, Object.keys(fault.headers));
      res.writeHead(fault.status, fault.headers);
      res.end(fault.body);
      return;
    }
    if (failRate > 0 && random.failRoll() < failRate) {
      await sleep(latencyMs);
      throw new ApiError(503, 'ERR_SERVICE_UNAVAILABLE', 'service unavailable (simulated by --fail-rate); retry', { 'Retry-After': '1' });
    }
    await sleep(latencyMs);
    if (route.kind === 'method') {
      throw new ApiError(405, 'ERR_METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${url.pathname.slice(0, 200)}; use ${route.allow}`, { Allow: `${route.allow}, OPTIONS` });
    }
    checkNamespace(route.org, route.env);
    const ns = store.namespace(route.org, route.env);
    const info: RequestInfo = {
      ns,
      preflight: url.searchParams.get('type') === 'preflight',
      locale: url.searchParams.get('locale'),
      ip: typeof req.headers['x-force-ip'] === 'string' ? req.headers['x-force-ip'].trim() : undefined,
    };
    const json = (): unknown => {
      if (text === null || text.trim() === '') throw new ApiError(400, 'ERR_INVALID_DATA', 'body: expected JSON, received an empty body');
      if (!parsed?.ok) throw new ApiError(400, 'ERR_INVALID_DATA', `body: ${parsed?.error ?? 'malformed JSON'}`);
      return parsed.value;
    };
    const receivedAt = new Date(now()).toISOString();
    /** Remembers the request's events as applied to `profileIdOf(event)` (never for a preflight). */
    const applied = (events: unknown, profileIdOf: (event: Record<string, unknown>) => string) => {
      if (!info.preflight) store.addExperience(ns, experienceDigests(events, profileIdOf, receivedAt));
    };
    const answeredProfile = (a: unknown) => (a as { data: { profile: { id: string } } }).data.profile.id;
    let answer: unknown;
    switch (route.op) {
      case 'read':
        checkOverload(route.org, route.env, route.profileId!);
        answer = readProfile(ctx, info, route.profileId!);
        break;
      case 'create': {
        const { body, fresh, appliedTo } = withoutApplied(ns, json());
        // A retried create: its events already made a profile, which is the answer (not a second visitor).
        if (appliedTo !== null && fresh === 0) answer = readProfile(ctx, info, appliedTo);
        else answer = upsertProfile(ctx, info, appliedTo, body);
        const id = answeredProfile(answer);
        applied((body as { events?: unknown }).events, () => id);
        break;
      }
      case 'update': {
        checkProfileId(route.profileId!);
        checkOverload(route.org, route.env, route.profileId!);
        const original = json();
        const { body, fresh, appliedTo } = withoutApplied(ns, original);
        // Some or all of the events were applied before, to another profile, and this id is unknown
        // (a client resending them under a new id): they belong to the profile they made, which
        // takes the new ones too and is the answer — as for a resent create, not a second visitor.
        const target = appliedTo !== null && !ns.profiles.has(route.profileId!) ? appliedTo : route.profileId!;
        answer = appliedTo !== null && fresh === 0 ? readKnown(info, target) : null;
        // (A profile its events made that is gone cannot happen short of a reset, which forgets the events too.)
        answer ??= upsertProfile(ctx, info, target, fresh === 0 ? original : body);
        const id = answeredProfile(answer);
        applied((body as { events?: unknown }).events, () => id);
        break;
      }
      case 'batch': {
        const original = json();
        const { body, fresh, appliedTo } = withoutApplied(ns, original);
        const made = fresh !== 0 ? upsertBatch(ctx, info, body) : null;
        applied((body as { events?: unknown }).events, (e) => String(e.anonymousId));
        // A resent batch answers every profile it names: those its new events went to, and those
        // its earlier events went to (which may not be their anonymousId any more, after a merge).
        answer = (appliedTo !== null && !info.preflight ? batchAnswer(info, original) : null) ?? made ?? upsertBatch(ctx, info, original);
        break;
      }
      case 'insights':
        answer = ingestInsights(ctx, info, json()).answer;
        break;
    }
    if (persistence) await persistence.committed();
    sendJson(res, 200, answer);
  }

  const MAX_CLOCK_OFFSET_MS = 1e13;
  const ClockBody = z.object({ advanceMs: z.optional(z.number()), offsetMs: z.optional(z.number()) });

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    setControlCors(req, res);
    if (method === 'OPTIONS') return answerPreflight(res);
    if (method !== 'GET' && method !== 'HEAD' && !trustedControlOrigin(req)) {
      throw new ApiError(403, 'ERR_INVALID_DATA', `Origin: ${quote(String(req.headers.origin))} may not change the emulator; control requests come from its own pages, a page on this machine, or a client that is not a browser`);
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const orgParam = url.searchParams.get('organization');
    const org = orgParam === null || orgParam === '' ? null : orgParam;
    const readJson = async (): Promise<unknown> => {
      const body = await readBody(req);
      if (body.kind === 'too-large') {
        closeAfterAnswer(req, res);
        throw new ApiError(413, 'ERR_PAYLOAD_TOO_LARGE', `body: larger than ${MAX_BODY_BYTES} bytes`, { Connection: 'close' });
      }
      return body.text.trim() === '' ? {} : parseJsonBody(body.text);
    };
    const allow = (allowed: string) => {
      if (!allowed.split(', ').includes(method)) {
        throw new ApiError(405, 'ERR_METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${path}; use ${allowed}`, { Allow: `${allowed}, OPTIONS` });
      }
    };
    const namespaces = () => [...store.namespaces.values()].filter((ns) => org === null || ns.organization === org);

    switch (path) {
      case '/_emulator': {
        allow('GET');
        // Any organization text is shown (escaped) as the scope; the figures then match nothing.
        const envParam = url.searchParams.get('environment');
        const { value } = results({ organization: org, environment: envParam ? envParam : null, goals }, true);
        const html = renderDashboard(value, space.source);
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': DASHBOARD_CSP,
          'X-Content-Type-Options': 'nosniff',
          'Referrer-Policy': 'no-referrer',
          'Cache-Control': 'no-store',
        });
        res.end(html);
        return;
      }
      case '/_emulator/dashboard.js': {
        allow('GET');
        if (dashboardScript === null) {
          try {
            dashboardScript = readFileSync(new URL('./emulator-dashboard.js', import.meta.url), 'utf8');
          } catch {
            throw new ApiError(404, 'ERR_NOT_FOUND', 'the dashboard script is not built (dist/emulator-dashboard.js); run npm run build');
          }
        }
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
        res.end(dashboardScript);
        return;
      }
      case '/_emulator/dashboard.css':
        allow('GET');
        res.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
        res.end(DASHBOARD_CSS);
        return;
      case '/_emulator/results': {
        allow('GET');
        const noCache = /(^|,)\s*no-cache\s*(,|$)/i.test(String(req.headers['cache-control'] ?? '')) || /no-cache/i.test(String(req.headers.pragma ?? ''));
        const { etag, value } = results(resultsQuery(url.searchParams, goals), noCache);
        if (req.headers['if-none-match'] === etag) {
          res.writeHead(304, { ETag: etag, 'Cache-Control': 'no-store' });
          res.end();
          return;
        }
        return sendJson(res, 200, value, { ETag: etag });
      }
      case '/_emulator/goals':
        allow('GET, POST');
        if (method === 'POST') {
          // JSON only: a page can send text/plain anywhere without a CORS preflight, application/json it cannot.
          if (!isJsonContentType(req.headers['content-type'])) {
            throw new ApiError(415, 'ERR_INVALID_DATA', `Content-Type: expected application/json (got ${quote(req.headers['content-type'] ?? 'none')})`);
          }
          goals = [...new Set(parseOrThrow(GoalsBody, await readJson()).goals)];
        }
        return sendJson(res, 200, { goals });
      case '/_emulator/events':
        allow('GET');
        return sendJson(res, 200, { events: namespaces().flatMap((ns) => ns.insights) });
      case '/_emulator/requests':
        allow('GET');
        return sendJson(res, 200, { requests: org === null ? requests : requests.filter((r) => r.organization === org) });
      case '/_emulator/profiles':
        allow('GET');
        return sendJson(res, 200, {
          profiles: namespaces().flatMap((ns) => [...ns.profiles.values()].map((p) => ({
            ...toWireProfile(p, space, null),
            organization: ns.organization,
            environment: ns.environment,
            userId: p.userId,
            stickyVariants: p.sticky,
            mergedInto: p.mergedInto,
          }))),
        });
      case '/_emulator/faults':
        allow('GET, POST, DELETE');
        if (method === 'POST') {
          faults.add(await readJson());
        } else if (method === 'DELETE') {
          faults.clear();
        }
        return sendJson(res, 200, { faults: faults.list() });
      case '/_emulator/reset':
        allow('POST');
        store.reset(org);
        for (let i = requests.length - 1; i >= 0; i--) {
          if (org === null || requests[i]!.organization === org) requestBytes -= requestSizes.get(requests.splice(i, 1)[0]!) ?? 0;
        }
        if (persistence) await persistence.committed();
        return sendJson(res, 200, { reset: org ?? 'all' });
      case '/_emulator/clock': {
        allow('GET, POST');
        if (method === 'POST') {
          const body = parseOrThrow(ClockBody, await readJson());
          let offset = clockOffset;
          if (body.offsetMs !== undefined) offset = body.offsetMs;
          if (body.advanceMs !== undefined) offset += body.advanceMs;
          // The CLI's --clock-offset range. Past it a date is invalid and every later answer would
          // fail (`{"advanceMs": 1.2e29}` would turn every request into a 500).
          if (!(Math.abs(offset) <= MAX_CLOCK_OFFSET_MS)) {
            throw new ApiError(400, 'ERR_INVALID_DATA', `body: the clock offset would be ${offset} ms; keep it within ±${MAX_CLOCK_OFFSET_MS} ms (about 300 years)`);
          }
          clockOffset = offset;
        }
        return sendJson(res, 200, { now: new Date(now()).toISOString(), offsetMs: clockOffset });
      }
      default:
        throw new ApiError(404, 'ERR_NOT_FOUND', `no route for ${method} ${path.slice(0, 200)}`);
    }
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://emulator.invalid');
    } catch {
      url = new URL('http://emulator.invalid/');
    }
    const isControl = url.pathname === '/_emulator' || url.pathname.startsWith('/_emulator/');
    const work = isControl ? handleControl(req, res, url) : handleApi(req, res, url);
    work.catch((error: unknown) => {
      // Found by the fuzz suite: a client leaving mid-body was logged as an unexpected error.
      if (error instanceof ClientGone) { res.destroy(); return; }
      if (!(error instanceof ApiError)) log(`emulator: unexpected error on ${req.method} ${url.pathname}: ${(error as Error)?.stack ?? String(error)}`);
      if (res.headersSent) { res.destroy(); return; }
      if (error instanceof ApiError) sendError(res, error);
      else sendJson(res, 500, errorEnvelope('ERR_INTERNAL_SERVER_ERROR', 'internal error in the emulator (see its log)'));
    });
  };

  const server = createServer({ keepAliveTimeout: 5000 }, handler);
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  let closed: Promise<void> | null = null;
  return {
    server,
    store,
    space,
    now,
    loaded,
    handler,
    listen(port = 8787, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve({ url: `http://${shown}:${address.port}`, port: address.port, host: address.address });
        });
      });
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        const finish = () => {
          try { persistence?.close(); } catch (error) { log(`emulator: closing the data log failed: ${String(error)}`); }
          resolve();
        };
        if (!server.listening) { finish(); return; }
        server.close(() => finish());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closed;
    },
  };
}
