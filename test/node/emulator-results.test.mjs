// Experiment results over HTTP, against a real `ctfl-optimization serve --goal signup` process: who
// counts as exposed and converted, what resent events do to the figures (Insights retries and
// beacons, retried Experience requests), identify merges, sample-ratio mismatch, audiences that can
// never match, the route's validation, goals, the dashboard's HTML and persistence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, demoSpace } from '../helpers/emulator.mjs';
import { importTsAll } from '../helpers/bundle-ts.mjs';
import { composed } from '../helpers/messages.mjs';

const { compareArms, wilsonInterval, parseServeFlags } = await importTsAll('src/emulator/stats.ts', 'src/emulator/cli.ts');

const HOSTILE = `<img src=x onerror=alert(1)> & "quoted"`;
const AB = 'expResultsAb';
const THREE = 'expResultsThree';
const PERSONAL = 'expResultsPersonal';
const NEVER = 'expResultsNever';
const QUARTER = 'expResultsQuarter'; // [0.25, 0.25]: the baseline takes the remainder, 75 / 25
const OVER = 'expResultsOver'; // [0.6, 0.6]: ranges cut off at 1, 60 / 40
const ZERO = 'expResultsZero'; // [0, 0.5]: the baseline gets the other half, 50 / 50

const link = (id) => ({ sys: { type: 'Link', linkType: 'Entry', id } });
const entry = (id, type, fields) => ({
  sys: { id, type: 'Entry', contentType: { sys: { type: 'Link', linkType: 'ContentType', id: type } } },
  fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { 'en-US': v }])),
});
const experience = (id, { name = id, audience = null, distribution, type = 'nt_experiment' }) => entry(id, 'nt_experience', {
  nt_name: name, nt_type: type, nt_audience: audience ? link(audience) : null,
  nt_config: { traffic: 1, distribution, components: [{ baseline: { id: `${id}-base` }, variants: distribution.slice(1).map((_, i) => ({ id: `${id}-var${i + 1}` })) }] },
});

const dir = mkdtempSync(join(tmpdir(), 'ctfl-results-'));
const spaceFile = join(dir, 'space.json');
const space = JSON.parse(readFileSync(demoSpace, 'utf8'));
space.entries.push(
  // An empty rule set can never match: the space reader lists it under the audience's `unevaluable`.
  entry('audResultsNever', 'nt_audience', { nt_name: `Never ${HOSTILE}`, nt_audience_id: 'audResultsNever', nt_rules: { any: [] } }),
  experience(AB, { name: HOSTILE, distribution: [0.5, 0.5] }),
  experience(THREE, { distribution: [0.5, 0.25, 0.25] }),
  experience(PERSONAL, { type: 'nt_personalization', distribution: [0, 1] }),
  experience(NEVER, { audience: 'audResultsNever', distribution: [0.5, 0.5] }),
  experience(QUARTER, { distribution: [0.25, 0.25] }),
  experience(OVER, { distribution: [0.6, 0.6] }),
  experience(ZERO, { distribution: [0, 0.5] }),
);
writeFileSync(spaceFile, JSON.stringify(space));

