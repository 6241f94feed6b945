// Simulated visitors through a real browser: 240 visitors, each a fresh page load without anything
// left from the one before, open a page with the script-tag bundle and the demo's sticky 50/50
// teaser experiment, see their variant, and convert ("signup") with a known true rate per variant —
// decided by a seeded PRNG, and their profile ids fixed (getAnonymousId), so the run is the same
// every time. Every eighth visitor reloads the page (a second view, a beacon, a resent queue), and
// some Insights deliveries fail with 503 and are retried by the runtime. Then every request the
// emulator received is delivered again, as a client would after losing the answers. The emulator's
// figures (JSON route and rendered dashboard) must count each visitor once, in the variant it saw,
// with its conversion — and its intervals and chance to beat the baseline must be those of the
// true counts, computed here independently of src/emulator/stats.ts. (One seeded run is one sample:
// whether a 95 % interval covers the truth 95 % of the time is checked over 4,000 simulated
// experiments in test/node/emulator-results-stats.test.mjs.)
//
// Also here: the dashboard keeps a goal the user just ticked off while an older poll is answered,
// and the preview panel finds the emulator again after it restarts.
//
// `RESULTS_SCREENSHOT=docs/dashboard.png node --test test/e2e/results-simulated.test.mjs` also
// saves the dashboard after the run (the README's screenshot; the whole page in Chromium and
// Firefox, the viewport only in WebKit, whose classic WebDriver has no full-page screenshot);
// SIM_VISITORS, SIM_WORKERS and SIM_DEBUG=1 (timings) help when changing the test.
//
// In this run's engine (CTFL_ENGINE: Chromium, Firefox or WebKit) through the shared driver
// (test/helpers/driver.mjs: pages, keys, viewport sizes, cookies), with the visitors' site and the
// dashboard behind the site proxy (test/helpers/site.mjs). The proxy's first script in every page
// records what playwright's pageerror and console events gave here before (uncaught errors,
// rejections, console errors, CSP violations), and the proxy holds the dashboard's polls for the
// goal test, as playwright's page.route did: classic WebDriver has neither. Every engine runs the
// same 240 visitors and assertions; only the number of visitors at a time differs (WORKERS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator, root } from '../helpers/emulator.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { ENGINE, launch } from '../helpers/driver.mjs';
import { startSite } from '../helpers/site.mjs';
import { prng } from '../helpers/prng.mjs';

const ORG = 'sim-org';
const TEASER = 'expTeaserAbTest0000001';
const VISITORS = Number(process.env.SIM_VISITORS) || 240;
// Pages are idle most of a visit (a view takes a second in view): more of them than cores. Each
// worker has two visitor contexts; in WebKit each is a WebDriver session (a WebKitWebDriver and a
// MiniBrowser with its web and network processes of its own), so fewer workers there: with 4 the
// visitors take ~80 s on two cores, with 8 longer.
const WORKERS = Number(process.env.SIM_WORKERS) || { chromium: 24, firefox: 24, webkit: 4 }[ENGINE];
const TRUE_RATE = [0.10, 0.25];

const draws = (() => { const r = prng(19); return Array.from({ length: VISITORS + 1 }, () => r()); })();

// The figures of given counts, written here from the published formulas, not taken from stats.ts.
const Z = 1.959963984540054; // Φ⁻¹(0.975)
/** Wilson (1927) score interval. */
function wilson(x, n) {
  const p = x / n;
  const centre = (p + (Z * Z) / (2 * n)) / (1 + (Z * Z) / n);
  const half = (Z / (1 + (Z * Z) / n)) * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n));
  return [x === 0 ? 0 : centre - half, x === n ? 1 : centre + half];
}
/** Newcombe (1998) hybrid score interval for p1 − p2, method 10. */
function newcombe(x1, n1, x2, n2) {
  const [l1, u1] = wilson(x1, n1);
  const [l2, u2] = wilson(x2, n2);
  const d = x1 / n1 - x2 / n2;
  return [d, d - Math.hypot(x1 / n1 - l1, u2 - x2 / n2), d + Math.hypot(u1 - x1 / n1, x2 / n2 - l2)];
}
/**
 * P(rate₁ > rate₀) with Beta(1, 1) priors, exactly: the baseline's posterior CDF is a binomial
 * tail for integer parameters, and its expectation under the variant's posterior a sum of Beta
 * ratios (log factorials by summing logarithms).
 */
