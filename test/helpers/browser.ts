// Shared helpers for browser tests: the real emulator started by web-test-runner.config.mjs, a
// fresh organization id per test (isolation without restarts), and clean browser storage.
import { executeServerCommand } from '@web/test-runner-commands';
import { withGlobal, type Clock, type FakeMethod } from '@sinonjs/fake-timers';
import { ContentfulOptimization, type RuntimeDependencies } from '../../src/browser/optimization.js';
import type { OptimizationConfig } from '../../src/browser/config.js';
import type { Profile } from '../../src/core/wire.js';
import { stateEntriesKey as entriesKeyOf } from '../../src/browser/state-entries.js';

declare global { interface Window { __EMULATOR_URL__: string } }

export const EMULATOR = window.__EMULATOR_URL__;

let n = 0;
export const uniqueOrg = (label = 'org') => `${label}-${Date.now().toString(36)}-${(n++).toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

/** Removes every cookie this page can see, localStorage and sessionStorage. */
export async function clearBrowserState(): Promise<void> {
  localStorage.clear();
  sessionStorage.clear();
  for (const part of document.cookie.split(';')) {
    const pair = part.trim();
    if (!pair) continue;
    // A cookie without `=` has an empty name (WebKit makes one of a name cut at its first non-ASCII
    // character): it is expired by writing its value alone.
    document.cookie = pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=; Path=/; Max-Age=0` : `${pair}; Path=/; Max-Age=0`;
  }
  document.getElementById('ctfl-optimization-data')?.remove();
}

const live: ContentfulOptimization[] = [];

/** A runtime pointed at the emulator, with a fresh organization unless `clientId` is given. */
export function createRuntime(config: Partial<OptimizationConfig> = {}, deps?: RuntimeDependencies): ContentfulOptimization {
  const sdk = new ContentfulOptimization({
    clientId: uniqueOrg(),
    ...config,
    api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR, ...config.api },
  }, deps);
  live.push(sdk);
  return sdk;
}

/** Destroys every runtime created by createRuntime (call in afterEach). */
export function destroyRuntimes(): void {
  for (const sdk of live.splice(0)) sdk.destroy();
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  receivedAt: string;
  status: number;
  body: any;
}

