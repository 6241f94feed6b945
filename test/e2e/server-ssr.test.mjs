// The hybrid server + browser lifecycle of profile-synchronization.txt, end to end: the
// server-rendered demo (demo/ssr/server.mjs, through dist/server.mjs), the real emulator and Debian
// Chromium. Each step below is one step of the specification; they share two visitors and run in
// order. Assertions are on what leaves the page: cookies, storage, painted frames and the requests
// the emulator received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startEmulator } from '../helpers/emulator.mjs';
import { startSsrDemo } from '../../demo/ssr/server.mjs';
import { chromiumPath, chromiumArgs } from '../../scripts/chromium.mjs';
import { FRAME_PROBE } from '../helpers/frame-probe.mjs';
import { shownText } from '../helpers/shown-text.mjs';

const ORG = 'ssr-e2e';
const HERO = 'heroBaseline0000000001';
const HERO_VARIANT_ID = 'heroVariant00000000001';
const BASELINE = 'Personalization without the wait';
const VARIANT = 'Plans that grow with you';
const AID = 'ctfl-opt-aid';
const STORED_ID = '__ctfl_opt_anonymous_id__';
const STORED_PROFILE = '__ctfl_opt_profile__';

let emulator, ssr, browser;
const visitors = {};

before(async () => {
  emulator = await startEmulator(['--latency', '30']);
  ssr = await startSsrDemo({ port: 0, emulatorUrl: emulator.url, clientId: ORG });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
});

after(async () => {
  for (const v of Object.values(visitors)) await v.context.close().catch(() => {});
  await browser?.close();
  await ssr?.close();
  await emulator?.stop();
});

const requests = async () => (await (await fetch(`${emulator.url}/_emulator/requests?organization=${ORG}`)).json()).requests;
const experienceRequests = async () => (await requests()).filter((r) => r.path.includes('/profiles'));
const lastExperience = async () => (await experienceRequests()).at(-1);


async function visitor(name) {
  const context = await browser.newContext();
  await context.addInitScript(FRAME_PROBE);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // Errors, CSP reports and any SDK warning (ctfl-opt/Exxx: e.g. markup the elements do not accept).
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy|ctfl-opt\//i.test(m.text())) problems.push(`console: ${m.text()} ${m.location().url}`);
  });
  visitors[name] = { context, page, problems };
  return visitors[name];
}

const aidCookie = async (context) => (await context.cookies()).find((c) => c.name === AID);
const stored = (page) => page.evaluate(([a, p]) => ({ id: localStorage.getItem(a), profile: JSON.parse(localStorage.getItem(p) ?? 'null') }), [STORED_ID, STORED_PROFILE]);
const setCookies = async (response) => ((await response.allHeaders())['set-cookie'] ?? '').split('\n').filter(Boolean);
const heroOpenTag = (html) => /<ctfl-optimized-entry entry-id="heroBaseline0000000001"[^>]*>/.exec(html)?.[0] ?? '';
const attr = (tag, name) => new RegExp(` ${name}="([^"]*)"`).exec(tag)?.[1];

/** Clicks a submit button and returns the GET response the form's redirect lands on. */
async function submit(page, label, path = '/') {
  const landed = page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === path);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST');
  await page.locator('button', { hasText: label }).click();
  const [post, get] = await Promise.all([posted, landed]);
  await page.waitForLoadState('load');
  return { post, get };
}

let profileA;

test('1. a first request without consent sets no cookie; after consent the server creates a profile and sets a readable ctfl-opt-aid', async () => {
  const { page, context } = await visitor('a');
  const first = await page.goto(`${ssr.url}/`);
  assert.equal((await setCookies(first)).filter((c) => c.startsWith(`${AID}=`)).length, 0);
  assert.equal(await aidCookie(context), undefined, 'no ctfl-opt-aid without app-personalization-consent=granted');
  const [preConsent] = await experienceRequests();
  assert.equal(preConsent.path, `/v2/organizations/${ORG}/environments/main/profiles`);
  assert.deepEqual(preConsent.body.events.map((e) => [e.type, e.channel, e.context.gdpr.isConsentGiven]), [['page', 'server', false]]);

  const { get } = await submit(page, 'Accept personalization');
  const written = (await setCookies(get)).find((c) => c.startsWith(`${AID}=`));
  assert.match(written, /^ctfl-opt-aid=[A-Za-z0-9_-]+; Path=\/; Max-Age=31536000; SameSite=Lax$/);
  const cookie = await aidCookie(context);
  assert.deepEqual([cookie.path, cookie.sameSite, cookie.httpOnly], ['/', 'Lax', false]);
  profileA = cookie.value;
  const created = await lastExperience();
  assert.equal(created.path, `/v2/organizations/${ORG}/environments/main/profiles`, 'no cookie yet: the API created the profile');
  assert.equal(created.body.events[0].context.gdpr.isConsentGiven, true);
  assert.match(await get.text(), new RegExp(`"id":"${profileA}"`), 'the handoff carries the profile the cookie names');
});

test('2. the browser adopts the server-set cookie: its stored anonymous id equals ctfl-opt-aid', async () => {
  const { page } = visitors.a;
  const { id, profile } = await stored(page);
  assert.equal(id, profileA);
  assert.equal(profile.id, profileA);
  assert.equal(await page.evaluate(() => window.optimization.profile.id), profileA);
  assert.equal(await page.evaluate(() => window.optimization.anonymousId), profileA);
});

