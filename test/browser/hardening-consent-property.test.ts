// Hardening (issue 9): consent invariants under random interleavings (fast-check). A run is a random
// configuration (allowedEventTypes, defaults.consent, defaults.persistenceConsent) and a random
// sequence of consent changes, persistence-consent changes, every event method, reset(), reloads (a
// new runtime on the same storage), offline spells, failing API answers (real 503s from the
// emulator), flushes and pauses. A model written from consent-management.txt says, at every step,
// what the visitor allowed. The invariants:
//   1. an event whose call the gate had to block never reaches the API, then or later;
//   2. no request leaves the page carrying a gated event while event consent does not allow it
//      (consent withdrawn after the call: the queue is purged), nor any event called before a
//      consent(false) or reset() that came after it (both purge the queues);
//   3. isConsentGiven is true exactly when event consent was true at the call;
//   4. nothing durable — continuity keys in localStorage, the ctfl-opt-aid cookie, state-entry
//      cookies, stored state entries or IndexedDB queues — is written, or left behind, without persistence
//      consent (the consent record itself is policy storage and is always kept).
// What leaves the page is observed twice: pass-through spies on the runtime's fetch, on
// navigator.sendBeacon, on its Storage and on document.cookie (they record what was written and
// when, then do the real thing: a check afterwards alone would miss a write that is undone before
// it runs), and the emulator's own request log.
import fc from 'fast-check';
import { clear as idbClear, createStore, entries as idbEntries } from 'idb-keyval';
import { ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, goOffline, goOnline, injectFault, readStoredStateEntries, requestsFor, sleep, uniqueOrg, waitFor, within,
  watchPageErrors,
} from '../helpers/browser.js';
import type { ContentfulOptimization, EventResult } from '../../src/browser/optimization.js';

/** Runs and seed: fixed, so a run is reproducible; change them here to explore further. */
const RUNS = 200;
const SEED = 20_260_812;

// ---------------------------------------------------------------------------------------------
// The model (consent-management.txt, wire-format.md "Consent gate mapping"), written independently
// of src/core/consent.ts.

const TYPES = ['page', 'identify', 'track', 'screen', 'component', 'component_click', 'component_hover', 'flag'] as const;
const NEEDS = {
  page: ['page'], identify: ['identify'], track: ['track'], screen: ['screen'], trackView: ['component'],
  trackClick: ['component_click'], trackHover: ['component_hover'], trackFlagView: ['flag', 'component'],
} as const;
type Method = keyof typeof NEEDS;
const METHODS = Object.keys(NEEDS) as Method[];
const BROWSER_DEFAULT = ['identify', 'page'];

interface Config { allowed: string[] | undefined; consent: boolean | undefined; persistence: boolean | undefined }

type Action =
  | { k: 'consent'; v: boolean }
  | { k: 'events'; v: boolean }
  | { k: 'persistence'; v: boolean }
  | { k: 'event'; m: Method; sticky: boolean; wait: boolean }
  | { k: 'reset' } | { k: 'reload' } | { k: 'offline' } | { k: 'online' } | { k: 'fault' } | { k: 'flush' }
  | { k: 'pause'; ms: number };

