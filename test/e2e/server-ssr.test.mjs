// The hybrid server + browser lifecycle of profile-synchronization.txt, end to end: the
// server-rendered demo (demo/ssr/server.mjs, through dist/server.mjs), the real emulator and this
// run's engine (CTFL_ENGINE: Chromium, Firefox or WebKit; test/helpers/driver.mjs). Each step below
// is one step of the specification; they share two visitors and run in order. Assertions are on
// what leaves the page: cookies (read through the driver), storage, painted frames, the HTTP
// exchanges the browser had with the site (recorded by test/helpers/site.mjs) and the requests the
// emulator received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../helpers/emulator.mjs';
import { startSsrDemo } from '../../demo/ssr/server.mjs';
import { FRAME_PROBE } from '../helpers/frame-probe.mjs';
import { shownText } from '../helpers/shown-text.mjs';
import { launch } from '../helpers/driver.mjs';
import { startSite } from '../helpers/site.mjs';

const ORG = 'ssr-e2e';
const HERO = 'heroBaseline0000000001';
const HERO_VARIANT_ID = 'heroVariant00000000001';
const BASELINE = 'Personalization without the wait';
const VARIANT = 'Plans that grow with you';
const AID = 'ctfl-opt-aid';
const STORED_ID = '__ctfl_opt_anonymous_id__';
const STORED_PROFILE = '__ctfl_opt_profile__';

let emulator, server, ssr, browser;
const visitors = {};

before(async () => {
  emulator = await startEmulator(['--latency', '30']);
  server = await startSsrDemo({ port: 0, emulatorUrl: emulator.url, clientId: ORG });
  ssr = await startSite(server.url, { initScript: FRAME_PROBE });
  browser = await launch();
});

after(async () => {
  for (const v of Object.values(visitors)) await v.context.close().catch(() => {});
  await browser?.close();
  await ssr?.close();
  await server?.close();
  await emulator?.stop();
});

const requests = async () => (await (await fetch(`${emulator.url}/_emulator/requests?organization=${ORG}`)).json()).requests;
const experienceRequests = async () => (await requests()).filter((r) => r.path.includes('/profiles'));
const lastExperience = async () => (await experienceRequests()).at(-1);


async function visitor(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  visitors[name] = { context, page };
  return visitors[name];
}

