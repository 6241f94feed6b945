// Issue 6 end to end: the script-tag bundle in this run's engine (CTFL_ENGINE; test/helpers/driver.mjs)
// against a real emulator that fails half of the API requests (--fail-rate 0.5 --seed 1). "Offline"
// is the API made unreachable for real (a gate in front of the emulator drops every connection)
// while the page still loads, with the browser's 'offline'/'online' signal dispatched in the page:
// only Chromium's driver can take a page offline, and the runtime learns about connectivity from
// those events. Assertions read the emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { root, startEmulator } from '../helpers/emulator.mjs';
import { waitFor } from '../helpers/wait.mjs';
import { launch } from '../helpers/driver.mjs';
import { startGate, startSite } from '../helpers/site.mjs';

let emulator, gate, clean, server, site, origin, browser;
const CLICK = { componentId: 'hero', experienceId: 'exp', variantIndex: 0 };

before(async () => {
  emulator = await startEmulator(['--fail-rate', '0.5', '--seed', '1']);
  gate = await startGate(emulator.url);
  // The tests after the first one are about tabs, not faults: a beacon is sent once, so they use a
  // healthy emulator.
  clean = await startEmulator();
  // A tiny static server for /dist and /test/fixtures (another origin than the API, as in production).
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!/^\/(dist|test\/fixtures)\//.test(path)) { res.writeHead(404).end(); return; }
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'Content-Type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body);
    } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  site = await startSite(`http://127.0.0.1:${server.address().port}`);
  origin = site.url;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await gate?.close();
  await new Promise((r) => server?.close(r));
  await emulator?.stop();
  await clean?.stop();
});

let n = 0;
const newOrg = (label) => `${label}-${Date.now().toString(36)}-${n++}`;
const emu = (org) => (org.startsWith('reliable') ? emulator : clean).url;
// The flaky emulator is reached through the gate (so that it can be made unreachable).
const apiFor = (org) => (org.startsWith('reliable') ? gate.url : clean.url);
const url = (org, extra = '') => `${origin}/test/fixtures/delivery/index.html?org=${org}&api=${encodeURIComponent(apiFor(org))}${extra}`;
const api = async (org, path) => (await fetch(`${emu(org)}${path}`)).json();
const insightsIds = async (org) => (await api(org, `/_emulator/events?organization=${org}`)).events.map((e) => e.event.messageId);
/** messageIds in Insights requests the emulator accepted (2xx): a duplicate here is a real double send. */
async function acceptedIds(org) {
  const { requests } = await api(org, `/_emulator/requests?organization=${org}`);
  return requests.filter((r) => r.path.startsWith('/v1/') && r.status < 300).flatMap((r) => r.body.flatMap((b) => b.events.map((e) => e.messageId)));
}

async function open(context, org, extra) {
  const page = await context.newPage();
  await page.goto(url(org, extra));
  await page.waitForFunction(() => !!window.optimization?.ready);
  await page.evaluate(() => window.optimization.ready);
  return page;
}

/** Makes `count` Insights events in the page and returns their messageIds. */
const makeEvents = (page, count) => page.evaluate(async ({ count, click }) => {
  const made = new Set();
  const off = window.optimization.states.events.subscribe((evs) => { for (const e of evs) if (e.api === 'insights') made.add(e.messageId); });
  const before = new Set(made);
  for (let i = 0; i < count; i++) await window.optimization.trackClick(click);
  off();
  return [...made].filter((id) => !before.has(id));
}, { count, click: CLICK });

/** messageIds in this origin's persisted Insights queues (all tabs), read from IndexedDB. */
const persistedIds = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const req = indexedDB.open('ctfl-optimization-queue');
  req.onerror = () => reject(req.error);
  req.onsuccess = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains('queues')) { db.close(); resolve([]); return; }
    const all = db.transaction('queues').objectStore('queues').getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.flatMap((q) => q.i.map((p) => p.event.messageId))); };
  };
}));

test('1,000 events, half the requests failing, offline and two reloads → exactly those 1,000 messageIds, none twice', async () => {
  const org = newOrg('reliable');
  const context = await browser.newContext();
  const page = await open(context, org);
  await page.evaluate(() => window.optimization.page());
  await page.waitForFunction(() => window.optimization.state.profile?.id, null, { timeout: 20_000 });
  const made = await makeEvents(page, 500);
  await page.evaluate(() => window.optimization.flush());
  gate.down();
  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  made.push(...await makeEvents(page, 500));
  assert.equal(new Set(made).size, 1000);
  await waitFor(async () => { const p = new Set(await persistedIds(page)); return made.slice(500).every((id) => p.has(id)); }, 5000, 'the offline events persisted');
  // The page reloads while the API stays unreachable (the page's own origin is served).
  for (let i = 0; i < 2; i++) {
    await page.reload();
    await page.waitForFunction(() => !!window.optimization?.ready);
    await page.evaluate(() => window.optimization.ready);
  }
  gate.up();
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  const got = await waitFor(async () => { const ids = await insightsIds(org); return ids.length >= 1000 ? ids : undefined; }, 40_000, '1,000 events');
  assert.equal(got.length, 1000, 'none twice');
  assert.deepEqual([...got].sort(), [...made].sort());
  // On the wire an event can go twice: a beacon handed over during a reload stays in the persisted
  // queue (its delivery is unknown) and the next load sends it again with the same messageId; the
  // API's de-duplication makes that exactly-once, which is what the assertions above check.
  await context.close();
});

