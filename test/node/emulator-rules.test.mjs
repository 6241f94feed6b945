// Audience rules, sticky assignments and the dashboard, with a test space: demo/space.json plus
// audiences (in the personalization app's rule format) for every rule type, count operator, page
// field and the wildcard, rules the emulator cannot evaluate, and a hostile experience name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, demoSpace } from '../helpers/emulator.mjs';
import { parseMessage } from '../helpers/messages.mjs';

const HOSTILE = `<script>alert("x")</script> & 'quoted'`;
const link = (id) => ({ sys: { type: 'Link', linkType: 'Entry', id } });
const entry = (id, type, fields) => ({
  sys: { id, type: 'Entry', contentType: { sys: { type: 'Link', linkType: 'ContentType', id: type } } },
  fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { 'en-US': v }])),
});
const audience = (id, rules) => entry(id, 'nt_audience', { nt_name: id, nt_audience_id: id, nt_rules: { any: rules } });
const experience = (id, { name = id, audience: aud = null, sticky = false, distribution = [0, 1], traffic = 1 } = {}) =>
  entry(id, 'nt_experience', {
    nt_name: name, nt_type: 'nt_personalization', nt_audience: aud ? link(aud) : null,
    nt_config: { traffic, distribution, sticky, components: [{ baseline: { id: `${id}-base` }, variants: [{ id: `${id}-var` }] }] },
  });

// Rules in the shape Contentful's personalization app stores them (wire-format.md, nt_audience).
const pageKey = (id, value = '') => ({ id, key: id, value, label: id, useOnce: false, category: { name: id, type: 'string', label: id } });
// `count` a string, as the app writes it, or a number: the emulator reads both.
const pageRule = (conditions, /** @type {{ operator?: string, count?: number | string }} */ { operator = 'greaterThanInclusive', count = '1' } = {}) =>
  ({ type: 'page', key: '', value: '', operator, count, conditions });
const cond = (id, operator, value, param) => ({ key: pageKey(id, param), operator, ...(value === undefined ? {} : { value }) });
/** @param {number | string} [count] a string, as the app writes it, or a number */
const trackRule = (event, operator = 'greaterThanInclusive', count = '1') => ({ type: 'track', key: '', value: event, operator, count });
const traitRule = (key, operator, value) => ({ type: 'identify', key, operator, ...(value === undefined ? {} : { value }), count: 1, conditions: [] });
const locationRule = (key, operator, value) => ({ type: 'location', key, operator, value, count: '1', conditions: [] });

