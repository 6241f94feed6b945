// Audience rules, sticky assignments and the dashboard, with a test space: demo/space.json plus
// audiences and experiences for every rule type, an unknown rule type and a hostile experience name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, demoSpace } from '../helpers/emulator.mjs';

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

const space = JSON.parse(readFileSync(demoSpace, 'utf8'));
space.entries.push(
  audience('audEngaged', [{ all: [{ type: 'track', event: 'signup', count: 2 }] }]),
  audience('audGermany', [{ all: [{ type: 'location', conditions: [{ key: 'continent', operator: 'equal', value: 'EU' }, { key: 'countryCode', operator: 'equal', value: 'DE' }] }] }]),
  audience('audDocsTwice', [{ all: [{ type: 'page', count: 2, conditions: [
    { key: 'context_page_path', operator: 'regex', value: '^/docs/' }, { key: 'context_page_query.ref', operator: 'equal', value: 'newsletter' }] }] }]),
  audience('audAdults', [{ all: [
    { type: 'identify', conditions: [{ key: 'age', operator: 'greaterThan', value: 17 }, { key: 'email', operator: 'endsWith', value: '@example.com' }] },
    { type: 'identify', conditions: [{ key: 'address.city', operator: 'exists' }, { key: 'nickname', operator: 'notExists' }] },
  ] }]),
  audience('audNewVisitors', [{ all: [{ type: 'isReturningVisitor', value: false }] }]),
  audience('audWeather', [{ all: [{ type: 'weather', conditions: [{ key: 'sky', operator: 'equal', value: 'blue' }] }] }, { all: [] }]),
  audience('audMalformed', [{ all: [{ type: 'page', conditions: 'not-an-array' }] }, { all: [{ type: 'identify', conditions: [{ key: 'plan', operator: 'sortOf', value: 'pro' }] }] }]),
  audience('audPro', [{ all: [{ type: 'identify', conditions: [{ key: 'plan', operator: 'equal', value: 'pro' }] }] }]),
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
const page = (path, query = {}) => {
  const search = Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
  return { ...common(), type: 'page', properties: { path, query, referrer: '', search, title: '', url: `https://x.example${path}${search}` } };
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

test('the space loaded with warnings for the rules that can never match', () => {
  assert.match(emu.output(), /warning: audience audWeather: nt_rules\.any\[0\]\.all\[0\]: rule type "weather" is unknown or malformed; it never matches/);
  assert.match(emu.output(), /warning: audience audMalformed: nt_rules\.any\[0\]\.all\[0\]: rule type "page" is unknown or malformed/);
  assert.match(emu.output(), /warning: audience audMalformed: .*operator "sortOf" is unknown/);
});

test('track rule: at least `count` events of that name', async () => {
  const org = newOrg();
  const first = await send(org, null, [track('signup'), track('login')]);
  assert.ok(!first.profile.audiences.includes('audEngaged'));
  const second = await send(org, first.profile.id, [track('signup')]);
  assert.ok(second.profile.audiences.includes('audEngaged'));
  const third = await send(org, first.profile.id, [page('/')]);
  assert.ok(third.profile.audiences.includes('audEngaged'), 'counters persist across requests');
});

test('page rule with count, regex and a query condition counts matching page views only', async () => {
  const org = newOrg();
  const a = await send(org, null, [page('/docs/intro', { ref: 'newsletter' }), page('/docs/api'), page('/blog/docs/', { ref: 'newsletter' })]);
  assert.ok(!a.profile.audiences.includes('audDocsTwice'), 'one qualifying view so far');
  const b = await send(org, a.profile.id, [page('/docs/faq', { ref: 'newsletter' })]);
  assert.ok(b.profile.audiences.includes('audDocsTwice'));
});

test('location rule matches the resolved location, only when location is requested', async () => {
  const org = newOrg();
  const without = await send(org, null, [page('/')]);
  assert.ok(!without.profile.audiences.includes('audGermany'));
  const withLocation = await send(org, without.profile.id, [page('/')], { features: ['location'] });
  assert.ok(withLocation.profile.audiences.includes('audGermany'));
  const res = await fetch(`${emu.url}/v2/organizations/${org}/environments/main/profiles`, {
    method: 'POST', headers: { 'X-Force-IP': '198.51.100.23' },
    body: JSON.stringify({ events: [page('/')], options: { features: ['location'] } }),
  });
  const us = (await res.json()).data.profile;
  assert.equal(us.location.countryCode, 'US');
  assert.ok(!us.audiences.includes('audGermany'));
});

test('identify rules: numbers, suffixes, nested trait paths, exists/notExists; all rules of a group must hold', async () => {
  const org = newOrg();
  const p = await send(org, null, [identify({ age: 30, email: 'ada@example.com' })]);
  assert.ok(!p.profile.audiences.includes('audAdults'), 'the second rule of the group does not hold yet');
  const q = await send(org, p.profile.id, [identify({ address: { city: 'London' } })]);
  assert.ok(q.profile.audiences.includes('audAdults'));
  const r = await send(org, p.profile.id, [identify({ nickname: 'ada' })]);
  assert.ok(!r.profile.audiences.includes('audAdults'), 'notExists fails now');
  const minor = await send(org, null, [identify({ age: 12, email: 'kid@example.com', address: { city: 'x' } })]);
  assert.ok(!minor.profile.audiences.includes('audAdults'));
});

test('isReturningVisitor value:false; unknown and malformed rules never match and never break a request', async () => {
  const org = newOrg();
  const p = await send(org, null, [identify({ plan: 'pro', sky: 'blue' }), page('/')]);
  assert.ok(p.profile.audiences.includes('audNewVisitors'));
  assert.ok(!p.profile.audiences.includes('audWeather'));
  assert.ok(!p.profile.audiences.includes('audMalformed'));
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
  assert.equal(dash.headers.get('content-security-policy'), "default-src 'none'; style-src 'unsafe-inline'");
  const html = await dash.text();
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /alert\("x"\)/);
  assert.match(html, /id="profile-count">2</);
  const card = html.split('<section class="card">').find((s) => s.includes('&lt;script&gt;'));
  assert.ok(card, 'the hostile experience has a card');
  assert.match(card, /<h2>&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;quoted&#39;<\/h2>/);
  assert.match(card, /3 exposure\(s\)/);
  assert.match(card, /<text x="0" y="17">Baseline<\/text><rect [^>]*><\/rect><text [^>]*class="n">2<\/text>/);
  assert.match(card, /<text x="0" y="17">Variant 1<\/text><rect [^>]*><\/rect><text [^>]*class="n">1<\/text>/);

  const hostileOrg = await (await fetch(`${emu.url}/_emulator/?organization=${encodeURIComponent('<img src=x onerror=alert(1)>')}`)).text();
  assert.doesNotMatch(hostileOrg, /<img/);
  assert.match(hostileOrg, /organization &lt;img src=x onerror=alert\(1\)&gt;/);
});