test('3. a browser identify updates the same profile', async () => {
  const { page } = visitors.a;
  await page.locator('button', { hasText: 'Identify as Ada in the browser' }).click();
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
  const response = await page.goto(`${ssr.url}/`);
  const update = await lastExperience();
  assert.equal(update.path, `/v2/organizations/${ORG}/environments/main/profiles/${profileA}`);
  assert.deepEqual(update.body.events.map((e) => [e.type, e.channel, e.context.page.path]), [['page', 'server', '/']]);
  assert.ok((await setCookies(response)).includes(`${AID}=${profileA}; Path=/; Max-Age=31536000; SameSite=Lax`));
  const html = await response.text();
  const tag = heroOpenTag(html);
  serverDecision = { entryId: attr(tag, 'data-ctfl-entry-id'), experienceId: attr(tag, 'data-ctfl-experience-id'), variantIndex: attr(tag, 'data-ctfl-variant-index') };
  assert.deepEqual(serverDecision, { entryId: HERO_VARIANT_ID, experienceId: 'expHeroPricing00000001', variantIndex: '1' });
  assert.ok(html.slice(html.indexOf(tag) + tag.length).startsWith(`<h1>${VARIANT}</h1>`), 'the variant is the first content: the first paint carries it');
});

test('5. the server-rendered variant equals the browser\'s decision, and no frame shows the baseline', async () => {
  const { page, problems } = visitors.a;
  await page.waitForFunction(() => window.__frames.length > 5);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(frames.includes(VARIANT), `frames: ${frames.slice(0, 5).join(' | ')}`);
  assert.ok(!frames.includes(BASELINE), `a frame painted the baseline: ${frames.slice(0, 10).join(' | ')}`);
  const upgraded = await page.evaluate(() => ({ ...document.querySelector('ctfl-optimized-entry.hero').dataset }));
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
  assert.equal(await page.locator('ctfl-optimized-entry.hero h1').innerText(), VARIANT);
  // The merge tag reads the handed-over profile (the browser identify of step 3 named Ada).
  assert.equal(await page.evaluate(shownText, '.greeting'), 'Hi Ada!');
  assert.deepEqual(problems, []);
});

test('6. a server-set cookie that differs from browser storage makes the browser reset and adopt it', async () => {
  const { page, context, problems } = await visitor('b');
  await page.goto(`${ssr.url}/`);
  await submit(page, 'Accept personalization');
  const profileB = (await aidCookie(context)).value;
  assert.notEqual(profileB, profileA);
  assert.equal((await stored(page)).id, profileB);
  // Signing in on the server identifies Ada, whose user id already belongs to profile A: the API
  // moves this visitor onto A and the server writes that id into ctfl-opt-aid.
  const { get } = await submit(page, 'Sign in as Ada on the server');
  assert.ok((await setCookies(get)).includes(`${AID}=${profileA}; Path=/; Max-Age=31536000; SameSite=Lax`));
  const [identify, pageView] = (await experienceRequests()).slice(-2);
  assert.deepEqual([identify.path, identify.body.events[0].type], [`/v2/organizations/${ORG}/environments/main/profiles/${profileB}`, 'identify']);
  assert.deepEqual([pageView.path, pageView.body.events[0].type], [`/v2/organizations/${ORG}/environments/main/profiles/${profileA}`, 'page']);

  assert.equal((await aidCookie(context)).value, profileA);
  const after = await stored(page);
  assert.equal(after.id, profileA, 'the stored anonymous id was replaced by the cookie');
  assert.equal(after.profile.id, profileA, 'the cached profile is the adopted one');
  assert.equal(after.profile.traits.firstname, 'Ada');
  assert.equal(await page.evaluate(() => window.optimization.profile.id), profileA);
  // The browser's next Experience event continues the adopted profile.
  await page.locator('button', { hasText: 'Identify as Ada in the browser' }).click();
  await page.waitForFunction(() => /Identified in the browser/.test(document.getElementById('status').textContent));
  assert.equal((await lastExperience()).path, `/v2/organizations/${ORG}/environments/main/profiles/${profileA}`);
  const frames = await page.evaluate(() => window.__frames);
  assert.ok(!frames.includes(BASELINE), `a frame painted the baseline: ${frames.slice(0, 10).join(' | ')}`);
  assert.deepEqual(problems, []);
});

test('7. revoking consent clears ctfl-opt-aid on the server (Max-Age=0) and the profile storage in the browser', async () => {
  const { page, context, problems } = visitors.a;
  assert.equal((await stored(page)).id, profileA);
  const { post, get } = await submit(page, 'Revoke consent');
  const cleared = await setCookies(post);
  assert.ok(cleared.includes('app-personalization-consent=denied; Path=/; Max-Age=31536000; SameSite=Lax'), cleared.join('\n'));
  assert.ok(cleared.some((c) => /^ctfl-opt-aid=; Path=\/; Max-Age=0;/.test(c)), cleared.join('\n'));
  assert.equal(await aidCookie(context), undefined);
  assert.deepEqual(await stored(page), { id: null, profile: null });
  assert.deepEqual(await page.evaluate(() => window.optimization.consentState), { events: false, persistence: false });
  // The server no longer continues the profile, and sends only what is allowed before consent.
  assert.equal((await setCookies(get)).filter((c) => c.startsWith(`${AID}=`) && !/Max-Age=0/.test(c)).length, 0);
  const last = await lastExperience();
  assert.equal(last.path, `/v2/organizations/${ORG}/environments/main/profiles`);
  assert.equal(last.body.events[0].context.gdpr.isConsentGiven, false);
  assert.deepEqual(problems, []);
});