const space = JSON.parse(readFileSync(demoSpace, 'utf8'));
space.entries.push(
  audience('audEngaged', [{ all: [trackRule('signup', 'greaterThanInclusive', 2)] }]),
  audience('audOneLogin', [{ all: [trackRule('login', 'equal', '1')] }]),
  audience('audGermany', [{ all: [locationRule('continent', 'equal', 'EU'), locationRule('countryCode', 'equal', 'DE')] }]),
  audience('audDocsTwice', [{ all: [pageRule([cond('context_page_path', 'regex', '^/docs/'), cond('context_page_query', 'equal', 'newsletter', 'ref')], { count: 2 })] }]),
  audience('audAdults', [{ all: [
    traitRule('age', 'greaterThan', 17), traitRule('email', 'endsWith', '@example.com'),
    traitRule('address.city', 'exists'), traitRule('nickname', 'notExists'),
  ] }]),
  audience('audNewVisitors', [{ all: [{ type: 'isReturningVisitor', key: '', operator: 'equal', value: false, count: '1', conditions: [] }] }]),
  audience('audAnyPage', [{ all: [pageRule([cond('context_page_url', 'equal', '*')])] }]),
  audience('audFewViews', [{ all: [pageRule([cond('context_page_url', 'equal', '*')], { operator: 'lessThan', count: '3' })] }]),
  audience('audTikTok', [
    { all: [pageRule([cond('context_page_referrer', 'equal', 'tiktok.com')])] },
    { all: [pageRule([cond('context_page_query', 'equal', 'tiktok', 'social')])] },
  ]),
  audience('audNewsletter', [{ all: [pageRule([cond('context_campaign_source', 'equal', 'newsletter'), cond('context_page_url', 'notContains', 'unsubscribe')])] }]),
  audience('audWeather', [{ all: [{ type: 'weather', key: 'sky', operator: 'equal', value: 'blue', count: '1' }] }, { all: [] }]),
  audience('audMalformed', [
    { all: [pageRule('not-an-array')] },
    { all: [traitRule('plan', 'sortOf', 'pro')] },
    { all: [pageRule([cond('context_page_hash', 'equal', 'x')])] },
    { all: [trackRule('signup', 'atLeast')] },
    { all: [{ ...trackRule('signup'), count: 'one' }] },
    { all: [{ ...traitRule('plan', 'equal', 'pro'), conditions: [{ key: 'seats', operator: 'greaterThan', value: 10 }] }] },
  ]),
  audience('audOldDialect', [
    { all: [{ type: 'page', conditions: [{ key: 'context_page_path', operator: 'contains', value: '/pricing' }], count: 1 }] },
    { all: [{ type: 'track', event: 'signup' }] },
  ]),
  audience('audPro', [{ all: [traitRule('plan', 'equal', 'pro')] }]),
  experience('expStickyPro', { audience: 'audPro', sticky: true }),
  experience('expPlainPro', { audience: 'audPro' }),
  experience('expNoTraffic', { traffic: 0 }),
  experience('expHostile', { name: HOSTILE, distribution: [0.5, 0.5] }),
);
const dir = mkdtempSync(join(tmpdir(), 'ctfl-emu-rules-'));
const spaceFile = join(dir, 'space.json');
writeFileSync(spaceFile, JSON.stringify(space));

let emu;
before(async () => { emu = await startEmulator([], { space: spaceFile }); });
after(async () => {
  assert.equal(await emu.stop(), 0);
  rmSync(dir, { recursive: true, force: true });
  assert.doesNotMatch(emu.output(), /unexpected error/);
});

let n = 0;
const newOrg = () => `rules-${process.pid}-${++n}`;
const ts = '2026-08-21T10:00:00.000Z';
const common = () => ({ channel: 'web', messageId: randomUUID(), originalTimestamp: ts, sentAt: ts, timestamp: ts, context: {} });
const page = (path, query = {}, /** @type {{ referrer?: string, campaign?: Record<string, string> }} */ { referrer = '', campaign } = {}) => {
  const search = Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
  const event = { ...common(), type: 'page', properties: { path, query, referrer, search, title: '', url: `https://x.example${path}${search}` } };
  if (campaign) event.context = { campaign };
  return event;
};
const track = (event) => ({ ...common(), type: 'track', event, properties: {} });
const identify = (traits) => ({ ...common(), type: 'identify', traits });
const view = (experienceId, variantIndex) => ({ ...common(), type: 'component', componentType: 'Entry', componentId: 'c', experienceId, variantIndex });

async function send(org, id, events, options) {
  const path = `/v2/organizations/${org}/environments/main/profiles${id ? `/${id}` : ''}`;
  const res = await fetch(emu.url + path, { method: 'POST', body: JSON.stringify({ events, ...(options ? { options } : {}) }) });
  assert.equal(res.status, 200);
  return (await res.json()).data;
}
const ids = (data) => data.experiences.map((e) => e.experienceId);
const inAudience = (data, id) => data.profile.audiences.includes(id);

