// The emulator's Experience API v2 and Insights API v1 routes, against a real `ctfl-optimization
// serve` process with demo/space.json. Each test uses its own organization id, so tests never see
// each other's profiles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startEmulator } from '../helpers/emulator.mjs';

const HERO = 'expHeroPricing00000001';
const TEASER = 'expTeaserAbTest0000001';
const PROMO = 'expPromoHidden00000001';
const PRICING = 'audPricingVisitors0001';
const RETURNING = 'audReturning0000000001';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let emu;
before(async () => { emu = await startEmulator(); });
after(async () => { assert.equal(await emu.stop(), 0); assert.doesNotMatch(emu.output(), /unexpected error/); });

let n = 0;
const newOrg = () => `api-${process.pid}-${++n}`;
const v2 = (org, env = 'main') => `/v2/organizations/${org}/environments/${env}`;

const ts = '2026-08-21T10:00:00.000Z';
const common = () => ({ channel: 'web', messageId: randomUUID(), originalTimestamp: ts, sentAt: ts, timestamp: ts });
function page(path, /** @type {{ query?: Record<string, string>, campaign?: Record<string, string> }} */ { query = {}, campaign } = {}) {
  const search = Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
  const url = `https://site.example${path}${search}`;
  const p = { path, query, referrer: '', search, url };
  return { ...common(), type: 'page', context: { page: p, ...(campaign ? { campaign } : {}) }, properties: { ...p, title: 'T' } };
}
const identify = (userId, traits) => ({ ...common(), type: 'identify', context: {}, ...(userId ? { userId } : {}), traits });
const view = (experienceId, variantIndex, componentId = 'x') =>
  ({ ...common(), type: 'component', context: {}, componentType: 'Entry', componentId, experienceId, variantIndex, viewId: randomUUID() });

async function call(method, path, body, { contentType = 'text/plain', headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (contentType) init.headers['content-type'] = contentType;
  }
  const res = await fetch(emu.url + path, init);
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text, headers: res.headers };
}
const post = (path, body, opts) => call('POST', path, body, opts);
const get = (path) => call('GET', path);
const experience = (data, id) => data.experiences.find((e) => e.experienceId === id);

test('create answers the envelope, a new profile and a state:store handle (text/plain body)', async () => {
  const org = newOrg();
  const res = await post(`${v2(org)}/profiles`, { events: [page('/')] });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const { data, message, error, handle } = res.json;
  assert.equal(message, 'ok');
  assert.equal(error, null);
  assert.match(data.profile.id, UUID);
  assert.equal(data.profile.stableId, data.profile.id);
  assert.ok(data.profile.random >= 0 && data.profile.random < 1);
  assert.deepEqual(data.profile.traits, {});
  assert.deepEqual(data.profile.location, {});
  assert.deepEqual(data.profile.audiences, []);
  assert.equal(data.profile.session.count, 1);
  assert.equal(data.profile.session.isReturningVisitor, false);
  assert.deepEqual(data.profile.session.landingPage, { path: '/', query: {}, referrer: '', search: '', url: 'https://site.example/' });
  assert.ok(Array.isArray(data.changes));
  assert.deepEqual(handle, [{
    type: 'state:store',
    payload: [
      { key: `kndctr_${org}_session`, value: data.profile.session.id, maxAge: 1800, attrs: { SameSite: 'Lax' } },
      { key: `kndctr_${org}_consent_check`, value: '1' },
    ],
  }]);
});

test('bodies parse by content: application/json and an odd content type work like text/plain', async () => {
  const org = newOrg();
  for (const contentType of ['application/json', 'application/x-www-form-urlencoded', null]) {
    const res = await post(`${v2(org)}/profiles`, { events: [identify(null, { via: String(contentType) })] }, { contentType });
    assert.equal(res.status, 200, contentType);
    assert.deepEqual(res.json.data.profile.traits, { via: String(contentType) });
  }
});

