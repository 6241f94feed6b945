// Simulated visitors through a real browser: 240 visitors, each a fresh page load without anything
// left from the one before, open a page with the script-tag bundle and the demo's sticky 50/50
// teaser experiment, see their variant,
// and convert ("signup") with a known true rate per variant — decided by a seeded PRNG, and their
// profile ids fixed (getAnonymousId), so the run is the same every time. Every eighth visitor reloads
// the page (a second view, a beacon, a resent queue), and some Insights deliveries fail with 503 and
// are retried by the runtime. Then every request the emulator received is delivered again, as a
// client would after losing the answers. The emulator's figures (JSON route and rendered dashboard)
// must count each visitor once, in the variant it saw, with its conversion, and the 95 % interval of
// the difference must cover the true difference.
//
// `RESULTS_SCREENSHOT=docs/dashboard.png node --test test/e2e/results-simulated.test.mjs` also
// saves the dashboard after the run (the README's screenshot); SIM_VISITORS, SIM_WORKERS and
// SIM_DEBUG=1 (timings) help when changing the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator, root } from '../helpers/emulator.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { chromiumPath, chromiumArgs } from '../../scripts/chromium.mjs';

const ORG = 'sim-org';
const TEASER = 'expTeaserAbTest0000001';
const VISITORS = Number(process.env.SIM_VISITORS) || 240;
const WORKERS = Number(process.env.SIM_WORKERS) || 16;
const TRUE_RATE = [0.10, 0.25];
const TRUE_DIFFERENCE = TRUE_RATE[1] - TRUE_RATE[0];

/** mulberry32, seeded: the same conversions on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const draws = (() => { const r = prng(19); return Array.from({ length: VISITORS + 1 }, () => r()); })();
const visitorId = (i) => `sim-visitor-${String(i).padStart(4, '0')}`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulated visitor</title>
<script src="/sim.js"></script>
<script src="/config.js"></script>
<script src="/dist/optimization.umd.js" data-client-id="${ORG}" data-environment="main" data-consent="true" data-persistence-consent="true"></script>
</head><body>
<ctfl-optimized-entry entry-id="teaserBaseline00000001" timeout="20000">
  <h2>Meet the new dashboard</h2>
  <template data-variant-id="teaserVariant000000001"><h2>Your data, one click away</h2></template>
</ctfl-optimized-entry>
</body></html>`;

/**
 * The visitor's side, loaded before the bundle: its profile id from the page URL (so which variant
 * it gets is the same on every run), and `__simLoad()`, which waits for the decision and this page's
 * view, converts when told to, and returns once everything the page sent was delivered (one call per
 * page load, so the test needs few round trips).
 */
const SIM_JS = `
window.ctflOptimizationConfig = { getAnonymousId: () => new URLSearchParams(location.search).get('id') || undefined };
// The views this page load tracks (a queue restored after a reload may also hold an earlier page's).
window.__simViews = [];
(window.optimization = window.optimization || []).push((o) => {
  const trackView = o.trackView.bind(o);
  o.trackView = (payload) => { const sent = trackView(payload); window.__simViews.push(sent); return sent; };
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, test, ms) {
  for (const end = Date.now() + ms; ; await sleep(25)) {
    const value = test();
    if (value) return value;
    if (Date.now() > end) throw new Error('no ' + what + ' after ' + ms + ' ms');
  }
}
window.__simLoad = async ({ experienceId, rates, draw }) => {
  const o = await until('runtime', () => window.optimization && window.optimization.state, 60000) && window.optimization;
  const own = await until('decision', () => {
    const s = (o.state.selectedOptimizations || []).find((x) => x.experienceId === experienceId);
    return s && document.querySelector('ctfl-optimized-entry').dataset.ctflVariantIndex === String(s.variantIndex) ? s : null;
  }, 60000);
  const pending = () => o.queued.insights + o.queued.experience;
  const deliver = async (what, done) => {
    for (const end = Date.now() + 60000; !(done() && pending() === 0); await sleep(25)) {
      if (Date.now() > end) throw new Error('undelivered ' + what + ': ' + JSON.stringify(o.queued));
      if (pending() > 0) await o.flush();
    }
  };
  await until('view', () => window.__simViews.length > 0, 60000);
  await Promise.all(window.__simViews);
  await deliver('view', () => true);
  const converted = rates !== null && draw < rates[own.variantIndex];
  if (converted) {
    await o.track({ event: 'signup' });
    await deliver('signup', () => true);
  }
  return { variant: own.variantIndex, converted };
};
`;

let emulator, demo, browser;