let emu;
before(async () => { emu = await startEmulator(['--goal', 'signup'], { space: spaceFile }); });
after(async () => {
  assert.equal(await emu.stop(), 0);
  assert.doesNotMatch(emu.output(), /unexpected error/);
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const newOrg = () => `res-${process.pid}-${++n}`;
const T0 = Date.parse('2026-09-01T12:00:00.000Z');
const at = (ms) => new Date(T0 + ms).toISOString();
const common = (ms = 0) => ({ channel: 'web', messageId: randomUUID(), originalTimestamp: at(ms), sentAt: at(ms), timestamp: at(ms), context: {} });
const page = (ms = 0) => ({ ...common(ms), type: 'page', properties: { path: '/', query: {}, referrer: '', search: '', title: '', url: 'https://x.example/' } });
const track = (event, ms = 0) => ({ ...common(ms), type: 'track', event, properties: {} });
const identify = (userId, ms = 0) => ({ ...common(ms), type: 'identify', userId, traits: {} });
const component = (type, experienceId, variantIndex, ms = 0, extra = {}) =>
  ({ ...common(ms), type, componentType: 'Entry', componentId: `${experienceId}-base`, experienceId, variantIndex, ...extra });
const view = (experienceId, variantIndex, ms = 0, extra = {}) => component('component', experienceId, variantIndex, ms, { viewId: randomUUID(), viewDurationMs: 1000, ...extra });

const JSON_TYPE = { 'Content-Type': 'application/json' };
const setGoals = (goals, headers = JSON_TYPE) => call('POST', '/_emulator/goals', { goals }, headers);

async function call(method, path, body, headers = {}) {
  const res = await fetch(emu.url + path, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}
const insights = (org, profileId, events, headers) => call('POST', `/v1/organizations/${org}/environments/main/events`, [{ profile: { id: profileId }, events }], headers);
const update = (org, profileId, events, query = '') => call('POST', `/v2/organizations/${org}/environments/main/profiles/${profileId}${query}`, { events });
const create = (org, events) => call('POST', `/v2/organizations/${org}/environments/main/profiles`, { events });
async function results(org, query = '') {
  const res = await call('GET', `/_emulator/results?organization=${org}${query}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}
const expOf = (r, id) => r.experiences.find((e) => e.id === id);
const goalOf = (r, id, goal = 'signup') => expOf(r, id).goals.find((g) => g.goal === goal);
const pick = (list, ...keys) => list.map((item) => Object.fromEntries(keys.map((k) => [k, item[k]])));

test('visitors count once, from their first view, in its variant; views, clicks and hovers per variant', async () => {
  const org = newOrg();
  const viewA = randomUUID();
  const hoverA = randomUUID();
  assert.equal((await insights(org, 'visitor-a', [
    view(AB, 0, 0, { viewId: viewA }), view(AB, 0, 3000, { viewId: viewA, viewDurationMs: 4000 }), // one view: start and end
    view(AB, 0, 10_000),
    component('component_click', AB, 0, 11_000),
    component('component_hover', AB, 0, 12_000, { hoverId: hoverA, hoverDurationMs: 1000 }),
    component('component_hover', AB, 0, 13_000, { hoverId: hoverA, hoverDurationMs: 2000 }),
    { ...view(AB, 1, 14_000), componentType: 'Variable' }, // a flag view: not a view of the entry
    view(AB, 1, 20_000), // later in the other variant: still a baseline visitor
  ])).status, 200);
  await insights(org, 'visitor-b', [view(AB, 1, 5000), component('component_click', AB, 1, 6000)]);
  await insights(org, 'visitor-c', [component('component_click', AB, 0, 7000)]); // a click without a view exposes nobody

  const r = await results(org);
  const ab = expOf(r, AB);
  assert.equal(ab.name, HOSTILE);
  assert.equal(ab.visitors, 2);
  assert.equal(ab.crossovers, 1, 'visitor-a also saw variant 1');
  assert.deepEqual(pick(ab.variants, 'index', 'visitors', 'views', 'clicks', 'hovers'), [
    { index: 0, visitors: 1, views: 2, clicks: 2, hovers: 1 },
    { index: 1, visitors: 1, views: 2, clicks: 1, hovers: 0 },
  ]);
  assert.equal(expOf(r, THREE).visitors, 0);
  assert.deepEqual(r.totals, {
    profiles: 0, insightsEvents: 11, experienceEvents: 0,
    dropped: { insightsEvents: 0, experienceEvents: 0, forgottenMessageIds: 0, unsummarizedEvents: 0 },
  });
});

test('experiences only events name are shown, the most visited 20; a visitor first seen at an absurd variant index makes a mismatch', async () => {
  const org = newOrg();
  const events = Array.from({ length: 25 }, (_, i) => view(`made-up-${String(i).padStart(2, '0')}`, 0, i));
  await insights(org, 'stray-1', [...events, view(AB, 5000, 0), view(AB, 1, 1)]);
  await insights(org, 'stray-2', [view('made-up-24', 1, 0)]);
  const r = await results(org);
  const extra = r.experiences.filter((e) => !e.inSpace);
  assert.equal(extra.length, 20);
  assert.deepEqual([extra[0].id, extra[0].visitors, extra[0].name], ['made-up-24', 2, 'made-up-24'], 'the most visited first');
  assert.equal(r.experiences.length, space.entries.filter((e) => e.sys.contentType.sys.id === 'nt_experience').length + 20);
  const ab = expOf(r, AB);
  assert.equal(ab.variants.length, 2, 'variant 5000 is not a variant');
  // stray-1's first view named variant 5000: a tracking bug the split check must not hide.
  assert.equal(ab.srm.status, 'mismatch');
  assert.equal(ab.visitors, 1);
  assert.equal(ab.outOfRangeVisitors, 1);
  assert.deepEqual(pick(ab.variants, 'visitors', 'views'), [{ visitors: 0, views: 0 }, { visitors: 0, views: 1 }]);
  assert.equal(ab.crossovers, 1, 'it also saw variant 1');
  assert.equal(ab.srm.unexpectedVisitors, 1);
  const html = (await call('GET', `/_emulator/?organization=${org}`)).text;
  const card = html.split('<section class="card"').find((s) => s.includes(`data-experience-id="${AB}"`));
  assert.match(card, /data-srm="mismatch" role="note">Sample ratio mismatch: 1 visitor in a variant the distribution \(50 \/ 50\) never picks/);
  assert.match(card, /1 visitor first seen in a variant index above 63/);
});

test('a conversion is an exposed visitor with the goal\'s track event at or after the start of its first view', async () => {
  const org = newOrg();
  // visitor-1: view reported at 10 s after 1 s in view, converts at 9.5 s (after the view started): counts.
  await insights(org, 'visitor-1', [view(AB, 0, 10_000)]);
  await update(org, 'visitor-1', [track('signup', 9500)]);
  // visitor-2: converted before ever seeing the entry: an exposed visitor, not a conversion.
  await update(org, 'visitor-2', [track('signup', 0)]);
  await insights(org, 'visitor-2', [view(AB, 0, 60_000)]);
  // visitor-3: two signups, one conversion; visitor-4: another event only.
  await insights(org, 'visitor-3', [view(AB, 1, 0)]);
  await update(org, 'visitor-3', [track('signup', 5000)]);
  await update(org, 'visitor-3', [track('signup', 6000), track('newsletter', 6000)]);
  await insights(org, 'visitor-4', [view(AB, 1, 0)]);
  await update(org, 'visitor-4', [track('newsletter', 1000)]);
  // visitor-5: the conversion reached the emulator before the queued view: the clients' clock decides.
  await update(org, 'visitor-5', [track('signup', 30_000)]);
  await insights(org, 'visitor-5', [view(AB, 1, 20_000)]);
  // visitor-6 converts without being exposed.
  await update(org, 'visitor-6', [track('signup', 0)]);

  const r = await results(org);
  assert.deepEqual(r.goals, ['signup'], 'the --goal of the process');
  assert.deepEqual(r.availableGoals, [{ name: 'signup', events: 6 }, { name: 'newsletter', events: 2 }]);
  const g = goalOf(r, AB);
  assert.deepEqual(pick(g.variants, 'visitors', 'conversions'), [{ visitors: 2, conversions: 1 }, { visitors: 3, conversions: 2 }]);
  assert.equal(g.enoughData, false, 'five visitors say nothing yet');
  // The figures are the statistics module's for these counts.
  const [base, variant] = compareArms([{ visitors: 2, conversions: 1 }, { visitors: 3, conversions: 2 }]);
  const w = wilsonInterval(2, 3);
  assert.deepEqual([g.variants[1].rate, g.variants[1].rateLower, g.variants[1].rateUpper], [2 / 3, w.lower, w.upper]);
  assert.equal(g.variants[0].rate, base.rate);
  assert.deepEqual([g.variants[1].difference, g.variants[1].differenceLower, g.variants[1].differenceUpper, g.variants[1].probabilityToBeat],
    [variant.vsBaseline.difference, variant.vsBaseline.lower, variant.vsBaseline.upper, variant.vsBaseline.probabilityToBeat]);
  assert.equal(g.variants[0].difference, null);
  const last = g.series.at(-1);
  assert.deepEqual([last.visitors, last.conversions], [[2, 3], [1, 2]], 'the chart ends at the totals');

  const other = await results(org, '&goal=newsletter&goal=signup');
  assert.deepEqual(other.goals, ['newsletter', 'signup'], '?goal= chooses for this request');
  assert.deepEqual(pick(goalOf(other, AB, 'newsletter').variants, 'visitors', 'conversions'), [{ visitors: 2, conversions: 0 }, { visitors: 3, conversions: 2 }]);
});

test('resent events count once: Insights retries and beacons, retried creates, updates and batches', async () => {
  const org = newOrg();
  const firstEvents = [page(0), track('signup', 5000)];
  const created = await create(org, firstEvents);
  assert.equal(created.status, 200);
  const id = created.json.data.profile.id;
  const again = await create(org, firstEvents); // its answer was lost: the client sends the same body again
  assert.equal(again.status, 200);
  assert.equal(again.json.data.profile.id, id, 'a retried create answers the profile it made, not a second visitor');

  const batch = [view(AB, 1, 1000), view(AB, 1, 2000), component('component_click', AB, 1, 3000)];
  await insights(org, id, batch);
  await insights(org, id, batch); // a retry after a lost answer
  await insights(org, id, batch, { 'Content-Type': 'text/plain;charset=UTF-8' }); // the same events from sendBeacon on page hide

  const signup = track('signup', 8000);
  await update(org, id, [signup]);
  await update(org, id, [signup]); // retried
  const partly = await update(org, id, [signup, track('newsletter', 9000)]); // one old, one new
  assert.equal(partly.status, 200);

  // A preflight applies nothing, so the same event sent for real afterwards still counts.
  const later = track('newsletter', 9500);
  assert.equal((await update(org, id, [later], '?type=preflight')).status, 200);
  await update(org, id, [later]);

  const batchEvent = { ...track('signup', 100), anonymousId: 'batch-visitor' };
  const first = await call('POST', `/v2/organizations/${org}/environments/main/events`, { events: [batchEvent] });
  const resent = await call('POST', `/v2/organizations/${org}/environments/main/events`, { events: [batchEvent] });
  assert.equal(first.status, 200);
  assert.equal(resent.status, 200);
  assert.deepEqual(resent.json.data.profiles.map((p) => p.id), first.json.data.profiles.map((p) => p.id));

  const r = await results(org);
  assert.equal(r.totals.profiles, 2, 'the visitor and the batch visitor');
  assert.equal(r.totals.insightsEvents, 3);
  assert.deepEqual(r.availableGoals, [{ name: 'signup', events: 3 }, { name: 'newsletter', events: 2 }]);
  const ab = expOf(r, AB);
  assert.deepEqual(pick(ab.variants, 'visitors', 'views', 'clicks'), [{ visitors: 0, views: 0, clicks: 0 }, { visitors: 1, views: 2, clicks: 1 }]);
  assert.deepEqual(pick(goalOf(r, AB).variants, 'conversions'), [{ conversions: 0 }, { conversions: 1 }]);
});

test('an identify that moves a visitor onto a known user keeps its exposure and conversion together', async () => {
  const org = newOrg();
  const user = (await create(org, [identify('ada', 0)])).json.data.profile.id;
  const anonymous = (await create(org, [page(1000)])).json.data.profile.id;
  assert.notEqual(anonymous, user);
  await insights(org, anonymous, [view(AB, 1, 2000)]);
  const signedIn = await update(org, anonymous, [identify('ada', 3000)]);
  assert.equal(signedIn.json.data.profile.id, user, 'the emulator moved the visitor onto the user\'s profile');
  await update(org, user, [track('signup', 4000)]);
  const g = goalOf(await results(org), AB);
  assert.deepEqual(pick(g.variants, 'visitors', 'conversions'), [{ visitors: 0, conversions: 0 }, { visitors: 1, conversions: 1 }]);
});

test('sample-ratio mismatch is flagged against the distribution; small samples carry a plain warning', async () => {
  const org = newOrg();
  for (let i = 0; i < 100; i++) await insights(org, `srm-${i}`, [view(AB, i < 75 ? 0 : 1, i), view(THREE, [0, 0, 1, 2][i % 4], i), ...(i < 2 ? [view(PERSONAL, 0, i)] : [view(PERSONAL, 1, i)])]);
  const r = await results(org);
  const ab = expOf(r, AB);
  assert.equal(ab.srm.status, 'mismatch');
  assert.equal(ab.srm.chiSquare, 25, '(75 − 50)² / 50 + (25 − 50)² / 50');
  assert.ok(ab.srm.pValue < 1e-6);
  assert.equal(expOf(r, THREE).srm.status, 'ok', '50 / 25 / 25 as configured');
  assert.equal(expOf(r, PERSONAL).srm.status, 'mismatch', 'two visitors in a baseline that takes no traffic');
  assert.equal(expOf(r, NEVER).srm.status, 'not-enough-data');

  const html = (await call('GET', `/_emulator/?organization=${org}`)).text;
  const card = html.split('<section class="card"').find((s) => s.includes(`data-experience-id="${AB}"`));
  assert.match(card, /data-srm="mismatch" role="note">Sample ratio mismatch: visitors do not split as the distribution \(50 \/ 50\) says/);
  assert.match(card, /Too few data to say anything yet/, 'no conversions yet: nothing to read');
  const three = html.split('<section class="card"').find((s) => s.includes(`data-experience-id="${THREE}"`));
  assert.match(three, /data-srm="ok">Sample ratio as expected \(50 \/ 25 \/ 25;/);
});

/** Insights views for many visitors, in requests of at most 100 visitors (the route's limit). */
async function viewsFor(org, visitors) {
  for (let k = 0; k < visitors.length; k += 100) {
    const batch = visitors.slice(k, k + 100).map(({ id, events }) => ({ profile: { id }, events }));
    const res = await call('POST', `/v1/organizations/${org}/environments/main/events`, batch);
    assert.equal(res.status, 200, res.text);
  }
}

test('the split check expects the shares assignment really gives: [0.25, 0.25] is 75 / 25, [0.6, 0.6] 60 / 40, [0, 0.5] 50 / 50', async () => {
  const org = newOrg();
  // 400 visitors the emulator itself assigns (fixed profile ids: the same split on every run), each
  // viewing the variant it was given.
  const given = [0, 0];
  const visitors = [];
  for (let k = 0; k < 400; k += 20) {
    await Promise.all(Array.from({ length: 20 }, async (_, j) => {
      const id = `quarter-${k + j}`;
      const res = await update(org, id, [page(0)]);
      assert.equal(res.status, 200, res.text);
      const variant = res.json.data.experiences.find((e) => e.experienceId === QUARTER).variantIndex;
      given[variant]++;
      visitors.push({ id, events: [view(QUARTER, variant, 1000)] });
    }));
  }
  assert.ok(given[0] > 260 && given[0] < 340, `the emulator gives the baseline about 3 in 4: ${given}`);
  await viewsFor(org, [
    ...visitors,
    ...Array.from({ length: 500 }, (_, i) => ({ id: `over-${i}`, events: [view(OVER, i < 300 ? 0 : 1, 0)] })),
    ...Array.from({ length: 100 }, (_, i) => ({ id: `zero-${i}`, events: [view(ZERO, i % 2, 0)] })),
  ]);
  const r = await results(org);
  const quarter = expOf(r, QUARTER);
  assert.deepEqual(quarter.variants.map((v) => v.visitors), given);
  assert.deepEqual(quarter.srm.expectedShares, [0.75, 0.25]);
  assert.equal(quarter.srm.status, 'ok', `${given} is what [0.25, 0.25] assigns (p = ${quarter.srm.pValue})`);
  const over = expOf(r, OVER);
  assert.equal(over.srm.status, 'ok', `300 / 200 is what [0.6, 0.6] assigns (p = ${over.srm.pValue})`);
  assert.equal(over.srm.chiSquare, 0);
  const zero = expOf(r, ZERO);
  assert.equal(zero.srm.status, 'ok', '[0, 0.5] leaves the other half to the baseline');
  assert.deepEqual(zero.srm.expectedShares, [0.5, 0.5]);
  const html = (await call('GET', `/_emulator/?organization=${org}`)).text;
  const card = html.split('<section class="card"').find((c) => c.includes(`data-experience-id="${ZERO}"`));
  assert.match(card, /data-srm="ok">Sample ratio as expected \(50 \/ 50;/);
  assert.doesNotMatch(card, /never picks/);
});

test('a split too far off for a double\'s p-value reads "p < 1e-300", not as visitors in a variant never picked', async () => {
  const org = newOrg();
  await viewsFor(org, Array.from({ length: 10_000 }, (_, i) => ({ id: `skew-${i}`, events: [view(AB, i < 7000 ? 0 : 1, 0)] })));
  const html = (await call('GET', `/_emulator/?organization=${org}`)).text;
  const card = html.split('<section class="card"').find((c) => c.includes(`data-experience-id="${AB}"`));
  assert.doesNotMatch(card, /never picks/);
  assert.match(card, /Sample ratio mismatch: visitors do not split as the distribution \(50 \/ 50\) says \(chi-square 1600\.00, p &lt; 1e-300 &lt; 0\.001\)/);
  const ab = expOf(await results(org), AB);
  assert.equal(ab.srm.status, 'mismatch');
  assert.equal(ab.srm.chiSquare, 1600, '2 × 2000² / 5000');
  assert.equal(ab.srm.pValue, 0, 'below the smallest double');
  assert.equal(ab.srm.unexpectedVisitors, 0);
});

test('results are kept per query: a dashboard and a preview panel polling other queries do not recompute each other\'s', async () => {
  const org = newOrg();
  await insights(org, 'cache-visitor', [view(AB, 0, 0)]);
  const dashboard = await call('GET', `/_emulator/results?organization=${org}`);
  const panel = await call('GET', `/_emulator/results?organization=${org}&environment=main`);
  assert.equal(panel.status, 200);
  try {
    // The emulator's clock moves on, the store does not: each query's answer is the one it had.
    assert.equal((await call('POST', '/_emulator/clock', { advanceMs: 60_000 }, JSON_TYPE)).status, 200);
    const again = await call('GET', `/_emulator/results?organization=${org}`, undefined, { 'If-None-Match': dashboard.headers.get('etag') });
    assert.equal(again.status, 304);
    const body = await call('GET', `/_emulator/results?organization=${org}`);
    assert.equal(body.json.generatedAt, dashboard.json.generatedAt, 'not computed again');
    assert.equal((await call('GET', `/_emulator/results?organization=${org}&environment=main`)).json.generatedAt, panel.json.generatedAt);
  } finally {
    await call('POST', '/_emulator/clock', { offsetMs: 0 }, JSON_TYPE);
  }

  // After a change an answer may be the last one for up to a second, never a mix: the same ETag is the same body.
  await insights(org, 'cache-visitor-2', [view(AB, 1, 0)]);
  const soon = await call('GET', `/_emulator/results?organization=${org}`);
  if (soon.headers.get('etag') === dashboard.headers.get('etag')) assert.deepEqual(soon.json, dashboard.json);
  else assert.equal(expOf(soon.json, AB).visitors, 2);
  const fresh = await call('GET', `/_emulator/results?organization=${org}`, undefined, { 'Cache-Control': 'no-cache' });
  assert.equal(expOf(fresh.json, AB).visitors, 2, 'no-cache: as the store is now');
  assert.notEqual(fresh.headers.get('etag'), dashboard.headers.get('etag'));
  // And without asking, polling sees it soon.
  for (let tries = 0; ; tries++) {
    const polled = await call('GET', `/_emulator/results?organization=${org}&environment=main`);
    if (expOf(polled.json, AB).visitors === 2) break;
    assert.ok(tries < 100, 'a poll sees the change within a few seconds');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

test('an ETag from before a restart without --data is not answered 304 by the new process', async () => {
  const org = 'restarted';
  const first = await startEmulator(['--goal', 'signup'], { space: spaceFile });
  let etag;
  try {
    await fetch(`${first.url}/v1/organizations/${org}/environments/main/events`, { method: 'POST', body: JSON.stringify([{ profile: { id: 'p' }, events: [view(AB, 0, 0)] }]) });
    etag = (await fetch(`${first.url}/_emulator/results?organization=${org}`)).headers.get('etag');
  } finally {
    assert.equal(await first.stop(), 0);
  }
  const second = await startEmulator(['--goal', 'signup'], { space: spaceFile });
  try {
    // As many changes as before (one event), other data.
    await fetch(`${second.url}/v1/organizations/${org}/environments/main/events`, { method: 'POST', body: JSON.stringify([{ profile: { id: 'p' }, events: [view(AB, 1, 0)] }]) });
    const res = await fetch(`${second.url}/_emulator/results?organization=${org}`, { headers: { 'If-None-Match': etag } });
    assert.equal(res.status, 200, 'the other process\'s answer is not this one\'s');
    assert.deepEqual(pick(expOf(await res.json(), AB).variants, 'visitors'), [{ visitors: 0 }, { visitors: 1 }]);
  } finally {
    assert.equal(await second.stop(), 0);
  }
});

test('control routes: readable from any origin without credentials; changed only with JSON, from the emulator\'s pages, this machine or non-browsers', async () => {
  const org = newOrg();
  await insights(org, 'kept', [view(AB, 0, 0)]);
  const goalsNow = async () => (await call('GET', '/_emulator/goals')).json.goals;
  try {
    // A page elsewhere can send text/plain anywhere without asking first: it is refused.
    const plain = await call('POST', '/_emulator/goals', JSON.stringify({ goals: ['hijacked'] }), { 'Content-Type': 'text/plain;charset=UTF-8' });
    assert.equal(plain.status, 415);
    assert.match(plain.json.message, /^Content-Type: expected application\/json/);
    const none = await call('POST', '/_emulator/goals', JSON.stringify({ goals: ['hijacked'] }));
    assert.equal(none.status, 415, 'fetch\'s default for a string body is text/plain');
    const evil = { Origin: 'https://evil.example' };
    const foreign = await setGoals(['hijacked'], { ...JSON_TYPE, ...evil });
    assert.equal(foreign.status, 403);
    assert.match(foreign.json.message, /^Origin: "https:\/\/evil\.example" may not change the emulator/);
    assert.equal(foreign.headers.get('access-control-allow-credentials'), null);
    assert.deepEqual(await goalsNow(), ['signup'], 'nothing changed');
    for (const [method, path, body] of [
      ['POST', `/_emulator/reset?organization=${org}`, undefined], ['POST', '/_emulator/faults', { count: 1, status: 503 }],
      ['DELETE', '/_emulator/faults', undefined], ['POST', '/_emulator/clock', { advanceMs: 1 }],
    ]) {
      assert.equal((await call(method, path, body, { ...JSON_TYPE, ...evil })).status, 403, `${method} ${path}`);
      assert.equal((await call(method, path, body, { ...JSON_TYPE, Origin: 'null' })).status, 403, `${method} ${path} from an opaque origin`);
    }
    assert.equal(expOf(await results(org), AB).visitors, 1, 'the reset from elsewhere did nothing');
    assert.equal((await call('GET', '/_emulator/faults')).json.faults.length, 0);
    // Reading stays open to the site's pages (the preview panel), without credentials.
    const read = await call('GET', `/_emulator/results?organization=${org}`, undefined, evil);
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('access-control-allow-origin'), 'https://evil.example');
    assert.equal(read.headers.get('access-control-allow-credentials'), null);
    // The dashboard (same origin), a dev server or test page on this machine, and scripts may change it.
    assert.equal((await setGoals(['signup', 'same-origin'], { ...JSON_TYPE, Origin: emu.url })).status, 200);
    assert.equal((await setGoals(['signup', 'localhost'], { ...JSON_TYPE, Origin: 'http://localhost:8000' })).status, 200);
    assert.equal((await setGoals(['signup', 'loopback'], { 'Content-Type': 'application/json; charset=utf-8', Origin: 'http://127.0.0.1:5173' })).status, 200);
    assert.deepEqual(await goalsNow(), ['signup', 'loopback']);
  } finally {
    await setGoals(['signup']);
  }
});

test('resent Experience events stay with the profile they were applied to, on update, create and batch', async () => {
  const org = newOrg();
  const signup = track('signup', 5000);
  const landing = page(0);
  const made = await create(org, [landing, signup]);
  const a = made.json.data.profile.id;
  await insights(org, a, [view(AB, 1, 1000)]);

  // All resent under an id the emulator never saw: the answer is the profile they made, not a new one.
  const resent = await update(org, 'unknown-b', [landing, signup]);
  assert.equal(resent.status, 200);
  assert.equal(resent.json.data.profile.id, a);
  // Partly resent under another unknown id: the new event joins them.
  const partly = await update(org, 'unknown-c', [signup, track('newsletter', 6000)]);
  assert.equal(partly.json.data.profile.id, a);
  const profiles = (await call('GET', `/_emulator/profiles?organization=${org}`)).json.profiles.map((p) => p.id);
  assert.deepEqual(profiles, [a], 'no profile made for unknown-b or unknown-c');

  // A create resent with one more event: the same profile, the new event applied once.
  const firstEvents = [page(0), track('purchase', 100)];
  const first = await create(org, firstEvents);
  const more = await create(org, [...firstEvents, track('purchase', 200)]);
  assert.equal(more.json.data.profile.id, first.json.data.profile.id);

  // The batch route: a resend with a new event answers both profiles; a resend under another
  // anonymousId answers the profile the event went to.
  const batchPath = `/v2/organizations/${org}/environments/main/events`;
  const b1 = { ...track('batch-goal', 100), anonymousId: 'batch-x' };
  const b2 = { ...track('batch-goal', 200), anonymousId: 'batch-y' };
  assert.deepEqual((await call('POST', batchPath, { events: [b1] })).json.data.profiles.map((p) => p.id), ['batch-x']);
  assert.deepEqual((await call('POST', batchPath, { events: [b1, b2] })).json.data.profiles.map((p) => p.id), ['batch-x', 'batch-y']);
  const moved = await call('POST', batchPath, { events: [{ ...b1, anonymousId: 'batch-z' }] });
  assert.deepEqual(moved.json.data.profiles.map((p) => p.id), ['batch-x']);

  const r = await results(org);
  assert.deepEqual(r.availableGoals, [
    { name: 'batch-goal', events: 2 }, { name: 'purchase', events: 2 }, { name: 'newsletter', events: 1 }, { name: 'signup', events: 1 },
  ]);
  assert.equal(r.totals.profiles, 4, 'a, the purchase visitor, batch-x and batch-y');
  assert.deepEqual(pick(goalOf(r, AB).variants, 'visitors', 'conversions'), [{ visitors: 0, conversions: 0 }, { visitors: 1, conversions: 1 }]);
  const g = goalOf(await results(org, '&goal=newsletter'), AB, 'newsletter');
  assert.deepEqual(pick(g.variants, 'conversions'), [{ conversions: 0 }, { conversions: 1 }], 'the new event counts for the visitor who saw the entry');
});

test('audiences that can never match are listed with code, id and why, as text', async () => {
  const r = await results(newOrg());
  const never = r.unevaluableAudiences.filter((u) => u.audienceId === 'audResultsNever');
  assert.equal(never.length, 1);
  assert.equal(never[0].code, 'E105', 'the code as OptimizationError and CliError carry it; the dashboard shows ctfl-opt/E105');
  assert.match(never[0].why, /empty/);
  assert.equal(never[0].audienceName, `Never ${HOSTILE}`);
  assert.deepEqual(expOf(r, NEVER).audience.unevaluable.map((u) => u.code), [never[0].code]);
  const html = (await call('GET', '/_emulator/')).text;
  const section = html.slice(html.indexOf('id="audiences"'));
  assert.match(section, /<li><code>ctfl-opt\/E105<\/code> <strong>Never &lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;quoted&quot;<\/strong> <code class="muted">audResultsNever<\/code>: nt_rules.any is empty/);
});

test('/_emulator/results validates its query with stable codes, answers 304 while nothing changed, and allows other origins', async () => {
  const org = newOrg();
  const bad = async (query, pattern) => {
    const res = await call('GET', `/_emulator/results?${query}`);
    assert.equal(res.status, 400, query);
    assert.equal(res.json.error.code, 'ERR_INVALID_DATA');
    assert.match(res.json.message, pattern);
  };
  await bad('organisation=x', /^query: unknown parameter "organisation"; use organization, environment, goal$/);
  await bad('organization=%3Cx%3E', /^organization: expected 1–64 characters/);
  await bad('organization=a&organization=b', /^organization: given 2 times/);
  await bad('environment=a%20b', /^environment: /);
  await bad('goal=', /^goal\[0\]: expected 1–256 characters$/);
  await bad(`goal=${'x'.repeat(257)}`, /^goal\[0\]/);
  await bad(Array.from({ length: 21 }, (_, i) => `goal=g${i}`).join('&'), /^goal: at most 20 goals/);
  const post = await call('POST', '/_emulator/results');
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, OPTIONS');

  const first = await call('GET', `/_emulator/results?organization=${org}`, undefined, { Origin: 'https://site.example' });
  assert.equal(first.headers.get('access-control-allow-origin'), 'https://site.example');
  assert.equal(first.headers.get('access-control-allow-credentials'), null, 'readable, never with credentials');
  const etag = first.headers.get('etag');
  assert.match(etag, /^"[\w-]+"$/);
  const same = await fetch(`${emu.url}/_emulator/results?organization=${org}`, { headers: { 'If-None-Match': etag } });
  assert.equal(same.status, 304);
  await insights(org, 'etag-visitor', [view(AB, 0)]);
  // no-cache: the answer as the store is now (a poll may otherwise get the last one for up to a second).
  const changed = await call('GET', `/_emulator/results?organization=${org}`, undefined, { 'If-None-Match': etag, 'Cache-Control': 'no-cache' });
  assert.equal(changed.status, 200, 'a new event changes the answer');
  assert.notEqual(changed.headers.get('etag'), etag);
  assert.equal(expOf(changed.json, AB).visitors, 1);
  const preflight = await call('OPTIONS', '/_emulator/results', undefined, { Origin: 'https://site.example', 'Access-Control-Request-Method': 'GET' });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://site.example');
  assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
});

test('the dashboard shows the figures as escaped text; script and styles are same-origin files under a strict CSP', async () => {
  const org = newOrg();
  await insights(org, 'dash-visitor', [view(AB, 1, 0)]);
  await update(org, 'dash-visitor', [track(HOSTILE, 1000)]);
  assert.deepEqual((await setGoals(['signup', HOSTILE])).json, { goals: ['signup', HOSTILE] });
  try {
    const res = await call('GET', `/_emulator/?organization=${org}`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /(^|; )default-src 'none'(;|$)/);
    assert.match(csp, /(^|; )script-src 'self'(;|$)/);
    assert.match(csp, /(^|; )style-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe/);
    // The script builds nodes and text only: Trusted Types with no policy refuse any HTML or script sink.
    assert.match(csp, /(^|; )require-trusted-types-for 'script'(;|$)/);
    assert.match(csp, /(^|; )trusted-types 'none'(;|$)/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = res.text;
    assert.deepEqual(html.match(/<script[^>]*>[^<]*<\/script>/g), ['<script src="/_emulator/dashboard.js" defer></script>'], 'one script, from a file');
    // Attribute values hold escaped text only (no raw quote), so with them blanked what is left is markup.
    const markup = html.replace(/"[^"]*"/g, '""');
    assert.doesNotMatch(markup, /<style|<[^>]*\sstyle=|<[^>]*\son[a-z]+=/i, 'no inline styles or handlers');
    assert.doesNotMatch(html, /<img/i);
    assert.match(html, /<h2 id="exp-\d+-title">&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;quoted&quot;<\/h2>/);
    assert.match(html, /<input type="checkbox" id="goal-1" name="goal" value="&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;quoted&quot;" checked="">/);
    assert.match(html, /<h3>Goal <q>&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;quoted&quot;<\/q><\/h3>/);
    const card = html.split('<section class="card"').find((s) => s.includes(`data-experience-id="${AB}"`));
    assert.match(card, /<tr data-variant="1"><th scope="row">Variant 1<\/th><td data-label="Visitors" class="visitors">1<\/td><td data-label="Views" class="views">1<\/td>/);
    assert.match(card, /<td data-label="Conversions" class="conversions">1 of 1<\/td>/);
    assert.match(card, /<svg class="chart"[^>]* role="img" aria-labelledby="[^"]+"/);

    const js = await call('GET', '/_emulator/dashboard.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /^text\/javascript/);
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
    assert.match(js.text, /\/_emulator\/results/);
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'Function(']) assert.ok(!js.text.includes(sink), sink);
    const css = await call('GET', '/_emulator/dashboard.css');
    assert.match(css.headers.get('content-type'), /^text\/css/);
    assert.match(css.text, /@media/);
  } finally {
    await setGoals(['signup']);
  }
});

test('goals: --goal at start, replaced with POST /_emulator/goals, validated', async () => {
  assert.deepEqual((await call('GET', '/_emulator/goals')).json, { goals: ['signup'] });
  try {
    assert.deepEqual((await setGoals(['purchase', 'signup', 'purchase'])).json, { goals: ['purchase', 'signup'] });
    assert.deepEqual((await results(newOrg())).goals, ['purchase', 'signup']);
    for (const [body, pattern] of /** @type {Array<[body: unknown, pattern: RegExp]>} */ ([
      [{ goals: 'signup' }, /^goals: expected array/],
      [{ goals: [''] }, /^goals\[0\]: /],
      [{ goals: [], extra: true }, /extra/],
      [{ goals: Array.from({ length: 21 }, (_, i) => `g${i}`) }, /^goals: /],
      ['{"goals": [', /^body: malformed JSON/],
    ])) {
      const res = await call('POST', '/_emulator/goals', body, JSON_TYPE);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.json.error.code, 'ERR_INVALID_DATA');
      assert.match(res.json.message, pattern);
    }
    assert.deepEqual((await call('GET', '/_emulator/goals')).json, { goals: ['purchase', 'signup'] }, 'a refused change changes nothing');
    assert.equal((await call('DELETE', '/_emulator/goals')).status, 405);
  } finally {
    await setGoals(['signup']);
  }
  assert.deepEqual(parseServeFlags(['--goal', 'a', '--goal=b', '--goal', 'a']).goals, ['a', 'b']);
  assert.throws(() => parseServeFlags(['--goal']), (/** @type {Error & { code: string }} */ e) => e.code === 'E101' && e.message === composed('E101', '--goal needs a value'));
  assert.throws(() => parseServeFlags(['--goal=']), (/** @type {Error & { code: string }} */ e) => e.code === 'E101' && e.message === composed('E101', '--goal takes a track event name of 1 to 256 characters'));
});

test('--data: conversions and the memory of applied messageIds survive restarts and compaction', async () => {
  const data = join(dir, 'data');
  const org = 'persisted';
  const signup = track('signup', 5000);
  let e = await startEmulator(['--data', data, '--goal', 'signup'], { space: spaceFile });
  const get = async (base) => (await (await fetch(`${base}/_emulator/results?organization=${org}`)).json());
  const post = (base, path, body) => fetch(base + path, { method: 'POST', body: JSON.stringify(body) });
  try {
    await post(e.url, `/v1/organizations/${org}/environments/main/events`, [{ profile: { id: 'kept' }, events: [view(AB, 1, 0)] }]);
    await post(e.url, `/v2/organizations/${org}/environments/main/profiles/kept`, { events: [signup] });
  } finally {
    assert.equal(await e.stop(), 0);
  }
  for (let restart = 0; restart < 2; restart++) { // the second start reads the snapshot the first one compacted into
    e = await startEmulator(['--data', data, '--goal', 'signup'], { space: spaceFile });
    try {
      await post(e.url, `/v2/organizations/${org}/environments/main/profiles/kept`, { events: [signup] }); // resent after the restart
      const r = await get(e.url);
      assert.deepEqual(pick(goalOf(r, AB).variants, 'visitors', 'conversions'), [{ visitors: 0, conversions: 0 }, { visitors: 1, conversions: 1 }], `restart ${restart}`);
      assert.deepEqual(r.availableGoals, [{ name: 'signup', events: 1 }], `the resend is still recognized (restart ${restart})`);
    } finally {
      assert.equal(await e.stop(), 0);
    }
  }
});

test('past the event logs\' caps a visitor keeps its first exposure and conversion, resends still count once, and the dashboard says what was dropped', { timeout: 240_000 }, async () => {
  // The caps the README documents (store.ts exports them).
  const MAX_INSIGHTS_PER_NAMESPACE = 50_000;
  const MAX_EXPERIENCE_PER_NAMESPACE = 100_000;
  const data = join(dir, 'capped');
  const org = 'capped';
  const base = (e) => `${e.url}/v1/organizations/${org}/environments/main/events`;
  const post = (url, body) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then(async (res) => { assert.equal(res.status, 200, await res.text()); });
  const firstView = view(AB, 1, 0);
  const firstHover = component('component_hover', AB, 1, 500, { hoverId: 'early-hover' });
  const signup = track('signup', 1000);
  const extraInsights = 2_000;
  const extraExperience = 1_000;
  let e = await startEmulator(['--data', data, '--goal', 'signup'], { space: spaceFile });
  try {
    await post(base(e), [{ profile: { id: 'early-visitor' }, events: [firstView, firstHover] }]);
    await post(`${e.url}/v2/organizations/${org}/environments/main/profiles/early-visitor`, { events: [signup] });
    // Others' events push those out of the logs: Insights views of another experience…
    const flood = MAX_INSIGHTS_PER_NAMESPACE + extraInsights;
    for (let k = 0; k < flood; k += 2000) {
      await post(base(e), [0, 1].map((half) => ({
        profile: { id: `flood-${k}-${half}` },
        events: Array.from({ length: 1000 }, (_, i) => view('expFlood', 0, k + half * 1000 + i)),
      })));
    }
    // …and Experience events (200 per request, the route's limit).
    const requests = Math.ceil((MAX_EXPERIENCE_PER_NAMESPACE + extraExperience) / 200);
    for (let k = 0; k < requests; k += 10) {
      await Promise.all(Array.from({ length: Math.min(10, requests - k) }, (_, j) =>
        post(`${e.url}/v2/organizations/${org}/environments/main/profiles/flood-${k + j}`, { events: Array.from({ length: 200 }, (_, i) => track('flood', i)) })));
    }
  } finally {
    assert.equal(await e.stop(), 0);
  }
  // Twice: the first start replays the data log, the second reads the snapshot the first compacted.
  for (let restart = 0; restart < 2; restart++) {
    e = await startEmulator(['--data', data, '--goal', 'signup'], { space: spaceFile });
    try {
      const get = async () => (await fetch(`${e.url}/_emulator/results?organization=${org}`, { headers: { 'Cache-Control': 'no-cache' } })).json();
      const before = await get();
      assert.equal(expOf(before, AB).visitors, 1, `restart ${restart}: the visitor whose first view left the log is still exposed`);
      // Resent after they left the logs: remembered, not counted again.
      await post(base(e), [{ profile: { id: 'early-visitor' }, events: [firstView, firstHover] }]);
      await post(`${e.url}/v2/organizations/${org}/environments/main/profiles/early-visitor`, { events: [signup] });
      const r = await get();
      assert.deepEqual(r.experiences, before.experiences, `restart ${restart}: the resends change nothing`);
      assert.deepEqual(r.availableGoals, before.availableGoals);
      assert.equal(r.totals.insightsEvents, MAX_INSIGHTS_PER_NAMESPACE, 'the log holds the newest');
      const ab = expOf(r, AB);
      assert.deepEqual(pick(ab.variants, 'visitors', 'views', 'hovers'), [{ visitors: 0, views: 0, hovers: 0 }, { visitors: 1, views: 1, hovers: 1 }], `restart ${restart}: the first exposure is kept`);
      assert.deepEqual(pick(goalOf(r, AB).variants, 'conversions'), [{ conversions: 0 }, { conversions: 1 }], `restart ${restart}: and its conversion`);
      assert.deepEqual(r.availableGoals.find((g) => g.name === 'signup'), { name: 'signup', events: 1 });
      assert.deepEqual(r.totals.dropped, { insightsEvents: 2 + extraInsights, experienceEvents: 1 + extraExperience, forgottenMessageIds: 0, unsummarizedEvents: 0 }, `restart ${restart}`);
      const flooded = expOf(r, 'expFlood');
      assert.equal(flooded.visitors, 2 * Math.ceil((MAX_INSIGHTS_PER_NAMESPACE + extraInsights) / 2000), 'visitors whose views left the log still count');
      assert.equal(flooded.variants[0].views, MAX_INSIGHTS_PER_NAMESPACE + extraInsights);
      const html = await (await fetch(`${e.url}/_emulator/?organization=${org}`)).text();
      assert.match(html, /<dt>Dropped by the caps<\/dt><dd id="dropped">2,002 Insights events and 1,001 Experience events left the event logs \(their figures are kept\)\.<\/dd>/);
    } finally {
      assert.equal(await e.stop(), 0);
    }
  }
  const store = await importTsAll('src/emulator/store.ts');
  assert.deepEqual([store.MAX_INSIGHTS_PER_NAMESPACE, store.MAX_EXPERIENCE_PER_NAMESPACE], [MAX_INSIGHTS_PER_NAMESPACE, MAX_EXPERIENCE_PER_NAMESPACE]);
});
