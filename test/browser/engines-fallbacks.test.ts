// What visitors of every engine meet when the browser does not give the SDK what it usually has:
// storage that throws (a sandboxed frame: localStorage, IndexedDB and cookies refuse an opaque
// origin, as in blocked-storage and some private modes), an IndexedDB that does not answer (a
// transaction held open elsewhere — the shape of a page suspended in WebKit's back/forward cache),
// Web Locks held by another page that never lets them go, and engines without Web Locks,
// BroadcastChannel or IntersectionObserver. In each case the page must keep working: `ready`
// resolves, events are delivered, nothing throws into the page.
import { createStore, set as idbSet } from 'idb-keyval';
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, EMULATOR, experienceEventsFor, fakeClock, insightsEventsFor, restoreClocks,
  tickUntil, uniqueOrg, waitFor, watchPageErrors,
} from '../helpers/browser.js';
import { pageEvents, shownText, unmountAll } from '../helpers/elements.js';
import { heroClick as click } from '../helpers/queues.js';

const BUNDLE = '/dist/optimization.umd.js';
const api = `data-experience-url="${EMULATOR}" data-insights-url="${EMULATOR}"`;

/**
 * Keeps a readwrite transaction on `storeName` open (a request loop) until the returned function is
 * called: every other transaction on that store waits for it, as behind a suspended page.
 */
async function holdStore(dbName: string, storeName: string): Promise<() => Promise<void>> {
  await idbSet('__held__', 1, createStore(dbName, storeName));
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(dbName);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const tx = db.transaction(storeName, 'readwrite');
  const store = tx.objectStore(storeName);
  let holding = true;
  const spin = () => { if (holding) store.get('__held__').onsuccess = spin; };
  spin();
  const ended = new Promise((r) => { tx.oncomplete = r; tx.onabort = r; tx.onerror = r; });
  return async () => { holding = false; await ended; db.close(); };
}

/** Holds the Web Lock `name` until the returned function is called (another tab that never lets go). */
async function holdLock(name: string): Promise<() => void> {
  let release!: () => void;
  await new Promise<void>((granted) => {
    void navigator.locks.request(name, () => { granted(); return new Promise<void>((r) => { release = r; }); });
  });
  return () => release();
}