test('update changes the stored profile and read returns it; unknown ids 404 on read and are created on update', async () => {
  const org = newOrg();
  const created = (await post(`${v2(org)}/profiles`, { events: [identify(null, { firstname: 'Ada', plan: 'free' })] })).json.data.profile;
  const updated = await post(`${v2(org)}/profiles/${created.id}`, { events: [identify(null, { plan: 'pro' })] });
  assert.equal(updated.status, 200);
  assert.equal(updated.json.data.profile.id, created.id);
  assert.deepEqual(updated.json.data.profile.traits, { firstname: 'Ada', plan: 'pro' }, 'identify merges traits shallowly');
  const read = await get(`${v2(org)}/profiles/${created.id}`);
  assert.equal(read.status, 200);
  assert.deepEqual(read.json.data.profile, updated.json.data.profile);
  assert.equal(read.json.handle[0].payload[0].value, created.session.id);

  const missing = await get(`${v2(org)}/profiles/never-issued-1`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json, { message: 'profile "never-issued-1" not found', data: {}, error: { code: 'ERR_PROFILE_NOT_FOUND' } });

  const revived = await post(`${v2(org)}/profiles/wiped-visitor-42`, { events: [page('/')] });
  assert.equal(revived.status, 200);
  assert.equal(revived.json.data.profile.id, 'wiped-visitor-42');
  assert.equal(revived.json.data.profile.stableId, 'wiped-visitor-42');
  assert.equal((await get(`${v2(org)}/profiles/wiped-visitor-42`)).status, 200);

  const malformed = await post(`${v2(org)}/profiles/${encodeURIComponent('bad id!')}`, { events: [page('/')] });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.json.error.code, 'ERR_INVALID_DATA');
  assert.match(malformed.json.message, /^profileId: /);
});

test('preflight evaluates but stores nothing', async () => {
  const org = newOrg();
  const pre = await post(`${v2(org)}/profiles?type=preflight`, { events: [page('/pricing')] });
  assert.equal(pre.status, 200);
  assert.deepEqual(pre.json.data.profile.audiences, [PRICING], 'evaluated like a real request');
  assert.equal(experience(pre.json.data, HERO).variantIndex, 1);
  assert.equal((await get(`${v2(org)}/profiles/${pre.json.data.profile.id}`)).status, 404);

  const real = (await post(`${v2(org)}/profiles`, { events: [identify(null, { plan: 'free' })] })).json.data.profile;
  const preUpdate = await post(`${v2(org)}/profiles/${real.id}?type=preflight`, { events: [identify('u-pre', { plan: 'pro' }), view(TEASER, 1)] });
  assert.equal(preUpdate.json.data.profile.traits.plan, 'pro');
  const after = (await get(`${v2(org)}/profiles/${real.id}`)).json.data.profile;
  assert.deepEqual(after.traits, { plan: 'free' });
  assert.deepEqual(after.audiences, []);
  const preUnknown = await post(`${v2(org)}/profiles/not-stored-1?type=preflight`, { events: [page('/')] });
  assert.equal(preUnknown.status, 200);
  assert.equal((await get(`${v2(org)}/profiles/not-stored-1`)).status, 404);

  const { profiles } = (await get(`/_emulator/profiles?organization=${org}`)).json;
  assert.deepEqual(profiles.map((p) => p.id), [real.id]);
  assert.equal(profiles[0].userId, null, 'the preflight identify did not claim the userId');
  assert.deepEqual(profiles[0].stickyVariants, {}, 'the preflight view did not record a sticky variant');
});