function chanceToBeat(x1, n1, x0, n0) {
  const [a1, b1, a0, b0] = [1 + x1, 1 + n1 - x1, 1 + x0, 1 + n0 - x0];
  const m = a0 + b0 - 1;
  const lf = [0, 0];
  for (let k = 2; k <= a1 + b1 + m + 2; k++) lf[k] = lf[k - 1] + Math.log(k);
  const lnBeta = (a, b) => lf[a - 1] + lf[b - 1] - lf[a + b - 1];
  let sum = 0;
  for (let j = a0; j <= m; j++) sum += Math.exp(lf[m] - lf[j] - lf[m - j] + lnBeta(a1 + j, b1 + m - j) - lnBeta(a1, b1));
  return sum;
}
const pct = (x) => `${(x * 100).toFixed(1)} %`;
const pts = (x) => { const r = Math.round(x * 1000) / 10; return `${r > 0 ? '+' : r < 0 ? '\u2212' : '±'}${Math.abs(r).toFixed(1)} pts`; };
const chanceText = (p) => (p > 0.999 ? '> 99.9 %' : p < 0.001 ? '< 0.1 %' : pct(p));
const near = (actual, expected, tolerance, what) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);
const visitorId = (i) => `sim-visitor-${String(i).padStart(4, '0')}`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Simulated visitor</title>
<script src="/sim.js"></script>
<script src="/config.js"></script>
<script src="/sim-late.js"></script>
<script src="/dist/optimization.umd.js" data-client-id="${ORG}" data-environment="main" data-consent="true" data-persistence-consent="true"></script>
</head><body>
<ctfl-optimized-entry entry-id="teaserBaseline00000001" timeout="600000">
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
// Every request state this page load went through, for the message of a wait that gives up.
window.__simRequests = [];
(window.optimization = window.optimization || []).push((o) => {
  o.states.requestState.subscribe((r) => window.__simRequests.push(r.status + (r.reason ? ' ' + r.reason : '')));
  const trackView = o.trackView.bind(o);
  o.trackView = (payload) => { const sent = trackView(payload); window.__simViews.push(sent); return sent; };
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what, test, ms) {
  for (const end = Date.now() + ms; ; await sleep(25)) {
    const value = test();
    if (value) return value;
    if (Date.now() > end) {
      const o = window.optimization;
      const seen = { variant: document.querySelector('ctfl-optimized-entry')?.dataset.ctflVariantIndex, request: o && o.state && o.state.requestState, requests: window.__simRequests, selected: o && o.state && o.state.selectedOptimizations, queued: o && o.queued };
      throw new Error('no ' + what + ' after ' + ms + ' ms: ' + JSON.stringify(seen));
    }
  }
}
window.__simLoad = async ({ experienceId, rates, draw }) => {
  // Generous waits: on a busy machine a page can take long, and the figures do not depend on it.
  const o = await until('runtime', () => window.optimization && window.optimization.state, 120000) && window.optimization;
  const own = await until('decision', () => {
    const s = (o.state.selectedOptimizations || []).find((x) => x.experienceId === experienceId);
    return s && document.querySelector('ctfl-optimized-entry').dataset.ctflVariantIndex === String(s.variantIndex) ? s : null;
  }, 300000);
  const pending = () => o.queued.insights + o.queued.experience;
  const deliver = async (what, done) => {
    for (const end = Date.now() + 120000; !(done() && pending() === 0); await sleep(25)) {
      if (Date.now() > end) throw new Error('undelivered ' + what + ': ' + JSON.stringify(o.queued));
      if (pending() > 0) await o.flush();
    }
  };
  await until('view', () => window.__simViews.length > 0, 120000);
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

let emulator, demo, site, dashboard, browser;

before(async () => {
  emulator = await startEmulator(['--goal', 'signup']);
  demo = await startDemoServer({
    port: 0,
    emulatorUrl: emulator.url,
    headers: { 'Content-Security-Policy': `default-src 'self'; script-src 'self'; connect-src 'self' ${emulator.url}` },
    handler: async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const bundle = /^\/dist\/(optimization\.[a-z-]+\.js)$/.exec(url.pathname);
      if (bundle) {
        // The bundle and its chunks cached, as a site would serve them: hundreds of page loads need
        // not fetch and compile them again.
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' });
        res.end(await readFile(join(root, 'dist', bundle[1])));
        return true;
      }
      if (url.pathname === '/sim-late.js') {
        // An Experience request that times out shows the baseline, by design (and without \`live\` the
        // entry keeps it): with hundreds of pages on a busy machine the default 3 s can pass, so the
        // visitors wait as long as the test does. The figures do not depend on it.
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=3600' });
        res.end('window.ctflOptimizationConfig.api.timeoutMs = 120000;');
        return true;
      }
      if (url.pathname === '/sim.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': `default-src 'self'; script-src 'self'; connect-src 'self' ${emulator.url}` });
        res.end(PAGE.replace('data-persistence-consent="true"', `data-persistence-consent="${url.searchParams.get('persist') === 'true'}"`));
        return true;
      }
      if (url.pathname === '/blank.html') {
        // Scripts of the site only: the site proxy's watching script.
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; script-src 'self'" });
        res.end('<!doctype html><title>Between visitors</title>');
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
  // The visitors' site and the dashboard, each behind the site proxy.
  site = await startSite(demo.url);
  dashboard = await startSite(emulator.url);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await dashboard?.close();
  await site?.close();
  await demo?.close();
  assert.equal(await emulator?.stop(), 0);
});

/**
 * One visitor: loads the page (twice when `reload`), stays in view long enough for a view,
 * converts or not, and leaves once everything it sent was delivered, on one of its worker's two
 * pages. Visitors that reload take the page with persistence consent (their queue is kept in
 * IndexedDB across the reload), whose origin storage is wiped before each of them; the others the
 * one without persistence consent, so nothing of one visitor is left for the next.
 */
async function visit(i, { page, context }, { reload = false } = {}) {
  if (reload) await wipeOrigin(page, context);
  const loads = reload ? 2 : 1;
  let result = null;
  for (let load = 0; load < loads; load++) {
    if (load === 0) await page.goto(`${site.url}/sim.html?id=${visitorId(i)}&persist=${reload}`, { timeout: 120_000 });
    else await page.reload({ timeout: 120_000 });
    // The visitor converts (or not) on its last page.
    const now = await page.evaluate((args) => window.__simLoad(args), { experienceId: TEASER, rates: load + 1 === loads ? TRUE_RATE : null, draw: draws[i] });
    assert.ok(result === null || result.variant === now.variant, `visitor ${i}: a sticky variant stays (${result?.variant}, then ${now.variant})`);
    result = now;
  }
  // Uncaught errors and unhandled rejections in the worker's tab, this visitor's and every one before.
  assert.deepEqual((await page.problems()).filter((p) => p.startsWith('pageerror')), []);
  return { ...result, loads };
}

/** Leaves the visitor's page for a blank one on the site and wipes the site's cookies and storage. */
async function wipeOrigin(page, context) {
  await page.goto(`${site.url}/blank.html`, { timeout: 120_000 });
  await context.clearCookies();
  await page.evaluate(async () => {
    localStorage.clear();
    sessionStorage.clear();
    for (const { name } of await indexedDB.databases()) {
      await new Promise((resolve, reject) => {
        const req = indexedDB.deleteDatabase(name);
        req.onsuccess = resolve;
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new Error(`${name} is still open`));
      });
    }
  });
}

/** A page for each kind of visitor, in contexts of their own; closed by `close()`. */
async function workerPages() {
  const contexts = await Promise.all([browser.newContext(), browser.newContext()]);
  const [plain, persistent] = await Promise.all(contexts.map(async (context) => ({ context, page: await context.newPage() })));
  return { plain, persistent, close: () => Promise.all(contexts.map((c) => c.close())) };
}

async function getResults() {
  // no-cache: the figures as the store is now, not the last answer of the past second.
  const res = await fetch(`${emulator.url}/_emulator/results?organization=${ORG}`, { headers: { 'Cache-Control': 'no-cache' } });
  assert.equal(res.status, 200);
  return res.json();
}

test(`${VISITORS} simulated visitors: every visitor counted once, with its conversion; the figures are those of the true counts`, { timeout: 600_000 }, async () => {
  // A few Insights deliveries fail: the runtime retries them, and nothing may be counted twice or lost.
  const fault = await fetch(`${emulator.url}/_emulator/faults`, {
    method: 'POST', body: JSON.stringify({ organization: ORG, api: 'insights', count: 8, status: 503, headers: { 'Retry-After': '0' } }),
  });
  assert.equal(fault.status, 200);

  const started = Date.now();
  const truth = Array.from({ length: VISITORS });
  let next = 0;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    const pages = await workerPages();
    try {
      while (next < VISITORS) {
        const i = next++;
        const t = Date.now();
        const reload = i % 8 === 0;
        truth[i] = await visit(i, reload ? pages.persistent : pages.plain, { reload });
        if (process.env.SIM_DEBUG) console.log(`visitor ${i}: ${Date.now() - t} ms`);
      }
    } finally {
      await pages.close();
    }
  }));
  const expected = [0, 1].map((v) => {
    const mine = truth.filter((t) => t.variant === v);
    return { visitors: mine.length, conversions: mine.filter((t) => t.converted).length, views: mine.reduce((s, t) => s + t.loads, 0) };
  });
  assert.equal(expected[0].visitors + expected[1].visitors, VISITORS);
  assert.ok(expected[0].visitors > VISITORS / 3 && expected[1].visitors > VISITORS / 3, `both variants have visitors: ${JSON.stringify(expected)}`);
  assert.equal((await (await fetch(`${emulator.url}/_emulator/faults`)).json()).faults.length, 0, 'the faults were all hit');

  // What the figures must be for these counts.
  const [base, variant] = expected;
  const [difference, differenceLower, differenceUpper] = newcombe(variant.conversions, variant.visitors, base.conversions, base.visitors);
  const beat = chanceToBeat(variant.conversions, variant.visitors, base.conversions, base.visitors);
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
    goal.variants.forEach((v, i) => {
      const [lower, upper] = wilson(expected[i].conversions, expected[i].visitors);
      near(v.rate, expected[i].conversions / expected[i].visitors, 1e-15, `${when}: variant ${i}'s rate`);
      near(v.rateLower, lower, 1e-12, `${when}: variant ${i}'s Wilson lower bound`);
      near(v.rateUpper, upper, 1e-12, `${when}: variant ${i}'s Wilson upper bound`);
    });
    const v1 = goal.variants[1];
    near(v1.difference, difference, 1e-15, `${when}: the difference`);
    near(v1.differenceLower, differenceLower, 1e-12, `${when}: Newcombe's lower bound`);
    near(v1.differenceUpper, differenceUpper, 1e-12, `${when}: Newcombe's upper bound`);
    near(v1.probabilityToBeat, beat, 1e-9, `${when}: the chance to beat the baseline`);
    return { teaser, goal };
  };
  const phase = (what) => { if (process.env.SIM_DEBUG) console.log(`${what}: ${Date.now() - started} ms`); };
  phase('visitors');
  const before = check(await getResults(), 'after the run');

  // Every delivery again, as a client that lost every answer would send it.
  const { requests } = await (await fetch(`${emulator.url}/_emulator/requests?organization=${ORG}`)).json();
  const deliveries = requests.filter((r) => r.method === 'POST' && r.status === 200 && (r.path.startsWith('/v1/') || r.path.startsWith('/v2/')));
  assert.ok(deliveries.length > VISITORS * 2, `${deliveries.length} deliveries`);
  for (let k = 0; k < deliveries.length; k += 64) {
    await Promise.all(deliveries.slice(k, k + 64).map(async (r) => {
      const res = await fetch(emulator.url + r.path, { method: 'POST', body: JSON.stringify(r.body) });
      assert.equal(res.status, 200, r.path);
    }));
  }
  const after = check(await getResults(), 'after every request was delivered again');
  phase('redelivered');
  assert.deepEqual(after.teaser.variants, before.teaser.variants);
  assert.deepEqual(after.goal.variants, before.goal.variants);

  // The rendered dashboard says the same, live, readable with a keyboard and at 320 px. (Its page
  // errors, console errors and CSP violations: the site proxy's script records them.)
  const context = await browser.newContext();
  const page = await context.newPage({ viewport: { width: 900, height: 900 } });
  await page.goto(`${dashboard.url}/_emulator/?organization=${ORG}`);
  await page.waitForFunction(() => document.getElementById('goals')?.dataset.enhanced === 'true', undefined, { timeout: 30_000 });
  const card = `section.card[data-experience-id="${TEASER}"]`;
  const cell = (table, variant, cls) => `${card} table.${table} tr[data-variant="${variant}"] td.${cls}`;
  for (const v of [0, 1]) {
    assert.equal(await page.textContent(cell('activity', v, 'visitors')), String(expected[v].visitors));
    assert.equal(await page.textContent(cell('conversions', v, 'conversions')), `${expected[v].conversions} of ${expected[v].visitors}`);
    const [lower, upper] = wilson(expected[v].conversions, expected[v].visitors);
    assert.equal(await page.textContent(cell('conversions', v, 'rate')), `${pct(expected[v].conversions / expected[v].visitors)} (${pct(lower)} to ${pct(upper)})`);
  }
  assert.equal(await page.textContent(cell('conversions', 1, 'difference')), `${pts(difference)} (${pts(differenceLower)} to ${pts(differenceUpper)})`);
  assert.equal(await page.textContent(cell('conversions', 1, 'chance')), chanceText(beat));
  assert.equal(await page.count(`${card} .too-few`), 0, 'no small-sample warning');
  assert.equal(await page.count(`${card} svg.chart polyline`), 2, 'a line per variant');

  // Live: one more visitor shows up without a reload.
  const extraPages = await workerPages();
  const extra = await visit(VISITORS, extraPages.plain);
  await extraPages.close();
  await page.waitForFunction(({ selector, n }) => document.querySelector(selector)?.textContent === String(n),
    { selector: cell('activity', extra.variant, 'visitors'), n: expected[extra.variant].visitors + 1 },
    { timeout: 10_000 });

  phase('live');
  if (process.env.RESULTS_SCREENSHOT) await page.screenshot({ path: process.env.RESULTS_SCREENSHOT, fullPage: true });

  // Keyboard: Tab reaches the goal checkbox; Space unticks it and the goal's figures go away; again brings them back.
  await page.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'pause', 'first the pause button');
  await page.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('value')), 'signup');
  await page.press('Space');
  await page.waitForFunction((sel) => !document.querySelector(`${sel} .goal`), card, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('value')), 'signup', 'focus stays on the checkbox as the list is rebuilt');
  await page.press('Space');
  await page.waitForFunction((sel) => document.querySelector(`${sel} .goal`), card, { timeout: 30_000 });

  await page.setViewportSize({ width: 320, height: 700 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'nothing scrolls sideways at 320 px');
  // Visible as playwright's isVisible() has it: a non-empty box, and not visibility: hidden.
  assert.equal(await page.evaluate((s) => {
    const el = document.querySelector(s);
    const box = el?.getBoundingClientRect();
    return !!box && box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  }, cell('activity', 1, 'visitors')), true);
  assert.deepEqual(await page.problems(), []);
  await context.close();
});