/** Every API request the emulator received for this organization. */
export async function requestsFor(org: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${EMULATOR}/_emulator/requests?organization=${encodeURIComponent(org)}`);
  return (await res.json()).requests;
}

/** All Experience events the emulator received for this organization, in order. */
export async function experienceEventsFor(org: string): Promise<any[]> {
  const reqs = await requestsFor(org);
  return reqs.filter((r) => r.path.startsWith('/v2/') && r.method === 'POST').flatMap((r) => r.body?.events ?? []);
}

/** Insights events stored by the emulator for this organization. */
export async function insightsEventsFor(org: string): Promise<any[]> {
  const res = await fetch(`${EMULATOR}/_emulator/events?organization=${encodeURIComponent(org)}`);
  return (await res.json()).events;
}

export async function profilesFor(org: string): Promise<any[]> {
  const res = await fetch(`${EMULATOR}/_emulator/profiles?organization=${encodeURIComponent(org)}`);
  return (await res.json()).profiles;
}

/** Makes the emulator answer the next `count` matching requests with a fault (a real HTTP answer). */
export async function injectFault(fault: { organization?: string; api?: 'experience' | 'insights'; count?: number; status: number; body?: string; headers?: Record<string, string>; delayMs?: number; repeat?: Array<{ marker: string; text: string; times: number }> }): Promise<void> {
  const res = await fetch(`${EMULATOR}/_emulator/faults`, { method: 'POST', body: JSON.stringify({ count: 1, ...fault }) });
  if (!res.ok) throw new Error(`fault injection failed: ${res.status}`);
}

/** A server-set cookie on this page's origin (HttpOnly or another path are only possible from a server). */
export async function serverSetCookie(name: string, value: string, opts: { httpOnly?: boolean; path?: string; maxAge?: number } = {}): Promise<void> {
  const q = new URLSearchParams({
    name, value,
    ...(opts.httpOnly ? { httponly: '1' } : {}),
    ...(opts.path ? { path: opts.path } : {}),
    ...(opts.maxAge !== undefined ? { maxage: String(opts.maxAge) } : {}),
  });
  await fetch(`/__test/set-cookie?${q}`);
}

/** Expires a server-set cookie (HttpOnly or on another path: page script can neither see nor remove it). */
export const serverRemoveCookie = (name: string, opts: { httpOnly?: boolean; path?: string } = {}) =>
  serverSetCookie(name, '', { ...opts, maxAge: 0 });

export const readCookieValue = (name: string) =>
  document.cookie.split(';').map((p) => p.trim()).find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1);

// The page's real timers, taken before any test installs a fake clock (fakeClock() below): the
// helpers' own waits and deadlines run in real time, whatever clock the runtime is given.
const realSetTimeout = window.setTimeout.bind(window);
const realClearTimeout = window.clearTimeout.bind(window);
const realNow = performance.now.bind(performance);

export const sleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));

/**
 * One task later (a message, not a timer: no fake clock holds it): what the current task and its
 * microtasks started has run, and errors or unhandled rejections it caused have reached the page.
 */
export const nextTask = () => new Promise<void>((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(0);
});

type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/** Polls until `fn` returns a truthy value (or throws after `timeout` ms). */
export async function waitFor<T>(fn: () => T | Promise<T>, timeout = 4000, what = 'condition'): Promise<Truthy<T>> {
  const end = realNow() + timeout;
  let last: unknown;
  while (realNow() < end) {
    try {
      const v = await fn();
      if (v) return v as Truthy<T>;
    } catch (error) { last = error; }
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * What `promise` settles with, or undefined when it has not settled within `ms`: a bound for a
 * promise that must settle (the caller asserts on the result), not a wait — it resolves as soon as
 * the promise does.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => { timer = realSetTimeout(() => resolve(undefined), ms); })]);
  } finally {
    realClearTimeout(timer);
  }
}

const clocks: Clock[] = [];

/**
 * A fake clock (@sinonjs/fake-timers) on `win`: its timers and, by default, performance.now (the
 * durations a view or hover measures) — so product time (a view's or hover's second, a retry's
 * backoff, an anti-flicker timeout, an entry's maxAge with `Date`) passes with `clock.tickAsync(ms)`
 * instead of being waited out. Timers set before it was installed still run in real time (and can be
 * cleared). Uninstall with restoreClocks() in afterEach.
 */
export function fakeClock(toFake: FakeMethod[] = ['setTimeout', 'clearTimeout', 'performance'], win: Window = window): Clock {
  const clock = withGlobal(win as unknown as typeof globalThis).install({ toFake, now: Date.now(), shouldClearNativeTimers: true });
  clocks.push(clock);
  return clock;
}

/**
 * Advances `clock` in steps of `stepMs` until `promise` settles, and returns what it settles with:
 * for product time (a Web Lock's or IndexedDB's give-up timeout) whose timer is set somewhere down
 * an asynchronous chain (storage, locks), at a moment the test cannot know.
 */
export async function tickUntil<T>(clock: Clock, promise: Promise<T>, stepMs: number, timeout = 4000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => { settled = true; });
  watched.catch(() => {});
  await waitFor(async () => { if (!settled) await clock.tickAsync(stepMs); return settled; }, timeout, `${String(promise)} to settle on the fake clock`);
  return watched;
}

/** Uninstalls every clock fakeClock() installed (call in afterEach). */
export function restoreClocks(): void {
  for (const clock of clocks.splice(0).reverse()) clock.uninstall();
}

/**
 * Resolves once `el` has been through an intersection observation (at least once after this call).
 * Observers are notified in the order they were made, so the element's own observer (views, made
 * when it showed its decision) has seen the same change by then: a view's timer is set.
 */
export function intersected(el: Element): Promise<IntersectionObserverEntry> {
  return new Promise((resolve) => {
    const io = new IntersectionObserver((entries) => { io.disconnect(); resolve(entries[entries.length - 1]!); });
    io.observe(el);
  });
}

/**
 * After the next frame and a task (or 100 ms, when the page has no frames): what the page does at
 * its next rendering has been done by then — resize observers have been told (a flag's view waits
 * for its box), and the runtime's route tracking has sent, or decided not to send, the page event
 * of a URL change made before this call (src/browser/navigation.ts: "the page event waits for the
 * next frame"; its callbacks are queued before these).
 */
export function afterNextRender(win: Window = window): Promise<void> {
  const later = win === window ? realSetTimeout : win.setTimeout.bind(win);
  return new Promise((resolve) => {
    let called = false;
    const once = () => { if (!called) { called = true; resolve(); } };
    win.requestAnimationFrame(() => later(once, 0));
    later(once, 100);
  });
}

/**
 * Watches the page's fetch() calls to URLs starting with `prefix` (and still makes them). `read()`
 * resolves once each one made so far has been answered and its caller's code after awaiting the
 * answer — and the body it read (json(), text()) — has run: what a caller does with an answer is
 * done, so a check that it showed nothing no longer looks too early.
 */
export function watchFetch(prefix: string, win: Window = window): { read(): Promise<void>; restore(): void } {
  const real = win.fetch;
  // Each entry settles just before its caller's own `await` of the same promise resumes.
  const steps: Array<Promise<unknown>> = [];
  win.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    const answer = real.call(win, input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(prefix)) return answer;
    const watched = answer.then((res) => {
      for (const read of ['json', 'text'] as const) {
        const body = res[read].bind(res);
        (res as unknown as Record<string, unknown>)[read] = () => { const b = body(); steps.push(b.catch(() => {})); return b; };
      }
      return res;
    });
    steps.push(watched.catch(() => {}));
    return watched;
  } as typeof fetch;
  return {
    async read() { for (let i = 0; i < steps.length; i++) await steps[i]; },
    restore() { win.fetch = real; },
  };
}

/**
 * Records what the page hands to navigator.sendBeacon (and still hands it over). A beacon is the
 * browser's to deliver, after the page let go of it: no runtime promise covers it, so a test that
 * proves nothing left the page checks that nothing was handed over, besides what the API received.
 */
function recordBeacons(win: Window = window): { calls: string[]; restore(): void } {
  const nav = win.navigator;
  const real = nav.sendBeacon;
  const calls: string[] = [];
  nav.sendBeacon = function (url: string | URL, data?: BodyInit | null) {
    calls.push(String(url));
    return real.call(nav, url, data);
  };
  return { calls, restore: () => { delete (nav as { sendBeacon?: unknown }).sendBeacon; } };
}

/**
 * The runtime made idle, then `pagehide`: the URLs it handed to sendBeacon on the way out. What it
 * sent with fetch instead is delivered (flushed) before this returns.
 */
export async function beaconsOnPagehide(sdk: Pick<ContentfulOptimization, 'flush'>): Promise<string[]> {
  await sdk.flush();
  const beacons = recordBeacons();
  try {
    window.dispatchEvent(new Event('pagehide'));
  } finally {
    beacons.restore();
  }
  await sdk.flush();
  return beacons.calls;
}

/** POST requests to the Experience API (`/v2/…/profiles[/{id}]`) the emulator received, in order. */
export async function experienceRequestsFor(org: string): Promise<ReceivedRequest[]> {
  return (await requestsFor(org)).filter((r) => r.path.startsWith('/v2/') && r.method === 'POST');
}

/** Requests to the Insights API (`/v1/…/events`) the emulator received, in order. */
export async function insightsRequestsFor(org: string): Promise<ReceivedRequest[]> {
  return (await requestsFor(org)).filter((r) => r.path.startsWith('/v1/'));
}

/** The profile id named in an Experience request path, or undefined for `POST …/profiles` (create). */
export const profileIdInPath = (r: Pick<ReceivedRequest, 'path'>) => /\/profiles\/([^/]+)$/.exec(r.path)?.[1];

/**
 * A cookie as the browser keeps it — path, domain, SameSite (lower case), Secure, HttpOnly, expiry in
 * ms — read through the test runner's driver in every engine (web-test-runner.config.mjs,
 * test/helpers/wtr-commands.mjs). Page script cannot see these attributes (document.cookie gives
 * name=value; the Cookie Store API adds them in Chromium only).
 */
export interface CookieInfo { name: string; value: string; path: string | null; domain: string | null; sameSite: string; secure: boolean; httpOnly: boolean; expires: number | null }
export async function cookieInfo(name: string): Promise<CookieInfo | undefined> {
  const all = await executeServerCommand<CookieInfo[], undefined>('ctfl-cookies');
  return all.find((c) => c.name === name);
}

/** This run's engine: chromium, firefox or webkit. */
export const ENGINE = (window as unknown as { __ENGINE__?: string }).__ENGINE__ ?? 'chromium';

/** The durable client-state entries a runtime keeps in localStorage for this organization (outside cookie mode). */
export const stateEntryPrefix = (org: string) => `kndctr_${org}_`;
export const stateEntriesKey = (org: string) => entriesKeyOf(stateEntryPrefix(org));
export async function readStoredStateEntries(org: string): Promise<any[] | undefined> {
  const raw = localStorage.getItem(stateEntriesKey(org));
  if (raw === null) return undefined;
  try { return JSON.parse(raw); } catch { return [raw]; } // a tampered value, as it is
}
export async function writeStoredStateEntries(org: string, entries: unknown): Promise<void> {
  localStorage.setItem(stateEntriesKey(org), typeof entries === 'string' ? entries : JSON.stringify(entries));
}

/** A complete, valid Experience API profile (for defaults, storage and handoff fixtures). */
export function makeProfile(id: string, traits: Record<string, unknown> = {}): Profile {
  return {
    id, stableId: id, random: 0.5, audiences: [], traits: traits as Profile['traits'], location: {},
    session: {
      id: `session-${id}`, isReturningVisitor: false, count: 1,
      landingPage: { path: '/', query: {}, referrer: '', search: '', url: 'http://localhost/' },
      activeSessionLength: 0, averageSessionLength: 0,
    },
  };
}

/** The `/profiles` response envelope the emulator would send, for a fault body that must look real. */
export function responseBody(profileId: string, extra: { handle?: unknown[]; experiences?: unknown[]; changes?: unknown[] } = {}): string {
  return JSON.stringify({
    data: { profile: makeProfile(profileId), experiences: extra.experiences ?? [], changes: extra.changes ?? [] },
    message: 'ok', error: null, ...(extra.handle ? { handle: extra.handle } : {}),
  });
}

/** Collects errors and unhandled rejections that reach the page; `stop()` returns them. */
export function watchPageErrors(): { stop(): unknown[] } {
  const seen: unknown[] = [];
  const onError = (e: ErrorEvent) => seen.push(e.error ?? e.message);
  const onRejection = (e: PromiseRejectionEvent) => seen.push(e.reason);
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  return {
    stop() {
      window.removeEventListener('error', onError);
      window.removeEventListener('unhandledrejection', onRejection);
      return seen;
    },
  };
}

/**
 * Headless Chromium cannot take the network away from a page, and `navigator.onLine` stays true:
 * the runtime learns about connectivity from the window's 'offline'/'online' events, so tests
 * dispatch those (a fake of the browser's signal, not of the network).
 */
export const goOffline = () => window.dispatchEvent(new Event('offline'));
export const goOnline = () => window.dispatchEvent(new Event('online'));

/**
 * Page script cannot hide its own page in headless Chromium, so the document's visibilityState is
 * overridden for the duration of `fn` and a real 'visibilitychange' event is dispatched (a fake of
 * the tab switch only; the beacon it triggers is real).
 */
export async function whileHidden<T>(fn: () => T | Promise<T>): Promise<T> {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  try {
    document.dispatchEvent(new Event('visibilitychange'));
    return await fn();
  } finally {
    delete (document as unknown as { visibilityState?: unknown }).visibilityState;
  }
}

/**
 * A Storage whose writes fail like a full quota (QuotaExceededError). A real full localStorage means
 * writing megabytes before every test and is not reliably reproducible, so this one is a fake;
 * reads work and come from memory.
 */
export function fullStorage(initial: Record<string, string> = {}): Storage & { writes: number } {
  const data = new Map(Object.entries(initial));
  const s = {
    writes: 0,
    get length() { return data.size; },
    key: (i: number) => [...data.keys()][i] ?? null,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (_k: string, _v: string) => { s.writes++; throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); },
    removeItem: (k: string) => { data.delete(k); },
    clear: () => data.clear(),
  };
  return s as Storage & { writes: number };
}

/** A handoff element as a server would render it. */
export function addHandoff(text: string, attrs: { type?: string; tag?: string } = {}): HTMLElement {
  const el = document.createElement(attrs.tag ?? 'script');
  el.id = 'ctfl-optimization-data';
  if ((attrs.tag ?? 'script') === 'script') (el as HTMLScriptElement).type = attrs.type ?? 'application/json';
  el.textContent = text;
  document.body.appendChild(el);
  return el;
}

/** The ids the emulator's demo space (demo/space.json) is built from. */
export const SPACE = {
  heroBaseline: 'heroBaseline0000000001', heroVariant: 'heroVariant00000000001', heroExperience: 'expHeroPricing00000001',
  teaserBaseline: 'teaserBaseline00000001', teaserVariant: 'teaserVariant000000001', teaserExperience: 'expTeaserAbTest0000001',
  promoBaseline: 'promoBanner00000000001', promoExperience: 'expPromoHidden00000001',
} as const;