const configArb: fc.Arbitrary<Config> = fc.record({
  allowed: fc.option(fc.subarray([...TYPES]), { nil: undefined, freq: 2 }),
  consent: fc.constantFrom(undefined, undefined, true, false),
  persistence: fc.constantFrom(undefined, undefined, true, false),
});

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('consent' as const), v: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('events' as const), v: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('persistence' as const), v: fc.boolean() }) },
  { weight: 10, arbitrary: fc.record({ k: fc.constant('event' as const), m: fc.constantFrom(...METHODS), sticky: fc.boolean(), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ k: 'reset' as const }) },
  { weight: 2, arbitrary: fc.constant({ k: 'reload' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'offline' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'online' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'fault' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'flush' as const }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
);

/** Totals over all runs, printed at the end (the suite says what it exercised). */
const totals = { calls: 0, blocked: 0, requests: 0, eventsSent: 0, received: 0, durableChecks: 0 };

interface Call { marker: string; method: Method; seq: number; allowed: boolean; consent: boolean | undefined }

const queueStore = () => createStore('ctfl-optimization-queue', 'queues');
const POLICY_KEYS = new Set(['__ctfl_opt_consent__', '__ctfl_opt_persistence_consent__', '__ctfl_opt_debug__']);
const describeAction = (a: Action) => JSON.stringify(a);

/** The marker an event carries, wherever its method puts it. */
function markerOf(e: any): string | undefined {
  return e?.properties?.marker ?? e?.traits?.marker ?? (typeof e?.componentId === 'string' && e.componentId.startsWith('m-') ? e.componentId : undefined);
}

/** Events in a request body (Experience `{events}` or an Insights batch). */
function eventsOf(body: unknown): any[] {
  if (Array.isArray(body)) return body.flatMap((item: any) => (Array.isArray(item?.events) ? item.events : []));
  const events = (body as any)?.events;
  return Array.isArray(events) ? events : [];
}

async function run(cfg: Config, actions: Action[]): Promise<string[]> {
  await clearBrowserState();
  await idbClear(queueStore()).catch(() => {});
  const org = uniqueOrg('prop');
  const allowList = cfg.allowed ?? BROWSER_DEFAULT;
  const problems: string[] = [];
  const log: string[] = [];
  const fail = (what: string) => problems.push(`${what}\n  config ${JSON.stringify(cfg)}\n  steps ${log.join(' → ')}`);

  // The visitor's choices as the model sees them.
  const stored: { consent?: boolean; persistence?: boolean } = {};
  const m = { consent: undefined as boolean | undefined, persistence: undefined as boolean | undefined, purgedAt: 0, seq: 0 };
  const boot = () => {
    m.consent = cfg.consent ?? stored.consent;
    m.persistence = cfg.persistence ?? cfg.consent ?? stored.persistence;
  };
  const allowedNow = (method: Method) => m.consent === true || NEEDS[method].some((t) => allowList.includes(t));

  const calls = new Map<string, Call>();
  /** Checks one outgoing request against the model at the moment it leaves. */
  const leaving = (how: string, body: unknown, at: { consent: boolean | undefined; purgedAt: number; seq: number }) => {
    totals.requests++;
    for (const e of eventsOf(body)) {
      totals.eventsSent++;
      const marker = markerOf(e);
      const call = marker ? calls.get(marker) : undefined;
      if (!call) { fail(`${how}: an event this run never made (${String(e?.type)})`); continue; }
      if (!call.allowed) fail(`${how}: ${call.method}() #${call.seq} was blocked by the gate but sent`);
      const gatedNow = !(at.consent === true || NEEDS[call.method].some((t) => allowList.includes(t)));
      if (gatedNow) fail(`${how} at step ${at.seq}: ${call.method}() #${call.seq} sent while event consent is ${at.consent}`);
      if (call.seq < at.purgedAt) fail(`${how} at step ${at.seq}: ${call.method}() #${call.seq} sent after the purge at step ${at.purgedAt}`);
      if (e?.context?.gdpr?.isConsentGiven !== (call.consent === true)) fail(`${how}: ${call.method}() #${call.seq} has isConsentGiven ${e?.context?.gdpr?.isConsentGiven} for consent ${call.consent}`);
    }
  };
  const snapshot = () => ({ consent: m.consent, purgedAt: m.purgedAt, seq: m.seq });

  // Pass-through spies: they record, then do the real thing.
  const pending = new Set<Promise<unknown>>();
  const fetchSpy: typeof fetch = (input, init) => {
    let body: unknown;
    try { body = JSON.parse(String(init?.body ?? 'null')); } catch { body = undefined; }
    leaving(`fetch ${String(input).replace(/^.*\/(v\d)\//, '$1/').replace(/\?.*$/, '')}`, body, snapshot());
    const p = fetch(input, init);
    pending.add(p);
    p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  };
  const realBeacon = navigator.sendBeacon.bind(navigator);
  Object.defineProperty(navigator, 'sendBeacon', {
    configurable: true,
    value: (url: string, data?: BodyInit | null) => {
      const at = snapshot();
      if (String(url).includes(`/organizations/${org}/`) && data instanceof Blob) {
        const p = data.text().then((text) => leaving('sendBeacon', JSON.parse(text), at));
        pending.add(p);
        p.finally(() => pending.delete(p)).catch(() => {});
      }
      return realBeacon(url, data);
    },
  });
  const storageSpy: Storage = new Proxy(localStorage, {
    get(target, key) {
      if (key === 'setItem') {
        return (k: string, v: string) => {
          if (!POLICY_KEYS.has(k) && !k.startsWith('ctfl-opt:') && m.persistence !== true) fail(`localStorage ${k} written without persistence consent (${m.persistence})`);
          target.setItem(k, v);
        };
      }
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')!;
  Object.defineProperty(document, 'cookie', {
    configurable: true,
    get: () => cookie.get!.call(document),
    set: (v: string) => {
      const [pair] = v.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')).trim(), pair!.slice(pair!.indexOf('=') + 1)];
      const removal = value === '' || /max-age=0\b/i.test(v);
      if (!removal && (name === 'ctfl-opt-aid' || name === 'ntaid' || name.startsWith('kndctr_')) && m.persistence !== true) {
        fail(`cookie ${name} written without persistence consent (${m.persistence})`);
      }
      cookie.set!.call(document, v);
    },
  });

  const durableLeft = async (): Promise<string | undefined> => {
    const keys = Object.keys(localStorage).filter((k) => !POLICY_KEYS.has(k));
    if (keys.length) return `localStorage ${keys.join(', ')}`;
    const cookies = document.cookie.split(';').map((c) => c.trim().split('=')[0]!).filter((n) => n === 'ctfl-opt-aid' || n.startsWith('kndctr_'));
    if (cookies.length) return `cookies ${cookies.join(', ')}`;
    if (await readStoredStateEntries(org)) return 'stored state entries';
    const queues = (await idbEntries(queueStore())).filter(([k]) => String(k).startsWith(`${org}:`));
    if (queues.length) return 'IndexedDB queues';
    return undefined;
  };
  const checkNothingDurable = async (when: string) => {
    if (m.persistence === true) return;
    totals.durableChecks++;
    // Removals of IndexedDB records are asynchronous: wait for them, fail if something stays.
    let left: string | undefined;
    try { await waitFor(async () => !(left = await durableLeft()), 5000, 'durable state gone'); } catch {
      fail(`${when}: ${left} left without persistence consent (${m.persistence})`);
    }
  };

  const results: Array<Promise<unknown>> = [];
  const closed = async () => {
    // destroy() hands out no promise: a task lets its last pass ask for the flush lock before this does.
    await sleep(0);
    await navigator.locks.request(`ctfl-opt-flush:${org}`, async () => {});
    await within(Promise.allSettled([...pending]), 3000);
    // Its tab lock released: the queue it saved can be adopted by the next page (delivered or purged).
    await waitFor(async () => !(await navigator.locks.query()).held?.some((l) => l.name?.startsWith(`${org}:`)), 6000, 'the closed runtime gone')
      .catch(() => fail('a closed runtime still holds its tab lock: its persisted queue can never be adopted'));
  };
  const start = () => {
    boot();
    const defaults = { ...(cfg.consent !== undefined ? { consent: cfg.consent } : {}), ...(cfg.persistence !== undefined ? { persistenceConsent: cfg.persistence } : {}) };
    return createRuntime({
      clientId: org, logLevel: 'silent', defaults, insights: { flushIntervalMs: 40 },
      ...(cfg.allowed ? { allowedEventTypes: cfg.allowed } : {}),
    }, { fetch: fetchSpy, storage: storageSpy });
  };

  let sdk: ContentfulOptimization = start();
  try {
    for (const a of actions) {
      await step(a);
    }
    async function step(a: Action) {
      m.seq++;
      log.push(describeAction(a));
      switch (a.k) {
        case 'consent':
        case 'events':
        case 'persistence': {
          const choice = a.k === 'consent' ? a.v : a.k === 'events' ? { events: a.v } : { persistence: a.v };
          if (a.k !== 'persistence') { m.consent = a.v; stored.consent = a.v; if (!a.v) m.purgedAt = m.seq; }
          if (a.k !== 'events') { m.persistence = a.v; stored.persistence = a.v; }
          sdk.consent(choice);
          if (a.k !== 'events' && !a.v) await checkNothingDurable(`after ${describeAction(a)}`);
          break;
        }
        case 'event': {
          const marker = `m-${m.seq}-${Math.random().toString(36).slice(2, 8)}`;
          const call: Call = { marker, method: a.m, seq: m.seq, allowed: allowedNow(a.m), consent: m.consent };
          calls.set(marker, call);
          totals.calls++;
          if (!call.allowed) totals.blocked++;
          const component = { componentId: marker, experienceId: 'expHeroPricing00000001', variantIndex: 0 };
          const p: Promise<EventResult> = a.m === 'page' ? sdk.page({ properties: { marker } })
            : a.m === 'identify' ? sdk.identify({ traits: { marker } })
              : a.m === 'track' ? sdk.track({ event: 'signup', properties: { marker } })
                : a.m === 'screen' ? sdk.screen({ name: 'Home', properties: { marker } })
                  : a.m === 'trackView' ? sdk.trackView({ ...component, sticky: a.sticky })
                    : a.m === 'trackClick' ? sdk.trackClick(component)
                      : a.m === 'trackHover' ? sdk.trackHover(component)
                        : sdk.trackFlagView({ componentId: marker });
          const checked = p.then((r) => { if (r.accepted && !call.allowed) fail(`${a.m}() #${call.seq} accepted although the gate had to block it`); });
          results.push(checked);
          if (a.wait) await within(checked, 3000);
          break;
        }
        case 'reset':
          m.purgedAt = m.seq;
          sdk.reset();
          break;
        case 'reload':
          // A reload: the page closes (its last flush goes out and its queue is saved, its tab lock
          // released), then a new runtime starts on the same storage.
          sdk.destroy();
          await closed();
          sdk = start();
          if (m.persistence !== true) await checkNothingDurable('after a reload');
          break;
        case 'offline': goOffline(); break;
        case 'online': goOnline(); break;
        case 'fault': await injectFault({ organization: org, status: 503, count: 1 }); break;
        case 'flush': await within(sdk.flush(), 3000); break;
        // A generated step, not a wait for something: time passing (the 40 ms flush interval) is part of what is explored.
        case 'pause': await sleep(a.ms); break;
      }
    }
    // The end of the visit: back online, everything delivered or purged, the page closed.
    m.seq++;
    log.push('end');
    goOnline();
    await within(sdk.flush(), 3000);
    sdk.destroy();
    await closed();
    await within(Promise.allSettled([...results, ...pending]), 5000);
    await checkNothingDurable('at the end');
    // What the API received, from its own log: the same invariants that do not depend on timing.
    for (const r of await requestsFor(org)) {
      for (const e of eventsOf(r.body)) {
        totals.received++;
        const call = calls.get(markerOf(e) ?? '');
        if (!call) { fail(`the emulator received an event this run never made (${e?.type})`); continue; }
        if (!call.allowed) fail(`the emulator received ${call.method}() #${call.seq}, which the gate had to block`);
        if (e?.context?.gdpr?.isConsentGiven !== (call.consent === true)) fail(`the emulator received ${call.method}() #${call.seq} with isConsentGiven ${e?.context?.gdpr?.isConsentGiven}`);
      }
    }
  } finally {
    sdk.destroy();
    goOnline();
    delete (navigator as unknown as { sendBeacon?: unknown }).sendBeacon;
    delete (document as unknown as { cookie?: unknown }).cookie;
  }
  return problems;
}

describe('consent invariants (property-based)', () => {
  it(`no gated event leaves without consent, a blocked event is never sent later, nothing durable without persistence consent (${RUNS} random interleavings)`, async function () {
    this.timeout(600_000);
    const errors = watchPageErrors();
    let runs = 0;
    let steps = 0;
    const seed = SEED;
    const started = Date.now();
    let last = '';
    try {
      await fc.assert(
      fc.asyncProperty(configArb, fc.array(actionArb, { minLength: 4, maxLength: 30 }), async (cfg, actions) => {
        runs++;
        steps += actions.length;
        const problems = await run(cfg, actions);
        if (problems.length) {
          last = problems.slice(0, 3).join('\n');
          throw new Error(last);
        }
      }),
      { numRuns: RUNS, seed },
      );
    } catch (error) {
      // The smallest failing run's own report (fast-check's message shows the inputs).
      throw new Error(`${(error as Error).message.split('\n').slice(0, 4).join('\n')}\n${last}`);
    }
    console.log(`consent invariants: ${RUNS} interleavings passed (${runs} runs incl. shrinking, ${steps} steps, seed ${seed}) in ${Date.now() - started} ms: ${JSON.stringify(totals)}`);
    ok(errors.stop().length === 0, 'no exception reached the page');
  });
});