test('ticking a goal off while a poll is on its way: the checkbox stays as the user left it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    assert.deepEqual((await (await fetch(`${emulator.url}/_emulator/goals`)).json()).goals, ['signup']);
    await page.goto(`${dashboard.url}/_emulator/?organization=${ORG}`);
    await page.waitForFunction(() => document.getElementById('goals')?.dataset.enhanced === 'true', undefined, { timeout: 30_000 });
    // Hold the next poll's answer (for the old goals) until the user's change has been made, and
    // the poll after it until the checkbox has been looked at: nothing else may redraw it meanwhile.
    // (The site proxy holds them: request interception, in every engine.)
    const gate = () => { let open; const opened = new Promise((resolve) => { open = resolve; }); return { open, opened }; };
    const heldSeen = gate();
    const releaseHeld = gate();
    const laterSeen = gate();
    const releaseLater = gate();
    let held = false;
    dashboard.route(({ method, path }) => method === 'GET' && path.startsWith('/_emulator/results'), async (request, upstream) => {
      if (!held) {
        held = true;
        // A full answer, as while events arrive (not a 304 for an unchanged store).
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'if-none-match'));
        const response = await upstream(headers);
        heldSeen.open();
        await releaseHeld.opened;
        return response; // the page may have given up on it
      }
      laterSeen.open();
      await releaseLater.opened;
      return upstream();
    });
    await heldSeen.opened;
    const box = 'input[name="goal"][value="signup"]';
    const mark = dashboard.mark();
    // What playwright's uncheck() does: a checked box, a click, unchecked after it.
    assert.equal(await page.isChecked(box), true);
    await page.click(box);
    assert.equal(await page.isChecked(box), false);
    const posted = await dashboard.waitFor((e) => e.method === 'POST' && e.path === '/_emulator/goals', { since: mark });
    assert.equal(posted.status, 200);
    releaseHeld.open();
    // The page asks again — after drawing the held answer, if it draws it at all.
    await laterSeen.opened;
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve))));
    assert.equal(await page.isChecked(box), false, 'the answer for the old goals did not tick it again');
    releaseLater.open();
    await page.waitForFunction((sel) => !document.querySelector(`${sel} .goal`), `section.card[data-experience-id="${TEASER}"]`, { timeout: 30_000 });
    assert.deepEqual((await page.problems()).filter((p) => p.startsWith('pageerror')), []);
  } finally {
    dashboard.route();
    await context.close();
    await fetch(`${emulator.url}/_emulator/goals`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ goals: ['signup'] }) });
  }
});

test('the preview panel finds the emulator again after it restarts', { timeout: 120_000 }, async () => {
  let own = await startEmulator();
  const port = own.port;
  const demoSite = await startDemoServer({
    port: 0, emulatorUrl: own.url,
    headers: { 'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ${own.url}` },
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const section = () => page.evaluate(() => !!document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('section.results'));
  try {
    await page.goto(`${demoSite.url}/?ctfl-preview`);
    await page.waitForFunction(() => document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('section.results'), undefined, { timeout: 20_000 });
    assert.equal(await own.stop(), 0);
    await page.waitForFunction(() => !document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('section.results'), undefined, { timeout: 20_000 });
    own = await startEmulator(['--port', String(port)]);
    // It asks again after 3 s, then 6 s, 12 s … (up to a minute): the restart is found.
    await page.waitForFunction(() => document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('section.results'), undefined, { timeout: 60_000 });
    assert.equal(await section(), true);
  } finally {
    await context.close();
    await demoSite.close();
    await own.stop();
  }
});