test('rules the emulator cannot evaluate are reported once at start with ctfl-opt/E105, the audience and why', () => {
  const out = emu.output();
  const reports = out.split('\n').filter((line) => line.includes('ctfl-opt/E105'));
  const expected = [
    /audience audWeather \("audWeather", entries\[\d+\]\): nt_rules\.any\[0\]\.all\[0\]: rule type "weather" is not one the personalization app writes \(page, track, identify, location, isReturningVisitor\); the rule never matches$/,
    /audience audWeather .*: nt_rules\.any\[1\]\.all is empty; that group never matches$/,
    /audience audMalformed .*: nt_rules\.any\[0\]\.all\[0\]: conditions "not-an-array" is not an array; the rule never matches$/,
    /audience audMalformed .*: nt_rules\.any\[1\]\.all\[0\]: operator "sortOf" is unknown \(use one of equal, notEqual, contains/,
    /audience audMalformed .*: nt_rules\.any\[2\]\.all\[0\]: conditions\[0\]\.key\.id "context_page_hash" is not a page field the emulator knows \(context_page_url, /,
    /audience audMalformed .*: nt_rules\.any\[3\]\.all\[0\]: operator "atLeast" cannot compare an event count with count \(use one of equal, notEqual, greaterThan, greaterThanInclusive, lessThan, lessThanInclusive\)/,
    /audience audMalformed .*: nt_rules\.any\[4\]\.all\[0\]: count "one" is not a whole number/,
    /audience audMalformed .*: nt_rules\.any\[5\]\.all\[0\]: conditions are not read for identify rules; the app stores the trait in "key"/,
    /audience audOldDialect .*: nt_rules\.any\[0\]\.all\[0\]: conditions\[0\]\.key is the string "context_page_path"; the app stores an object such as \{"id": "context_page_path", "value": ""\}/,
    /audience audOldDialect .*: nt_rules\.any\[1\]\.all\[0\]: the event name is in "event"; the app stores it in "value"/,
  ];
  assert.ok(reports.every((line) => line.startsWith('warning: ctfl-opt/E105: ')), reports.join('\n'));
  // What the space loader wrote (the audience, the rule's place, why), between the table's E105 text.
  const details = reports.map((line) => parseMessage(line.slice('warning: '.length)).detail);
  assert.ok(details.every((d) => d.startsWith('audience ')), details.join('\n'));
  for (const re of expected) assert.equal(details.filter((d) => re.test(d)).length, 1, `one report matching ${re}\n${out}`);
  assert.equal(reports.length, expected.length, `no other reports:\n${reports.join('\n')}`);
});

test('track rule: the rule operator compares how many events of that name the profile sent with count', async () => {
  const org = newOrg();
  const first = await send(org, null, [track('signup'), track('login')]);
  assert.ok(!inAudience(first, 'audEngaged'), 'one signup, the rule wants at least 2');
  assert.ok(inAudience(first, 'audOneLogin'), 'exactly one login');
  const second = await send(org, first.profile.id, [track('signup'), track('login')]);
  assert.ok(inAudience(second, 'audEngaged'));
  assert.ok(!inAudience(second, 'audOneLogin'), 'equal 1: a second login leaves the audience');
  const third = await send(org, first.profile.id, [page('/')]);
  assert.ok(inAudience(third, 'audEngaged'), 'counters persist across requests');
});

test('page rule with count 2, regex and a query parameter condition counts matching page views only', async () => {
  const org = newOrg();
  const a = await send(org, null, [page('/docs/intro', { ref: 'newsletter' }), page('/docs/api'), page('/blog/docs/', { ref: 'newsletter' })]);
  assert.ok(!inAudience(a, 'audDocsTwice'), 'one qualifying view so far');
  const b = await send(org, a.profile.id, [page('/docs/faq', { ref: 'newsletter' })]);
  assert.ok(inAudience(b, 'audDocsTwice'));
});

test('"*" on the URL is any page view; lessThan 3 holds until the third page view', async () => {
  const org = newOrg();
  const none = await send(org, null, [identify({ plan: 'free' })]);
  assert.ok(!inAudience(none, 'audAnyPage'));
  assert.ok(inAudience(none, 'audFewViews'), 'zero page views is fewer than 3');
  const one = await send(org, none.profile.id, [page('/')]);
  assert.ok(inAudience(one, 'audAnyPage'));
  assert.ok(inAudience(one, 'audFewViews'));
  const three = await send(org, none.profile.id, [page('/a'), page('/b', { q: '1' })]);
  assert.ok(inAudience(three, 'audAnyPage'));
  assert.ok(!inAudience(three, 'audFewViews'), 'three page views are not fewer than 3');
});

test('referrer equal compares the referrer host; a query parameter is read by the name in key.value', async () => {
  const org = newOrg();
  const other = await send(org, null, [page('/', {}, { referrer: 'https://www.tiktok.com.evil.example/' }), page('/', { social: 'tik' }), page('/', { tiktok: 'social' })]);
  assert.ok(!inAudience(other, 'audTikTok'));
  const viaReferrer = await send(org, null, [page('/', {}, { referrer: 'https://www.tiktok.com/@easyhr' })]);
  assert.ok(inAudience(viaReferrer, 'audTikTok'));
  const viaQuery = await send(org, null, [page('/landing', { social: 'tiktok' })]);
  assert.ok(inAudience(viaQuery, 'audTikTok'));
});

test('campaign conditions read context.campaign, else the utm_ query parameter; notContains on the URL', async () => {
  const org = newOrg();
  const viaContext = await send(org, null, [page('/', {}, { campaign: { source: 'newsletter' } })]);
  assert.ok(inAudience(viaContext, 'audNewsletter'));
  const viaQuery = await send(org, null, [page('/', { utm_source: 'newsletter' })]);
  assert.ok(inAudience(viaQuery, 'audNewsletter'));
  const unsubscribed = await send(org, null, [page('/unsubscribe', { utm_source: 'newsletter' })]);
  assert.ok(!inAudience(unsubscribed, 'audNewsletter'), 'both conditions must hold on the same page view');
  const other = await send(org, null, [page('/', { utm_source: 'ads' })]);
  assert.ok(!inAudience(other, 'audNewsletter'));
});

test('location rules compare the resolved location, only when location is requested', async () => {
  const org = newOrg();
  const without = await send(org, null, [page('/')]);
  assert.ok(!inAudience(without, 'audGermany'));
  const withLocation = await send(org, without.profile.id, [page('/')], { features: ['location'] });
  assert.ok(inAudience(withLocation, 'audGermany'), "the space's default location is Berlin");
  const forced = async (ip) => {
    const res = await fetch(`${emu.url}/v2/organizations/${org}/environments/main/profiles`, {
      method: 'POST', headers: { 'X-Force-IP': ip },
      body: JSON.stringify({ events: [page('/')], options: { features: ['location'] } }),
    });
    return (await res.json()).data.profile;
  };
  const us = await forced('198.51.100.23');
  assert.equal(us.location.countryCode, 'US');
  assert.ok(!us.audiences.includes('audGermany'));
  const tokyo = await forced('192.0.2.10');
  assert.deepEqual([tokyo.location.city, tokyo.location.continent], ['Tokyo', 'AS'], 'a built-in documentation address');
  assert.ok(!tokyo.audiences.includes('audGermany'));
});

test('identify rules: numbers, suffixes, nested trait paths, exists/notExists; all rules of a group must hold', async () => {
  const org = newOrg();
  const p = await send(org, null, [identify({ age: 30, email: 'ada@example.com' })]);
  assert.ok(!inAudience(p, 'audAdults'), 'address.city does not exist yet');
  const q = await send(org, p.profile.id, [identify({ address: { city: 'London' } })]);
  assert.ok(inAudience(q, 'audAdults'));
  const r = await send(org, p.profile.id, [identify({ nickname: 'ada' })]);
  assert.ok(!inAudience(r, 'audAdults'), 'notExists fails now');
  const minor = await send(org, null, [identify({ age: 12, email: 'kid@example.com', address: { city: 'x' } })]);
  assert.ok(!inAudience(minor, 'audAdults'));
  const asText = await send(org, null, [identify({ age: '18', email: 'teen@example.com', address: { city: 'x' } })]);
  assert.ok(inAudience(asText, 'audAdults'), 'a numeric string compares as a number');
});

test('isReturningVisitor value false; rules that cannot be evaluated never match and never break a request', async () => {
  const org = newOrg();
  const p = await send(org, null, [identify({ plan: 'pro', sky: 'blue' }), page('/pricing'), track('signup'), track('signup')]);
  assert.ok(inAudience(p, 'audNewVisitors'));
  assert.ok(inAudience(p, 'audPro'));
  for (const id of ['audWeather', 'audMalformed', 'audOldDialect']) assert.ok(!inAudience(p, id), id);
  assert.ok(!ids(p).includes('expNoTraffic'), 'traffic 0 never matches');
});

test('a viewed sticky experience keeps its variant after the profile leaves the audience', async () => {
  const org = newOrg();
  const pro = await send(org, null, [identify({ plan: 'pro' })]);
  assert.ok(ids(pro).includes('expStickyPro'));
  assert.ok(ids(pro).includes('expPlainPro'));
  const sticky = pro.experiences.find((e) => e.experienceId === 'expStickyPro');
  assert.deepEqual(sticky, { experienceId: 'expStickyPro', variantIndex: 1, variants: { 'expStickyPro-base': 'expStickyPro-var' }, sticky: true });

  // Without a view, leaving the audience loses the experience.
  const other = await send(org, null, [identify({ plan: 'pro' })]);
  const otherFree = await send(org, other.profile.id, [identify({ plan: 'free' })]);
  assert.ok(!ids(otherFree).includes('expStickyPro'));

  await send(org, pro.profile.id, [view('expStickyPro', 1)]);
  const free = await send(org, pro.profile.id, [identify({ plan: 'free' })]);
  assert.ok(!free.profile.audiences.includes('audPro'));
  assert.ok(!ids(free).includes('expPlainPro'), 'the non-sticky experience went away');
  assert.deepEqual(free.experiences.find((e) => e.experienceId === 'expStickyPro'), sticky, 'the sticky one stayed');
});

test('the dashboard counts distinct views per variant and escapes every name', async () => {
  const org = newOrg();
  const viewEvent = (variantIndex, viewId, extra = {}) => ({
    ...common(), type: 'component', componentType: 'Entry', componentId: 'expHostile-base', experienceId: 'expHostile', variantIndex,
    ...(viewId ? { viewId } : {}), ...extra,
  });
  const batch = [{ profile: { id: 'dash-1' }, events: [
    viewEvent(0, 'view-a'), viewEvent(0, 'view-a', { viewDurationMs: 4000 }), viewEvent(0, 'view-b'), viewEvent(1, null),
    { ...viewEvent(1, 'view-c'), type: 'component_click' }, { ...viewEvent(1, 'view-d'), componentType: 'Variable' },
  ] }];
  const res = await fetch(`${emu.url}/v1/organizations/${org}/environments/main/events`, { method: 'POST', body: JSON.stringify(batch) });
  assert.equal(res.status, 200);
  await send(org, null, [page('/')]);
  await send(org, null, [page('/')]);

  const dash = await fetch(`${emu.url}/_emulator/?organization=${org}`);
  const csp = dash.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const html = await dash.text();
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)/i, 'no inline script');
  assert.doesNotMatch(html, /alert\("x"\)/);
  assert.match(html, /id="profile-count">2</);
  const card = html.split('<section class="card"').find((s) => s.includes('&lt;script&gt;'));
  assert.ok(card, 'the hostile experience has a card');
  assert.match(card, /<h2 id="[^"]+">&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;quoted&#39;<\/h2>/);
  // Distinct views per variant (view-a twice is one view); the one visitor counts in its first view's variant.
  assert.match(card, /<th scope="row">Baseline<\/th><td [^>]*class="visitors">1<\/td><td [^>]*class="views">2<\/td>/);
  assert.match(card, /<th scope="row">Variant 1<\/th><td [^>]*class="visitors">0<\/td><td [^>]*class="views">1<\/td>/);

  const hostileOrg = await (await fetch(`${emu.url}/_emulator/?organization=${encodeURIComponent('<img src=x onerror=alert(1)>')}`)).text();
  assert.doesNotMatch(hostileOrg, /<img/);
  assert.match(hostileOrg, /organization &lt;img src=x onerror=alert\(1\)&gt;/);
});