test('page and identify rules put a profile into an audience and out again', async () => {
  const org = newOrg();
  const home = (await post(`${v2(org)}/profiles`, { events: [page('/')] })).json.data;
  assert.deepEqual(home.profile.audiences, []);
  assert.equal(experience(home, HERO), undefined, 'a non-matching experience contributes nothing');

  const pricing = (await post(`${v2(org)}/profiles`, { events: [page('/en/pricing')] })).json.data;
  assert.deepEqual(pricing.profile.audiences, [PRICING]);
  assert.deepEqual(experience(pricing, HERO), {
    experienceId: HERO, variantIndex: 1, variants: { heroBaseline0000000001: 'heroVariant00000000001' }, sticky: false,
  });

  const spring = (await post(`${v2(org)}/profiles`, { events: [page('/', { query: { utm_campaign: 'spring' }, campaign: { name: 'spring' } })] })).json.data;
  assert.deepEqual(spring.profile.audiences, [PRICING], 'utm_campaign condition');
  const autumn = (await post(`${v2(org)}/profiles`, { events: [page('/', { query: { utm_campaign: 'autumn' } })] })).json.data;
  assert.deepEqual(autumn.profile.audiences, []);

  const pro = (await post(`${v2(org)}/profiles`, { events: [identify(null, { plan: 'pro' })] })).json.data;
  assert.deepEqual(pro.profile.audiences, [PRICING], 'identify rule');
  const downgraded = (await post(`${v2(org)}/profiles/${pro.profile.id}`, { events: [identify(null, { plan: 'free' })] })).json.data;
  assert.deepEqual(downgraded.profile.audiences, [], 'audiences are re-evaluated: the profile left the audience');
  assert.equal(experience(downgraded, HERO), undefined);
});

test('a new session after 30 idle minutes makes a returning visitor, who sees the hidden promo variant ""', async () => {
  const org = newOrg();
  const first = (await post(`${v2(org)}/profiles`, { events: [page('/')] })).json.data;
  assert.equal(experience(first, PROMO), undefined);
  const id = first.profile.id;

  await post('/_emulator/clock', { advanceMs: 10 * 60 * 1000 }, { contentType: 'application/json' });
  const sameSession = (await post(`${v2(org)}/profiles/${id}`, { events: [page('/a')] })).json.data.profile.session;
  assert.equal(sameSession.id, first.profile.session.id);
  assert.equal(sameSession.count, 1);
  assert.equal(sameSession.activeSessionLength, 600);

  await post('/_emulator/clock', { advanceMs: 31 * 60 * 1000 }, { contentType: 'application/json' });
  const second = (await post(`${v2(org)}/profiles/${id}`, { events: [page('/b')] })).json.data;
  assert.notEqual(second.profile.session.id, first.profile.session.id);
  assert.equal(second.profile.session.count, 2);
  assert.equal(second.profile.session.isReturningVisitor, true);
  assert.equal(second.profile.session.landingPage.path, '/b');
  assert.equal(second.profile.session.averageSessionLength, 300, '(600 s + 0 s) / 2 sessions');
  assert.deepEqual(second.profile.audiences, [RETURNING]);
  assert.deepEqual(experience(second, PROMO), { experienceId: PROMO, variantIndex: 1, variants: { promoBanner00000000001: '' }, sticky: false });
});

test('a meta.state session entry continues that session; a new profile adopts it', async () => {
  const org = newOrg();
  const key = `kndctr_${org}_session`;
  const first = (await post(`${v2(org)}/profiles`, { events: [page('/')] })).json;
  const sessionId = first.handle[0].payload[0].value;
  await post('/_emulator/clock', { advanceMs: 45 * 60 * 1000 }, { contentType: 'application/json' });
  const continued = await post(`${v2(org)}/profiles/${first.data.profile.id}`, {
    events: [page('/next')], meta: { state: { entries: [{ key, value: sessionId }, { key: `kndctr_${org}_consent_check`, value: '1' }] } },
  });
  assert.equal(continued.json.data.profile.session.id, sessionId);
  assert.equal(continued.json.data.profile.session.count, 1);
  assert.equal(continued.json.handle[0].payload[0].value, sessionId);

  await post('/_emulator/clock', { advanceMs: 45 * 60 * 1000 }, { contentType: 'application/json' });
  const expired = (await post(`${v2(org)}/profiles/${first.data.profile.id}`, { events: [page('/later')] })).json.data.profile.session;
  assert.notEqual(expired.id, sessionId, 'without the entry, 45 idle minutes start a new session');
  assert.equal(expired.count, 2);

  const adopted = (await post(`${v2(org)}/profiles`, { events: [page('/')], meta: { state: { entries: [{ key, value: 'kept-session-1' }] } } })).json;
  assert.equal(adopted.data.profile.session.id, 'kept-session-1');
  assert.equal(adopted.handle[0].payload[0].value, 'kept-session-1');
});