/** Errors, CSP violations and any SDK warning (ctfl-opt/Exxx: e.g. markup the elements do not accept). */
const problems = async (page) => (await page.problems()).filter((p) => /^(pageerror|console\.error|csp):/.test(p) || /ctfl-opt\//.test(p));
const aidCookie = async (page) => (await page.cookies()).find((c) => c.name === AID);
const stored = (page) => page.evaluate(([a, p]) => ({ id: localStorage.getItem(a), profile: JSON.parse(localStorage.getItem(p) ?? 'null') }), [STORED_ID, STORED_PROFILE]);
const setCookies = (exchange) => exchange.setCookies;
const heroOpenTag = (html) => /<ctfl-optimized-entry entry-id="heroBaseline0000000001"[^>]*>/.exec(html)?.[0] ?? '';
const attr = (tag, name) => new RegExp(` ${name}="([^"]*)"`).exec(tag)?.[1];
const button = (label) => [...document.querySelectorAll('button')].find((b) => b.textContent.includes(label));

/** Opens `path` and returns the document's HTTP exchange (status, headers, Set-Cookie, HTML). */
async function visit(page, path = '/') {
  const mark = ssr.mark();
  await page.goto(`${ssr.url}${path}`);
  return ssr.since(mark).find((e) => e.method === 'GET' && e.path === path);
}

/** Clicks a submit button and returns the POST and the GET its redirect landed on. */
async function submit(page, label, path = '/') {
  const mark = ssr.mark();
  await page.clickAndWaitForNavigation(button, label);
  const post = ssr.since(mark).find((e) => e.method === 'POST');
  const get = ssr.since(mark).find((e) => e.method === 'GET' && e.path === path && e.seq > (post?.seq ?? Infinity));
  assert.ok(post && get, `a form post and its redirect: ${ssr.since(mark).map((e) => `${e.method} ${e.path}`).join(', ')}`);
  return { post, get };
}

let profileA;

test('1. a first request without consent sets no cookie; after consent the server creates a profile and sets a readable ctfl-opt-aid', async () => {
  const { page } = await visitor('a');
  const first = await visit(page, '/');
  assert.equal(setCookies(first).filter((c) => c.startsWith(`${AID}=`)).length, 0);
  assert.equal(await aidCookie(page), undefined, 'no ctfl-opt-aid without app-personalization-consent=granted');
  const [preConsent] = await experienceRequests();
  assert.equal(preConsent.path, `/v2/organizations/${ORG}/environments/main/profiles`);
  assert.deepEqual(preConsent.body.events.map((e) => [e.type, e.channel, e.context.gdpr.isConsentGiven]), [['page', 'server', false]]);

  const { get } = await submit(page, 'Accept personalization');
  const written = setCookies(get).find((c) => c.startsWith(`${AID}=`));
  assert.match(written, /^ctfl-opt-aid=[A-Za-z0-9_-]+; Path=\/; Max-Age=31536000; SameSite=Lax$/);
  const cookie = await aidCookie(page);
  assert.deepEqual([cookie.path, cookie.sameSite, cookie.httpOnly], ['/', 'Lax', false]);
  // A server-set cookie keeps its year in every engine (WebKit caps only cookies written by script).
  assert.ok(cookie.expires * 1000 > Date.now() + 300 * 86400_000, `expires ${cookie.expires}`);
  profileA = cookie.value;
  const created = await lastExperience();
  assert.equal(created.path, `/v2/organizations/${ORG}/environments/main/profiles`, 'no cookie yet: the API created the profile');
  assert.equal(created.body.events[0].context.gdpr.isConsentGiven, true);
  assert.match(get.html, new RegExp(`"id":"${profileA}"`), 'the handoff carries the profile the cookie names');
});

test('2. the browser adopts the server-set cookie: its stored anonymous id equals ctfl-opt-aid', async () => {
  const { page } = visitors.a;
  const { id, profile } = await stored(page);
  assert.equal(id, profileA);
  assert.equal(profile.id, profileA);
  assert.equal(await page.evaluate(() => window.optimization.state.profile.id), profileA);
  assert.equal(await page.evaluate(() => window.optimization.anonymousId), profileA);
});

test('3. a browser identify updates the same profile', async () => {
  const { page } = visitors.a;
  await page.click(button, 'Identify as Ada in the browser');
  await page.waitForFunction(() => /Identified in the browser/.test(document.getElementById('status').textContent));
  const identify = await lastExperience();
  assert.equal(identify.path, `/v2/organizations/${ORG}/environments/main/profiles/${profileA}`);
  assert.deepEqual(identify.body.events.map((e) => [e.type, e.channel, e.userId]), [['identify', 'web', 'ada@example.com']]);
  // The live hero follows: plan=pro puts Ada in the "Pricing visitors" audience.
  await page.waitForFunction((t) => document.querySelector('ctfl-optimized-entry.hero h1')?.textContent === t, VARIANT);
  assert.equal((await stored(page)).id, profileA);
});

let serverDecision;

test('4. the next server request continues the same profile and renders the variant first', async () => {
  const { page } = visitors.a;
  const response = await visit(page, '/');
  const update = await lastExperience();
  assert.equal(update.path, `/v2/organizations/${ORG}/environments/main/profiles/${profileA}`);
  assert.deepEqual(update.body.events.map((e) => [e.type, e.channel, e.context.page.path]), [['page', 'server', '/']]);
  assert.ok(setCookies(response).includes(`${AID}=${profileA}; Path=/; Max-Age=31536000; SameSite=Lax`));
  const html = response.html;
  const tag = heroOpenTag(html);
  serverDecision = { entryId: attr(tag, 'data-ctfl-entry-id'), experienceId: attr(tag, 'data-ctfl-experience-id'), variantIndex: attr(tag, 'data-ctfl-variant-index') };
  assert.deepEqual(serverDecision, { entryId: HERO_VARIANT_ID, experienceId: 'expHeroPricing00000001', variantIndex: '1' });
  assert.ok(html.slice(html.indexOf(tag) + tag.length).startsWith(`<h1>${VARIANT}</h1>`), 'the variant is the first content: the first paint carries it');
});

test('5. the server-rendered variant equals the browser\'s decision, and no frame shows the baseline', async () => {
  const { page } = visitors.a;
  await page.waitForFunction(() => window.__frames.length > 5);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(frames.includes(VARIANT), `frames: ${frames.slice(0, 5).join(' | ')}`);
  assert.ok(!frames.includes(BASELINE), `a frame painted the baseline: ${frames.slice(0, 10).join(' | ')}`);
  const upgraded = await page.evaluate(() => ({ .../** @type {HTMLElement} */ (document.querySelector('ctfl-optimized-entry.hero')).dataset }));
  assert.deepEqual(
    { entryId: upgraded.ctflEntryId, experienceId: upgraded.ctflExperienceId, variantIndex: upgraded.ctflVariantIndex },
    serverDecision,
  );
  // A fresh browser-side Experience response decides the same variant.
  const fresh = await page.evaluate(async (hero) => {
    const result = await window.optimization.page();
    return { profileId: result.data.profile.id, decision: window.optimization.resolveEntry(hero) };
  }, HERO);
  assert.equal(fresh.profileId, profileA);
  assert.deepEqual({ entryId: fresh.decision.entryId, experienceId: fresh.decision.experienceId, variantIndex: String(fresh.decision.variantIndex) }, serverDecision);
  assert.equal(await page.text('ctfl-optimized-entry.hero h1'), VARIANT);
  // The merge tag reads the handed-over profile (the browser identify of step 3 named Ada).
  assert.equal(await page.evaluate(shownText, '.greeting'), 'Hi Ada!');
  assert.deepEqual(await problems(page), []);
});

test('6. a server-set cookie that differs from browser storage makes the browser reset and adopt it', async () => {
  const { page } = await visitor('b');
  await visit(page, '/');
  await submit(page, 'Accept personalization');
  const profileB = (await aidCookie(page)).value;
  assert.notEqual(profileB, profileA);
  assert.equal((await stored(page)).id, profileB);
  // Signing in on the server identifies Ada, whose user id already belongs to profile A: the API
  // moves this visitor onto A and the server writes that id into ctfl-opt-aid.
  const { get } = await submit(page, 'Sign in as Ada on the server');
  assert.ok(setCookies(get).includes(`${AID}=${profileA}; Path=/; Max-Age=31536000; SameSite=Lax`));
  const [identify, pageView] = (await experienceRequests()).slice(-2);
  assert.deepEqual([identify.path, identify.body.events[0].type], [`/v2/organizations/${ORG}/environments/main/profiles/${profileB}`, 'identify']);
  assert.deepEqual([pageView.path, pageView.body.events[0].type], [`/v2/organizations/${ORG}/environments/main/profiles/${profileA}`, 'page']);

  assert.equal((await aidCookie(page)).value, profileA);
  const after = await stored(page);
  assert.equal(after.id, profileA, 'the stored anonymous id was replaced by the cookie');
  assert.equal(after.profile.id, profileA, 'the cached profile is the adopted one');
  assert.equal(after.profile.traits.firstname, 'Ada');
  assert.equal(await page.evaluate(() => window.optimization.state.profile.id), profileA);
  // The browser's next Experience event continues the adopted profile.
  await page.click(button, 'Identify as Ada in the browser');
  await page.waitForFunction(() => /Identified in the browser/.test(document.getElementById('status').textContent));
  assert.equal((await lastExperience()).path, `/v2/organizations/${ORG}/environments/main/profiles/${profileA}`);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(!frames.includes(BASELINE), `a frame painted the baseline: ${frames.slice(0, 10).join(' | ')}`);
  assert.deepEqual(await problems(page), []);
});

test('7. revoking consent clears ctfl-opt-aid on the server (Max-Age=0) and the profile storage in the browser', async () => {
  const { page } = visitors.a;
  assert.equal((await stored(page)).id, profileA);
  const { post, get } = await submit(page, 'Revoke consent');
  const cleared = setCookies(post);
  assert.ok(cleared.includes('app-personalization-consent=denied; Path=/; Max-Age=31536000; SameSite=Lax'), cleared.join('\n'));
  assert.ok(cleared.some((c) => /^ctfl-opt-aid=; Path=\/; Max-Age=0;/.test(c)), cleared.join('\n'));
  assert.equal(await aidCookie(page), undefined);
  assert.deepEqual(await stored(page), { id: null, profile: null });
  assert.deepEqual(await page.evaluate(() => window.optimization.consentState), { events: false, persistence: false });
  // The server no longer continues the profile, and sends only what is allowed before consent.
  assert.equal(setCookies(get).filter((c) => c.startsWith(`${AID}=`) && !/Max-Age=0/.test(c)).length, 0);
  const last = await lastExperience();
  assert.equal(last.path, `/v2/organizations/${ORG}/environments/main/profiles`);
  assert.equal(last.body.events[0].context.gdpr.isConsentGiven, false);
  assert.deepEqual(await problems(page), []);
});
