// Leaving a page and coming back with the browser's Back button, in this run's engine (CTFL_ENGINE;
// test/helpers/driver.mjs), with persistence consent: WebKit and Firefox keep the page in their
// back/forward cache and show it again without loading it; the SDK on it must go on delivering, and
// what was queued when the visitor left must be delivered exactly once — by the next page, which
// adopts the queue, or by the page itself when it comes back. The emulator's records are counted.
//
// Which engines restore which page (recorded by the site proxy's pageshow listener): WebKit keeps
// these pages; Firefox keeps no page that holds a Web Lock, which the SDK does while it has events
// persisted, so there the page with queued events is loaded anew (and must lose and double nothing
// either way); Chromium driven by playwright has no back/forward cache at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { root, startEmulator } from '../helpers/emulator.mjs';
import { waitFor } from '../helpers/wait.mjs';
import { ENGINE, launch } from '../helpers/driver.mjs';
import { startSite } from '../helpers/site.mjs';

let emulator, server, site, browser;
const CLICK = { componentId: 'hero', experienceId: 'exp', variantIndex: 0 };

before(async () => {
  emulator = await startEmulator();
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
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await new Promise((r) => server?.close(r));
  await emulator?.stop();
});

let n = 0;
const newOrg = (label) => `${label}-${Date.now().toString(36)}-${n++}`;
const url = (org, p) => `${site.url}/test/fixtures/bfcache/page.html?org=${org}&api=${encodeURIComponent(emulator.url)}&p=${p}`;
const api = async (path) => (await fetch(`${emulator.url}${path}`)).json();
/** Insights events the emulator stored (it keeps each messageId once). */
const storedInsights = async (org) => (await api(`/_emulator/events?organization=${org}`)).events.map((e) => e.event.messageId);
/** Every Experience event the emulator received, resent ones included. */
async function receivedExperience(org) {
  const { requests } = await api(`/_emulator/requests?organization=${org}`);
  return requests.filter((r) => r.path.startsWith('/v2/') && r.method === 'POST').flatMap((r) => r.body?.events ?? []).map((e) => e.messageId);
}
/** Every Insights event the emulator received and accepted (2xx), resent ones included. */
async function receivedInsights(org) {
  const { requests } = await api(`/_emulator/requests?organization=${org}`);
  return requests.filter((r) => r.path.startsWith('/v1/') && r.status < 300).flatMap((r) => r.body.flatMap((b) => b.events.map((e) => e.messageId)));
}

const ready = (page) => page.waitForFunction(() => window.optimization?.ready && window.optimization.ready.then(() => true));
/** An Experience event, waited for until the API answered it. */
const track = (page, event) => page.evaluate(async (e) => {
  const r = await window.optimization.track({ event: e });
  return { accepted: r.accepted, answered: !!r.data, id: window.optimization.state.events.at(-1).messageId };
}, event);
/** `count` Insights clicks, left queued (no flush); their messageIds. */
const clicks = (page, count) => page.evaluate(async ({ count, click }) => {
  const ids = [];
  for (let i = 0; i < count; i++) {
    await window.optimization.trackClick(click);
    ids.push(window.optimization.state.events.at(-1).messageId);
  }
  return ids;
}, { count, click: CLICK });
const problems = async (page) => (await page.problems()).filter((p) => /^(pageerror|console\.error):/.test(p));

test('a page left with nothing queued comes back from the back/forward cache and goes on delivering', async () => {
  const org = newOrg('bf-empty');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url(org, 'a'));
  await ready(page);
  const sent = [];
  const first = await track(page, 'on-a');
  assert.deepEqual([first.accepted, first.answered], [true, true]);
  sent.push(first.id);

  await page.clickAndWaitForNavigation('#to-b');
  await ready(page);
  const onB = await track(page, 'on-b');
  assert.equal(onB.answered, true);
  sent.push(onB.id);

  const shown = await page.back();
  assert.match(shown.url, /p=a/);
  // The engines with a back/forward cache show page a again as it was.
  if (ENGINE !== 'chromium') assert.equal(shown.persisted, true, `${ENGINE} restored page a from its back/forward cache`);
  if (!shown.persisted) await ready(page);
  const back = await track(page, 'on-a-again');
  assert.deepEqual([back.accepted, back.answered], [true, true], 'the page delivers after coming back');
  sent.push(back.id);

  const received = await receivedExperience(org);
  assert.deepEqual([...received].sort(), [...sent].sort(), 'each Experience event received once');
  assert.deepEqual(await problems(page), []);
  await context.close();
});

test('events still queued when the visitor leaves are delivered once, whether the page comes back or not', async () => {
  const org = newOrg('bf-queued');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url(org, 'a'));
  await ready(page);
  assert.equal((await track(page, 'first-on-a')).answered, true, 'a profile for the Insights events');
  const made = await clicks(page, 3);
  // They are in the persisted queue (so that the next page could send them).
  await page.waitForFunction((ids) => new Promise((resolve) => {
    const req = indexedDB.open('ctfl-optimization-queue');
    req.onerror = () => resolve(false);
    req.onsuccess = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('queues')) { db.close(); resolve(false); return; }
      const all = db.transaction('queues').objectStore('queues').getAll();
      all.onsuccess = () => { db.close(); const got = new Set(all.result.flatMap((q) => q.i.map((p) => p.event.messageId))); resolve(ids.every((id) => got.has(id))); };
    };
  }), made);

  await page.clickAndWaitForNavigation('#to-b');
  await ready(page);
  made.push(...await clicks(page, 2));
  const shown = await page.back();
  if (ENGINE === 'webkit') assert.equal(shown.persisted, true, 'WebKit restored page a from its back/forward cache');
  if (!shown.persisted) await ready(page);
  made.push(...await clicks(page, 2));
  await page.evaluate(() => window.optimization.flush());
  assert.equal((await track(page, 'after-coming-back')).answered, true, 'Experience events are delivered after coming back');

  // Page b, left for page a, is gone or cached: a new page of the site takes over whatever is left.
  const other = await context.newPage();
  await other.goto(url(org, 'c'));
  await ready(other);
  await other.evaluate(() => window.optimization.flush());

  const stored = await waitFor(async () => { const ids = await storedInsights(org); return ids.length >= made.length ? ids : undefined; }, 15_000, `${made.length} Insights events`);
  assert.deepEqual([...stored].sort(), [...made].sort(), 'every click delivered, none lost');
  // On the wire: a page kept in the back/forward cache hands its queue over without sending any of
  // it as well, so no click leaves twice. (A page that is unloaded instead hands its clicks to
  // sendBeacon and may not finish removing them from its persisted copy: the next page can send
  // them again with the same messageIds, which the API keeps once — `stored` above.)
  const onWire = await receivedInsights(org);
  if (shown.persisted) assert.equal(onWire.length, new Set(onWire).size, `no click sent twice: ${onWire.length} sent for ${made.length}`);
  const experience = await receivedExperience(org);
  assert.equal(experience.length, new Set(experience).size, 'no Experience event sent twice');
  assert.deepEqual(await problems(page), []);
  assert.deepEqual(await problems(other), []);
  await context.close();
});