test('an identify with a known userId continues that profile on a new device', async () => {
  const org = newOrg();
  const laptop = (await post(`${v2(org)}/profiles`, { events: [identify('user-1', { firstname: 'Ada' })] })).json.data.profile;
  const phone = (await post(`${v2(org)}/profiles`, { events: [page('/'), identify(null, { device: 'phone' })] })).json.data.profile;
  assert.notEqual(phone.id, laptop.id);
  const merged = (await post(`${v2(org)}/profiles/${phone.id}`, { events: [identify('user-1', { lastname: 'Lovelace' })] })).json.data.profile;
  assert.equal(merged.id, laptop.id);
  assert.deepEqual(merged.traits, { device: 'phone', firstname: 'Ada', lastname: 'Lovelace' });
  const viaOldId = (await post(`${v2(org)}/profiles/${phone.id}`, { events: [page('/x')] })).json.data.profile;
  assert.equal(viaOldId.id, laptop.id, 'later updates under the phone id land on the known profile');
  assert.equal((await get(`${v2(org)}/profiles/${phone.id}`)).json.data.profile.id, laptop.id);
  const fresh = (await post(`${v2(org)}/profiles`, { events: [identify('user-1', {})] })).json.data.profile;
  assert.equal(fresh.id, laptop.id, 'a create that identifies a known user answers that user');
  const { profiles } = (await get(`/_emulator/profiles?organization=${org}`)).json;
  assert.deepEqual(profiles.map((p) => [p.id, p.mergedInto]).sort(), [[laptop.id, null], [phone.id, laptop.id]].sort());
});

test('the sticky experiment keeps the viewed variant and its hero-cta change', async () => {
  const org = newOrg();
  const data = (await post(`${v2(org)}/profiles`, { events: [page('/')] })).json.data;
  const teaser = experience(data, TEASER);
  assert.equal(teaser.sticky, true);
  assert.ok(teaser.variantIndex === 0 || teaser.variantIndex === 1);
  assert.deepEqual(teaser.variants, { teaserBaseline00000001: teaser.variantIndex ? 'teaserVariant000000001' : 'teaserBaseline00000001' });
  assert.deepEqual(data.changes, [{
    key: 'hero-cta', type: 'Variable', value: teaser.variantIndex ? 'Buy now' : 'Learn more',
    meta: { experienceId: TEASER, variantIndex: teaser.variantIndex },
  }]);
  // A view of the other variant (what the visitor really saw) becomes the sticky assignment.
  const seen = 1 - teaser.variantIndex;
  const after = (await post(`${v2(org)}/profiles/${data.profile.id}`, { events: [view(TEASER, seen)] })).json.data;
  assert.equal(experience(after, TEASER).variantIndex, seen);
  assert.equal(after.changes[0].value, seen ? 'Buy now' : 'Learn more');
  const again = (await post(`${v2(org)}/profiles/${data.profile.id}`, { events: [view(TEASER, teaser.variantIndex)] })).json.data;
  assert.equal(experience(again, TEASER).variantIndex, seen, 'the first view decides');
});