before(async () => {
  emulator = await startEmulator(['--goal', 'signup']);
  demo = await startDemoServer({
    port: 0,
    emulatorUrl: emulator.url,
    headers: { 'Content-Security-Policy': `default-src 'self'; script-src 'self'; connect-src 'self' ${emulator.url}` },
    handler: async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/dist/optimization.umd.js') {
        // Cached, as a site would serve it: hundreds of page loads need not fetch and compile it again.
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' });
        res.end(await readFile(join(root, 'dist', 'optimization.umd.js')));
        return true;
      }
      if (url.pathname === '/sim.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': `default-src 'self'; script-src 'self'; connect-src 'self' ${emulator.url}` });
        res.end(PAGE.replace('data-persistence-consent="true"', `data-persistence-consent="${url.searchParams.get('persist') === 'true'}"`));
        return true;
      }
      if (url.pathname === '/sim.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' });
        res.end(SIM_JS);
        return true;
      }
      return false;
    },
  });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
});

after(async () => {
  await browser?.close();
  await demo?.close();
  assert.equal(await emulator?.stop(), 0);
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One visitor: loads the page (twice when `reload`), stays in view long enough for a view,
 * converts or not, and leaves once everything it sent was delivered. Visitors that reload get a
 * fresh browser context with persistence consent (their queue is kept in IndexedDB across the
 * reload); the others take turns on one page per worker, without persistence consent, so nothing
 * of one visitor is left for the next.
 */
async function visit(i, { reload = false, shared = null } = {}) {
  const context = shared ? null : await browser.newContext();
  const page = shared ?? await context.newPage();
  const errors = [];
  const onError = (e) => errors.push(String(e));
  page.on('pageerror', onError);
  try {
    const loads = reload ? 2 : 1;
    let result = null;
    for (let load = 0; load < loads; load++) {
      if (load === 0) await page.goto(`${demo.url}/sim.html?id=${visitorId(i)}&persist=${reload}`, { waitUntil: 'load' });
      else await page.reload({ waitUntil: 'load' });
      // The visitor converts (or not) on its last page.
      const now = await page.evaluate((args) => window.__simLoad(args), { experienceId: TEASER, rates: load + 1 === loads ? TRUE_RATE : null, draw: draws[i] });
      assert.ok(result === null || result.variant === now.variant, `visitor ${i}: a sticky variant stays (${result?.variant}, then ${now.variant})`);
      result = now;
    }
    assert.deepEqual(errors, []);
    return { ...result, loads };
  } finally {
    page.off('pageerror', onError);
    await context?.close();
  }
}

async function getResults() {
  const res = await fetch(`${emulator.url}/_emulator/results?organization=${ORG}`);
  assert.equal(res.status, 200);
  return res.json();
}

test(`${VISITORS} simulated visitors: every visitor counted once, with its conversion; the 95 % interval covers the true difference`, { timeout: 600_000 }, async () => {
  // A few Insights deliveries fail: the runtime retries them, and nothing may be counted twice or lost.
  const fault = await fetch(`${emulator.url}/_emulator/faults`, {
    method: 'POST', body: JSON.stringify({ organization: ORG, api: 'insights', count: 8, status: 503, headers: { 'Retry-After': '0' } }),
  });
  assert.equal(fault.status, 200);

  const started = Date.now();
  const truth = Array.from({ length: VISITORS });
  let next = 0;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    const context = await browser.newContext();
    const shared = await context.newPage();
    try {
      while (next < VISITORS) {
        const i = next++;
        const t = Date.now();
        truth[i] = await visit(i, i % 8 === 0 ? { reload: true } : { shared });
        if (process.env.SIM_DEBUG) console.log(`visitor ${i}: ${Date.now() - t} ms`);
      }
    } finally {
      await context.close();
    }
  }));
  const expected = [0, 1].map((v) => {
    const mine = truth.filter((t) => t.variant === v);
    return { visitors: mine.length, conversions: mine.filter((t) => t.converted).length, views: mine.reduce((s, t) => s + t.loads, 0) };
  });
  assert.equal(expected[0].visitors + expected[1].visitors, VISITORS);
  assert.ok(expected[0].visitors > VISITORS / 3 && expected[1].visitors > VISITORS / 3, `both variants have visitors: ${JSON.stringify(expected)}`);
  assert.equal((await (await fetch(`${emulator.url}/_emulator/faults`)).json()).faults.length, 0, 'the faults were all hit');

  const check = (r, when) => {
    const teaser = r.experiences.find((e) => e.id === TEASER);
    assert.equal(teaser.visitors, VISITORS, `${when}: every visitor once`);
    assert.equal(teaser.crossovers, 0, `${when}: a sticky experiment keeps its visitors in one variant`);
    assert.deepEqual(teaser.variants.map((v) => v.visitors), expected.map((e) => e.visitors), `${when}: visitors per variant`);
    assert.deepEqual(teaser.variants.map((v) => v.views), expected.map((e) => e.views), `${when}: one view per page load`);
    const goal = teaser.goals.find((g) => g.goal === 'signup');
    assert.deepEqual(goal.variants.map((v) => v.conversions), expected.map((e) => e.conversions), `${when}: conversions per variant`);
    assert.equal(teaser.srm.status, 'ok', `${when}: the split matches 50/50`);
    assert.equal(goal.enoughData, true);
    const v1 = goal.variants[1];
    assert.ok(v1.differenceLower <= TRUE_DIFFERENCE && TRUE_DIFFERENCE <= v1.differenceUpper,
      `${when}: the interval ${v1.differenceLower}…${v1.differenceUpper} covers the true difference ${TRUE_DIFFERENCE}`);
    goal.variants.forEach((v, i) => assert.ok(v.rateLower <= TRUE_RATE[i] && TRUE_RATE[i] <= v.rateUpper, `${when}: variant ${i}'s rate interval covers ${TRUE_RATE[i]}`));
    assert.ok(v1.probabilityToBeat > 0.95, `${when}: the better variant is very likely better (${v1.probabilityToBeat})`);
    return { teaser, goal };
  };
  const phase = (what) => { if (process.env.SIM_DEBUG) console.log(`${what}: ${Date.now() - started} ms`); };
  phase('visitors');
  const before = check(await getResults(), 'after the run');

  // Every delivery again, as a client that lost every answer would send it.
  const { requests } = await (await fetch(`${emulator.url}/_emulator/requests?organization=${ORG}`)).json();
  const deliveries = requests.filter((r) => r.method === 'POST' && r.status === 200 && (r.path.startsWith('/v1/') || r.path.startsWith('/v2/')));
  assert.ok(deliveries.length > VISITORS * 2, `${deliveries.length} deliveries`);
  for (let k = 0; k < deliveries.length; k += 16) {
    await Promise.all(deliveries.slice(k, k + 16).map(async (r) => {
      const res = await fetch(emulator.url + r.path, { method: 'POST', body: JSON.stringify(r.body) });
      assert.equal(res.status, 200, r.path);
    }));
  }
  const after = check(await getResults(), 'after every request was delivered again');
  phase('redelivered');
  assert.deepEqual(after.teaser.variants, before.teaser.variants);
  assert.deepEqual(after.goal.variants, before.goal.variants);

  // The rendered dashboard says the same, live, readable with a keyboard and at 320 px.
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon/.test(m.location().url)) problems.push(m.text()); });
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP: ${e.violatedDirective}`)));
  await page.goto(`${emulator.url}/_emulator/?organization=${ORG}`);
  await page.waitForFunction(() => document.getElementById('goals')?.dataset.enhanced === 'true');
  const card = page.locator(`section.card[data-experience-id="${TEASER}"]`);
  const cell = (table, variant, cls) => card.locator(`table.${table} tr[data-variant="${variant}"] td.${cls}`);
  for (const v of [0, 1]) {
    assert.equal(await cell('activity', v, 'visitors').textContent(), String(expected[v].visitors));
    assert.equal(await cell('conversions', v, 'conversions').textContent(), `${expected[v].conversions} of ${expected[v].visitors}`);
  }
  const pts = (x) => `${x > 0 ? '+' : '\u2212'}${Math.abs(Math.round(x * 1000) / 10).toFixed(1)} pts`;
  const v1 = after.goal.variants[1];
  assert.equal(await cell('conversions', 1, 'difference').textContent(), `${pts(v1.difference)} (${pts(v1.differenceLower)} to ${pts(v1.differenceUpper)})`);
  assert.equal(await card.locator('.too-few').count(), 0, 'no small-sample warning');
  assert.equal(await card.locator('svg.chart polyline').count(), 2, 'a line per variant');

  // Live: one more visitor shows up without a reload.
  const extra = await visit(VISITORS);
  await page.waitForFunction(({ selector, n }) => document.querySelector(selector)?.textContent === String(n),
    { selector: `section.card[data-experience-id="${TEASER}"] table.activity tr[data-variant="${extra.variant}"] td.visitors`, n: expected[extra.variant].visitors + 1 },
    { timeout: 10_000 });

  phase('live');
  if (process.env.RESULTS_SCREENSHOT) await page.screenshot({ path: process.env.RESULTS_SCREENSHOT, fullPage: true });

  // Keyboard: Tab reaches the goal checkbox; Space unticks it and the goal's figures go away; again brings them back.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'pause', 'first the pause button');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('value')), 'signup');
  await page.keyboard.press('Space');
  await page.waitForFunction((sel) => !document.querySelector(`${sel} .goal`), `section.card[data-experience-id="${TEASER}"]`);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('value')), 'signup', 'focus stays on the checkbox as the list is rebuilt');
  await page.keyboard.press('Space');
  await page.waitForFunction((sel) => document.querySelector(`${sel} .goal`), `section.card[data-experience-id="${TEASER}"]`);

  await page.setViewportSize({ width: 320, height: 700 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'nothing scrolls sideways at 320 px');
  assert.equal(await cell('activity', 1, 'visitors').isVisible(), true);
  assert.deepEqual(problems, []);
  await context.close();
});