describe('fallbacks in every engine', () => {
  let errors: ReturnType<typeof watchPageErrors>;
  beforeEach(async () => { await clearBrowserState(); errors = watchPageErrors(); });
  afterEach(() => { restoreClocks(); destroyRuntimes(); unmountAll(); deepEqual(errors.stop(), [], 'nothing reached the page'); });

  it('blocked storage (a sandboxed frame, where localStorage, IndexedDB and cookies throw): in memory, events delivered, no error', async function () {
    this.timeout(20_000);
    const org = uniqueOrg('blocked');
    const frame = document.createElement('iframe');
    frame.className = 'fixture-frame';
    // allow-scripts without allow-same-origin: an opaque origin, to which the browser refuses storage.
    frame.sandbox.add('allow-scripts');
    const report = new Promise<any>((resolve) => {
      const onMessage = (e: MessageEvent) => {
        if (e.source !== frame.contentWindow || e.data?.kind !== 'blocked-report') return;
        window.removeEventListener('message', onMessage);
        resolve(e.data);
      };
      window.addEventListener('message', onMessage);
    });
    frame.srcdoc = `<!doctype html><html><head>
      <script>
        window.problems = [];
        addEventListener('error', (e) => problems.push('error: ' + e.message));
        addEventListener('unhandledrejection', (e) => problems.push('rejection: ' + String(e.reason && e.reason.message || e.reason)));
        const refused = (f) => { try { return f(); } catch (e) { return e.name; } };
        window.storage = {
          localStorage: refused(() => (localStorage.length, false)),
          indexedDB: refused(() => (indexedDB.open('x'), false)),
          // Chromium and Firefox throw; WebKit keeps no cookie for an opaque origin.
          cookie: refused(() => { document.cookie = 'ctfl-probe=1'; return !document.cookie.includes('ctfl-probe=1') && 'not kept'; }),
        };
      </script>
      <script src="${location.origin}${BUNDLE}" data-client-id="${org}" ${api} data-consent="true" data-auto-page="false"></script>
      <script>
        (async () => {
          await optimization.ready;
          const page = await optimization.page();
          const click = await optimization.trackClick(${JSON.stringify(click)});
          await optimization.flush(); // idle: every delivery over
          // A task: an unhandled rejection from that last pass is reported in one (a zero wait, not a guess).
          await new Promise((r) => setTimeout(r));
          parent.postMessage({ kind: 'blocked-report', storage, problems,
            page: { accepted: page.accepted, profile: page.data && page.data.profile.id }, click: click.accepted,
            consent: optimization.consentState }, '*');
        })();
      </script></head><body></body></html>`;
    document.body.append(frame);
    const r = await report;
    // The browser really refused each kind of storage here.
    ok(r.storage.localStorage && r.storage.indexedDB && r.storage.cookie, `storage refused: ${JSON.stringify(r.storage)}`);
    deepEqual(r.consent, { events: true, persistence: true }, 'persistence consent given (storage is attempted and fails)');
    equal(r.page.accepted, true);
    ok(r.page.profile, 'the Experience API answered');
    equal(r.click, true);
    deepEqual(r.problems, [], 'nothing thrown into the page');
    equal((await pageEvents(org)).length, 1, 'the page event reached the API');
    await waitFor(async () => (await insightsEventsFor(org)).length === 1, 4000, 'the click reached the API');
  });

  it('an IndexedDB that does not answer: ready resolves, events are delivered from memory', async function () {
    this.timeout(30_000);
    const releaseQueue = await holdStore('ctfl-optimization-queue', 'queues');
    const releaseEntries = await holdStore('ctfl-optimization', 'state-entries');
    try {
      const clock = fakeClock(['setTimeout', 'clearTimeout']); // IndexedDB's give-up timeout (3 s) passes on this clock
      const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
      const org = sdk.config.clientId;
      await tickUntil(clock, sdk.ready, 500);
      const { accepted, data } = await sdk.page();
      equal(accepted, true);
      ok(data?.profile.id, 'delivered and answered');
      await sdk.trackClick(click);
      await sdk.flush();
      await waitFor(async () => (await insightsEventsFor(org)).length === 1, 4000, 'the click delivered');
      equal((await experienceEventsFor(org)).length, 1);
    } finally {
      await releaseQueue();
      await releaseEntries();
    }
    // Once the database answers again, the next runtime uses it (a queue persists offline).
    const next = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await next.ready;
    equal((await next.page()).accepted, true);
  });

  it('Web Locks another page never lets go: ready resolves and events are delivered', async function () {
    this.timeout(30_000);
    const org = uniqueOrg('locked');
    const releases = [await holdLock(`ctfl-opt-flush:${org}`), await holdLock(`${org}:adopt`)];
    try {
      const clock = fakeClock(['setTimeout', 'clearTimeout']); // the lock waits (5 s) pass on this clock
      const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
      await tickUntil(clock, sdk.ready, 500);
      const { accepted, data } = await sdk.page();
      equal(accepted, true);
      ok(data?.profile.id, 'delivered without the lock');
      equal((await pageEvents(org)).length, 1);
    } finally {
      for (const r of releases) r();
    }
  });

  it('no Web Locks, BroadcastChannel or IntersectionObserver (older engines): pages work, tabs stay in step, entries decide', async function () {
    this.timeout(20_000);
    const org = uniqueOrg('nofeatures');
    // Two pages of the site (test/fixtures/engines/no-features.html removes the three before the bundle runs).
    const open = async () => {
      const frame = document.createElement('iframe');
      frame.className = 'fixture-frame';
      const loaded = new Promise((r) => frame.addEventListener('load', r, { once: true }));
      frame.src = `/test/fixtures/engines/no-features.html#${encodeURIComponent(JSON.stringify({ org, emulator: EMULATOR }))}`;
      document.body.append(frame);
      await loaded;
      const win = frame.contentWindow as Window & typeof globalThis & { optimization: any; problems: string[] };
      return { win, doc: frame.contentDocument!, sdk: win.optimization };
    };
    const a = await open();
    const b = await open();
    equal(typeof (a.win as any).BroadcastChannel, 'undefined');
    equal((a.win.navigator as any).locks, undefined);
    // Without Web Locks a tab cannot tell a live tab's persisted queue from a closed one's: the second
    // page adopts what the first had queued and may send it again, with the same messageId, which the
    // API keeps once. Each page view reaches it, none is lost, and none counts twice.
    const mine = [...a.sdk.state.events, ...b.sdk.state.events].filter((e: { type: string }) => e.type === 'page').map((e: { messageId: string }) => e.messageId);
    await waitFor(async () => new Set((await pageEvents(org)).map((e) => e.messageId)).size === 2, 6000, 'both page events');
    deepEqual([...new Set((await pageEvents(org)).map((e) => e.messageId))].sort(), [...mine].sort());
    // The teaser experiment decides for every visitor: shown without IntersectionObserver.
    const el = a.doc.querySelector('ctfl-optimized-entry')!;
    await waitFor(() => el.getAttribute('data-ctfl-experience-id') === 'expTeaserAbTest0000001', 4000, 'the decision');
    ok(['Meet the new dashboard', 'Your data, one click away'].includes(shownText(el)), shownText(el));
    // Tabs in step through the storage-event fallback: a withdrawal in one reaches the other.
    a.sdk.consent(false);
    await waitFor(() => b.sdk.consentState.events === false, 4000, 'the other page took the withdrawal');
    // (The payload is made in that page, as its own script would: an object of the test page's realm is not a plain object there.)
    const blocked = await b.sdk.trackClick(b.win.JSON.parse(JSON.stringify(click)));
    deepEqual([blocked.accepted, blocked.error], [false, undefined], 'and blocks what needs consent');
    deepEqual([...a.win.problems, ...b.win.problems], []);
  });
});