test('a tab closed right after making events → delivered by beacon', async () => {
  const org = newOrg('closed');
  const context = await browser.newContext();
  // No persistence consent and no flush before the page goes: only pagehide can deliver these.
  const page = await open(context, org, '&persist=0');
  await page.evaluate(() => window.optimization.page());
  await page.waitForFunction(() => window.optimization.state.profile?.id);
  await page.evaluate(() => {
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (u, d) => { localStorage.setItem('beacons', String(Number(localStorage.getItem('beacons') ?? 0) + 1)); return send(u, d); };
  });
  const made = await makeEvents(page, 20);
  const probe = await context.newPage();
  await probe.goto(url(newOrg('probe')));
  await page.close({ runBeforeUnload: true });
  const got = await waitFor(async () => { const ids = await insightsIds(org); return ids.length >= 20 ? ids : undefined; }, 5000, 'delivery');
  assert.deepEqual([...got].sort(), [...made].sort());
  assert.ok(Number(await probe.evaluate(() => localStorage.getItem('beacons'))) >= 1, 'by sendBeacon');
  await context.close();
});

test('two tabs making events at once → no duplicates', async () => {
  const org = newOrg('tabs');
  const context = await browser.newContext();
  const a = await open(context, org);
  await a.evaluate(() => window.optimization.page());
  await a.waitForFunction(() => window.optimization.state.profile?.id);
  const b = await open(context, org);
  await b.waitForFunction(() => window.optimization.state.profile?.id);
  const [ma, mb] = await Promise.all([makeEvents(a, 300), makeEvents(b, 300)]);
  await Promise.all([a.evaluate(() => window.optimization.flush()), b.evaluate(() => window.optimization.flush())]);
  const got = await waitFor(async () => { const ids = await insightsIds(org); return ids.length >= 600 ? ids : undefined; }, 10_000, '600 events');
  assert.deepEqual([...got].sort(), [...ma, ...mb].sort());
  const accepted = await acceptedIds(org);
  assert.equal(accepted.length, 600, 'each event sent once');
  await context.close();
});

test('consent revoked in one of two open tabs → the other sends nothing gated from that moment', async () => {
  const org = newOrg('consent');
  const context = await browser.newContext();
  const a = await open(context, org);
  await a.evaluate(() => window.optimization.page());
  await a.waitForFunction(() => window.optimization.state.profile?.id);
  const b = await open(context, org);
  await b.waitForFunction(() => window.optimization.state.profile?.id);
  await makeEvents(b, 5); // queued in b, not yet sent
  await a.evaluate(() => window.optimization.consent(false));
  await b.waitForFunction(() => window.optimization.state.consent === false, null, { timeout: 2000 });
  const accepted = await b.evaluate(async (click) => (await window.optimization.trackClick(click)).accepted, CLICK);
  assert.equal(accepted, false);
  await b.evaluate(() => window.optimization.flush());
  // What b hands to sendBeacon as it closes is the browser's to deliver once the page is gone, with
  // nothing left to wait on: b counts such calls in localStorage, which a reads.
  await b.evaluate(() => {
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, data) => {
      localStorage.setItem('e2e-beacons', String(Number(localStorage.getItem('e2e-beacons') ?? 0) + 1));
      return send(url, data);
    };
  });
  await b.close({ runBeforeUnload: true });
  await a.evaluate(() => window.optimization.flush()); // idle: a delivery of a's under way is over
  assert.equal(await a.evaluate(() => localStorage.getItem('e2e-beacons')), null, 'b handed nothing to sendBeacon as it closed');
  assert.deepEqual(await insightsIds(org), [], 'nothing gated left either tab');
  await context.close();
});

test('a queue over its cap → the oldest dropped and reported', async () => {
  const org = newOrg('cap');
  const context = await browser.newContext();
  const page = await open(context, org, '&maxi=5');
  await page.evaluate(() => window.optimization.page());
  await page.waitForFunction(() => window.optimization.state.profile?.id);
  const made = await makeEvents(page, 8);
  const drops = await page.evaluate(() => window.__drops);
  assert.deepEqual(drops, [1, 2, 3].map((i) => ({ api: 'insights', reason: 'cap', messageIds: [made[i - 1]] })));
  await page.evaluate(() => window.optimization.flush());
  assert.deepEqual((await insightsIds(org)).sort(), made.slice(3).sort());
  await context.close();
});