test('location only with features; X-Force-IP lookup; ?locale= localizes names', async () => {
  const org = newOrg();
  const plain = (await post(`${v2(org)}/profiles`, { events: [page('/')] })).json.data.profile;
  assert.deepEqual(plain.location, {});
  const located = (await post(`${v2(org)}/profiles`, { events: [page('/')], options: { features: ['location'] } })).json.data.profile;
  assert.equal(located.location.city, 'Berlin');
  assert.equal(located.location.countryCode, 'DE');
  const munich = await post(`${v2(org)}/profiles?locale=de-DE`, { events: [page('/')], options: { features: ['ip-enrichment'] } },
    { headers: { 'X-Force-IP': '203.0.113.7' } });
  assert.deepEqual(
    [munich.json.data.profile.location.city, munich.json.data.profile.location.country, munich.json.data.profile.location.region],
    ['München', 'Deutschland', 'Bayern']);
  const id = munich.json.data.profile.id;
  assert.equal((await get(`${v2(org)}/profiles/${id}`)).json.data.profile.location.city, 'Munich', 'stored unlocalized');
  assert.equal((await get(`${v2(org)}/profiles/${id}?locale=fr-FR`)).json.data.profile.location.country, 'Allemagne', 'language fallback');
  assert.equal((await get(`${v2(org)}/profiles/${id}?locale=ja-JP`)).json.data.profile.location.country, 'Germany', 'no table: unchanged');
});

test('batch upserts one profile per anonymousId and enforces its limits', async () => {
  const org = newOrg();
  const withId = (id, e) => ({ ...e, anonymousId: id });
  const res = await post(`${v2(org)}/events`, {
    events: [withId('srv-a', page('/pricing')), withId('srv-b', identify('srv-user', { plan: 'pro' })), withId('srv-a', identify(null, { x: 1 }))],
  }, { contentType: 'application/json' });
  assert.equal(res.status, 200);
  assert.equal(res.json.message, 'ok');
  assert.equal(res.json.error, null);
  assert.deepEqual(res.json.data.profiles.map((p) => [p.id, p.audiences, p.traits]),
    [['srv-a', [PRICING], { x: 1 }], ['srv-b', [PRICING], { plan: 'pro' }]]);
  assert.equal((await get(`${v2(org)}/profiles/srv-a`)).status, 200);

  const tooMany = await post(`${v2(org)}/events`, { events: Array.from({ length: 201 }, (_, i) => withId(`p${i % 10}`, page('/'))) });
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.json.message, 'events: expected at most 200 item(s)');
  const identifies = await post(`${v2(org)}/events`, { events: Array.from({ length: 51 }, (_, i) => withId(`p${i % 5}`, identify(null, {}))) });
  assert.equal(identifies.status, 400);
  assert.match(identifies.json.message, /^events: at most 50 identify events/);
  const profiles = await post(`${v2(org)}/events`, { events: Array.from({ length: 51 }, (_, i) => withId(`p${i}`, page('/'))) });
  assert.equal(profiles.status, 400);
  assert.match(profiles.json.message, /^events: at most 50 distinct profiles/);
  const missing = await post(`${v2(org)}/events`, { events: [page('/')] });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.message, 'events[0].anonymousId: expected string, received nothing');
  const before = (await get(`/_emulator/profiles?organization=${org}`)).json.profiles.length;
  assert.equal(before, 2, 'rejected batches stored nothing');
});

