// The demo as visitors see it, in this run's engine (CTFL_ENGINE: Chromium, Firefox or WebKit;
// test/helpers/driver.mjs): the real emulator and the demo origin on another port, as in production.
// Asserts the text each visitor sees, the requests the emulator received, the cookies the browser
// keeps, and that no painted frame showed a baseline where the variant was already known from cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../helpers/emulator.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { FRAME_PROBE } from '../helpers/frame-probe.mjs';
import { shownText } from '../helpers/shown-text.mjs';
import { launch } from '../helpers/driver.mjs';
import { startSite } from '../helpers/site.mjs';

const HERO_BASELINE = 'Personalization without the wait';
const HERO_VARIANT = 'Plans that grow with you';
let emulator, server, demo, browser;

before(async () => {
  emulator = await startEmulator(['--latency', '50']);
  server = await startDemoServer({ port: 0, emulatorUrl: emulator.url });
  demo = await startSite(server.url, { initScript: FRAME_PROBE });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await server?.close();
  await emulator?.stop();
});

const api = async (path) => (await fetch(`${emulator.url}${path}`)).json();
const requests = async () => (await api('/_emulator/requests?organization=demo-org')).requests;

async function visitor() {
  const context = await browser.newContext();
  const page = await context.newPage();
  return { context, page };
}

/** Uncaught errors and unhandled rejections in the visitor's tab. */
const pageErrors = async (page) => (await page.problems()).filter((p) => p.startsWith('pageerror'));
const heroText = (page) => page.text('ctfl-optimized-entry.hero h1');

test('a first-time visitor sees the baseline hero, and the pricing audience sees the variant from cache on the next page without a baseline frame', async () => {
  const { context, page } = await visitor();
  await page.goto(`${demo.url}/`);
  await page.waitForFunction(() => (/** @type {HTMLElement | null} */ (document.querySelector('ctfl-optimized-entry.hero')))?.dataset.ctflVariantIndex !== undefined);
  assert.equal(await heroText(page), HERO_BASELINE);
  assert.equal(await page.evaluate(shownText, '.greeting ctfl-merge-tag'), 'there');
  // The probe does see painted baselines (this visitor is decided to get the baseline).
  await page.waitForFunction((t) => window.__frames.includes(t), HERO_BASELINE);
  const profileId = await page.evaluate(() => window.optimization.state.profile?.id);
  assert.ok(profileId, 'the emulator created a profile');
  // Continuity across pages needs persistence consent: the visitor accepts the banner.
  await page.click('#consent-accept');

  // Visiting pricing puts the visitor in the audience ("Pricing visitors").
  await page.goto(`${demo.url}/pricing.html`);
  await page.waitForFunction(() => window.optimization?.state.requestState.status === 'success');
  const audiences = await page.evaluate(() => window.optimization.state.profile.audiences);
  assert.ok(audiences.includes('audPricingVisitors0001'), `audiences: ${audiences}`);

  // Back home: the selection is cached, so the variant is decided as the element upgrades.
  await page.goto(`${demo.url}/`);
  await page.waitForFunction(() => window.optimization?.state.requestState.status === 'success');
  assert.equal(await heroText(page), HERO_VARIANT);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(frames.includes(HERO_VARIANT), 'frames were sampled with the variant shown');
  assert.ok(!frames.includes(HERO_BASELINE), `a frame painted the baseline: ${frames.slice(0, 10).join(' | ')}`);

  // Every request for this visitor after the first updated the same profile.
  const paths = (await requests()).filter((r) => r.path.includes('/profiles')).map((r) => r.path);
  const mine = paths.filter((p) => p.endsWith(`/profiles/${profileId}`));
  assert.ok(mine.length >= 2, `later page views update ${profileId}: ${paths.join(', ')}`);
  assert.deepEqual(await pageErrors(page), []);
  await context.close();
});

test('a second visitor from the spring campaign sees the variant on their first page view, with their own profile', async () => {
  const { context, page } = await visitor();
  await page.goto(`${demo.url}/?utm_campaign=spring`);
  await page.waitForFunction(() => (/** @type {HTMLElement | null} */ (document.querySelector('ctfl-optimized-entry.hero')))?.dataset.ctflVariantIndex === '1');
  assert.equal(await heroText(page), HERO_VARIANT);
  // Nothing was cached, so the hero stayed hidden (not the baseline) until the decision arrived.
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(!frames.includes(HERO_BASELINE), `a frame painted the baseline: ${frames.slice(0, 10).join(' | ')}`);

  const id = await page.evaluate(() => window.optimization.state.profile.id);
  const cookie = (await page.cookies()).find((c) => c.name === 'ctfl-opt-aid');
  // Limited pre-consent by default: no durable continuity until the visitor accepts.
  assert.equal(cookie, undefined, 'no ctfl-opt-aid before persistence consent');
  await page.click('#consent-accept');
  await page.waitForFunction(() => document.cookie.includes('ctfl-opt-aid='));
  const after = (await page.cookies()).find((c) => c.name === 'ctfl-opt-aid');
  assert.equal(after.value, id);
  assert.equal(after.path, '/');
  assert.equal(after.sameSite, 'Lax');
  assert.equal(after.httpOnly, false);
  // Written for a year (the default data-cookie-expires): not a session cookie.
  assert.ok(after.expires && after.expires * 1000 > Date.now() + 300 * 86400_000, `expires ${after.expires}`);

  const campaignEvent = (await requests())
    .flatMap((r) => r.body?.events ?? [])
    .find((e) => e.type === 'page' && e.context?.campaign?.name === 'spring');
  assert.ok(campaignEvent, 'the emulator received the page view with its campaign');
  assert.equal(campaignEvent.context.gdpr.isConsentGiven, false, 'sent before consent, marked as such');
  assert.deepEqual(await pageErrors(page), []);
  await context.close();
});

test('signing in identifies the visitor: the merge tag greets them and the live hero switches to the pro-plan variant', async () => {
  const { context, page } = await visitor();
  await page.goto(`${demo.url}/`);
  await page.waitForFunction(() => window.optimization?.state.requestState.status === 'success');
  assert.equal(await heroText(page), HERO_BASELINE);
  await page.click('#consent-accept');
  await page.click('#sign-in');
  await page.waitForFunction(() => document.querySelector('.greeting ctfl-merge-tag')?.shadowRoot?.textContent === 'Ada');
  await page.waitForFunction((t) => document.querySelector('ctfl-optimized-entry.hero h1')?.textContent === t, HERO_VARIANT);
  const identify = (await requests()).flatMap((r) => r.body?.events ?? []).find((e) => e.type === 'identify' && e.userId === 'ada@example.com');
  assert.deepEqual(identify.traits, { firstname: 'Ada', plan: 'pro' });
  await context.close();
});