test('Insights batches are stored once per messageId, from JSON and from sendBeacon text/plain', async () => {
  const org = newOrg();
  const ev = { ...view(TEASER, 1, 'teaserVariant000000001'), viewDurationMs: 1000 };
  const batch = [{ profile: { id: 'insights-p1' }, events: [ev, { ...ev, type: 'component_click', messageId: randomUUID() }] }];
  const first = await post(`/v1/organizations/${org}/environments/main/events`, batch, { contentType: 'application/json' });
  assert.equal(first.status, 200);
  assert.deepEqual(first.json, { data: {}, message: 'ok', error: null });
  const beacon = await post(`/v1/organizations/${org}/environments/main/events`, JSON.stringify(batch), { contentType: 'text/plain;charset=UTF-8' });
  assert.equal(beacon.status, 200);
  const { events } = (await get(`/_emulator/events?organization=${org}`)).json;
  assert.equal(events.length, 2, 'the resend was de-duplicated by messageId');
  assert.deepEqual(Object.keys(events[0]).sort(), ['environment', 'event', 'organization', 'profileId', 'receivedAt']);
  assert.equal(events[0].organization, org);
  assert.equal(events[0].environment, 'main');
  assert.equal(events[0].profileId, 'insights-p1');
  assert.deepEqual(events[0].event, ev);
  assert.deepEqual(events.map((e) => e.event.type), ['component', 'component_click']);
  const other = (await get(`/_emulator/events?organization=${newOrg()}`)).json.events;
  assert.deepEqual(other, []);
});

test('CORS: any origin reflected with credentials; OPTIONS preflight 204', async () => {
  const org = newOrg();
  const pre = await fetch(`${emu.url}${v2(org)}/profiles`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-force-ip' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://shop.example');
  assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
  assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
  assert.match(pre.headers.get('access-control-allow-methods'), /GET/);
  assert.match(pre.headers.get('access-control-allow-headers'), /Content-Type/);
  assert.match(pre.headers.get('access-control-allow-headers'), /X-Force-IP/);
  assert.match(pre.headers.get('vary'), /Origin/);
  const res = await post(`${v2(org)}/profiles`, { events: [page('/')] }, { headers: { Origin: 'http://localhost:8080' } });
  assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:8080');
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  assert.match(res.headers.get('vary'), /Origin/);
  const control = await fetch(`${emu.url}/_emulator/events`, { headers: { Origin: 'http://localhost:8080' } });
  assert.equal(control.headers.get('access-control-allow-origin'), 'http://localhost:8080');
});

test('/_emulator/requests logs what reached the API, filtered by organization', async () => {
  const org = newOrg();
  await post(`${v2(org)}/profiles?locale=de-DE`, { events: [page('/')] });
  await post(`${v2(org)}/profiles`, '{"events": [', { contentType: 'text/plain' });
  await get(`${v2(org)}/profiles/nobody`);
  const { requests } = (await get(`/_emulator/requests?organization=${org}`)).json;
  assert.deepEqual(requests.map((r) => [r.method, r.path, r.status]), [
    ['POST', `${v2(org)}/profiles`, 200],
    ['POST', `${v2(org)}/profiles`, 400],
    ['GET', `${v2(org)}/profiles/nobody`, 404],
  ]);
  assert.deepEqual(requests[0].query, { locale: 'de-DE' });
  assert.equal(requests[0].contentType, 'text/plain');
  assert.equal(requests[0].body.events[0].properties.path, '/');
  assert.equal(requests[1].body, '{"events": [', 'unparseable bodies are kept raw');
  assert.equal(requests[2].body, null);
  assert.ok(!Number.isNaN(Date.parse(requests[0].receivedAt)));
  const all = (await get('/_emulator/requests')).json.requests;
  assert.ok(all.length > requests.length);
});

test('/_emulator/profiles lists profiles; /_emulator/reset clears one organization', async () => {
  const a = newOrg();
  const b = newOrg();
  const pa = (await post(`${v2(a)}/profiles`, { events: [identify('ua', { k: 1 })] })).json.data.profile;
  await post(`${v2(b)}/profiles`, { events: [page('/')] });
  await post(`/v1/organizations/${a}/environments/main/events`, [{ profile: { id: pa.id }, events: [view(TEASER, 0)] }]);
  const listed = (await get(`/_emulator/profiles?organization=${a}`)).json.profiles;
  assert.equal(listed.length, 1);
  assert.equal(listed[0].id, pa.id);
  assert.equal(listed[0].organization, a);
  assert.equal(listed[0].environment, 'main');
  assert.equal(listed[0].userId, 'ua');
  assert.deepEqual(listed[0].traits, { k: 1 });
  const reset = await post(`/_emulator/reset?organization=${a}`);
  assert.equal(reset.status, 200);
  assert.deepEqual((await get(`/_emulator/profiles?organization=${a}`)).json.profiles, []);
  assert.deepEqual((await get(`/_emulator/events?organization=${a}`)).json.events, []);
  assert.deepEqual((await get(`/_emulator/requests?organization=${a}`)).json.requests, []);
  assert.equal((await get(`${v2(a)}/profiles/${pa.id}`)).status, 404);
  assert.equal((await get(`/_emulator/profiles?organization=${b}`)).json.profiles.length, 1, 'other organizations keep their data');
});

test('faults: the next n matching requests get the scripted answer and are not processed', async () => {
  const org = newOrg();
  const other = newOrg();
  const setup = await post('/_emulator/faults', { organization: org, api: 'experience', count: 2, status: 200, body: '{"data":{"prof', headers: { 'X-Custom': 'yes' } }, { contentType: 'application/json' });
  assert.equal(setup.status, 200);
  assert.equal(setup.json.faults.length, 1);
  assert.equal(setup.json.faults[0].remaining, 2);

  const insights = await post(`/v1/organizations/${org}/environments/main/events`, [{ profile: { id: 'p' }, events: [view(TEASER, 0)] }]);
  assert.equal(insights.status, 200, 'api: "experience" leaves Insights alone');
  assert.equal((await post(`${v2(other)}/profiles`, { events: [page('/')] })).status, 200, 'other organizations unaffected');

  for (let i = 0; i < 2; i++) {
    const res = await post(`${v2(org)}/profiles`, { events: [page('/')] }, { headers: { Origin: 'http://localhost:8080' } });
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"data":{"prof');
    assert.equal(res.headers.get('x-custom'), 'yes');
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:8080');
    assert.match(res.headers.get('access-control-expose-headers'), /X-Custom/);
  }
  assert.deepEqual((await get(`/_emulator/profiles?organization=${org}`)).json.profiles, [], 'faulted requests were not processed');
  assert.equal((await post(`${v2(org)}/profiles`, { events: [page('/')] })).status, 200, 'the fault is used up');

  await post('/_emulator/faults', { organization: org, count: 1, status: 429, delayMs: 300 });
  const started = Date.now();
  const limited = await post(`${v2(org)}/profiles`, { events: [page('/')] });
  assert.ok(Date.now() - started >= 280, 'delayMs is applied');
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'ERR_PROFILE_OVERLOAD');

  await post('/_emulator/faults', { organization: org, count: 5, status: 503 });
  assert.equal((await get('/_emulator/faults')).json.faults.length, 1);
  const cleared = await call('DELETE', '/_emulator/faults');
  assert.deepEqual(cleared.json, { faults: [] });
  assert.equal((await post(`${v2(org)}/profiles`, { events: [page('/')] })).status, 200);

  const bad = await post('/_emulator/faults', { count: 0, status: 503 });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'count: expected at least 1');
  const badHeader = await post('/_emulator/faults', { status: 503, headers: { 'bad header': 'x' } });
  assert.equal(badHeader.status, 400);
});

test('the dashboard counts profiles; unknown control routes answer JSON 404', async () => {
  const res = await fetch(`${emu.url}/_emulator/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.headers.get('content-security-policy'), /^default-src 'none'; script-src 'self';/);
  const html = await res.text();
  assert.match(html, /Product teaser A\/B test/);
  assert.match(html, /<script src="\/_emulator\/dashboard\.js" defer><\/script>/);
  const missing = await get('/_emulator/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'ERR_NOT_FOUND');
});
