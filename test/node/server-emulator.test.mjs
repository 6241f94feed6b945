// The server entry against a real emulator process: the hybrid flow's server half, asserted on the
// requests the emulator received, and many concurrent request clients that never see each other's
// profile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../helpers/emulator.mjs';
import {
  ContentfulOptimization, anonymousIdCookie, readAnonymousId, renderOptimizedEntry, serializeOptimizationData,
} from '@ctfl/optimization-elements/server'; // the package's own ./server export: dist/server.mjs, typed by dist/types/server

let emulator;
before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator?.stop(); });

const sdkFor = (clientId, extra = {}) => new ContentfulOptimization({
  clientId, api: { experienceBaseUrl: emulator.url, insightsBaseUrl: emulator.url }, logLevel: 'error', ...extra,
});
const requests = async (org) => (await (await fetch(`${emulator.url}/_emulator/requests?organization=${org}`)).json()).requests;
const events = async (org) => (await (await fetch(`${emulator.url}/_emulator/events?organization=${org}`)).json()).events;
const page = (path) => ({ page: { url: `https://shop.test${path}` } });

test('a first request without a cookie creates a profile; the cookie written from it continues that profile next time', async () => {
  const sdk = sdkFor('srv-flow');
  const first = sdk.forRequest({ consent: true, eventContext: page('/pricing') });
  const { data } = await first.page();
  assert.ok(first.canPersistProfile);
  const setCookie = anonymousIdCookie(data.profile.id);
  // The browser sends the cookie back; the next request reads it and continues the same profile.
  const id = readAnonymousId(setCookie.split(';')[0]);
  assert.equal(id, data.profile.id);
  const next = sdkFor('srv-flow').forRequest({ consent: true, profile: { id }, eventContext: page('/') });
  const again = await next.page();
  assert.equal(again.data.profile.id, id);
  // The pricing visit put the profile in the audience; the hero renders its variant from this data.
  assert.ok(again.data.profile.audiences.includes('audPricingVisitors0001'));
  const html = renderOptimizedEntry({ entryId: 'heroBaseline0000000001', baseline: '<h1>B</h1>', variants: { heroVariant00000000001: '<h1>V</h1>' }, data: again.data });
  assert.match(html, /^<ctfl-optimized-entry entry-id="heroBaseline0000000001" data-ctfl-entry-id="heroVariant00000000001"[^>]*><h1>V<\/h1>/);
  assert.deepEqual((await requests('srv-flow')).map((r) => r.path), [
    '/v2/organizations/srv-flow/environments/main/profiles',
    `/v2/organizations/srv-flow/environments/main/profiles/${id}`,
  ]);
});

test('before consent the page event is sent with isConsentGiven: false, gated events are not, and nothing may be persisted', async () => {
  const request = sdkFor('srv-preconsent').forRequest({ consent: undefined, eventContext: page('/') });
  const viewed = await request.page();
  assert.ok(viewed.data.profile.id);
  assert.equal(request.canPersistProfile, false);
  assert.deepEqual(await request.track({ event: 'signup' }), { accepted: false });
  assert.deepEqual(await request.trackClick({ componentId: 'heroBaseline0000000001' }), { accepted: false });
  const received = (await requests('srv-preconsent')).flatMap((r) => r.body.events ?? r.body);
  assert.deepEqual(received.map((e) => [e.type, e.channel, e.context.gdpr.isConsentGiven]), [['page', 'server', false]]);
});

test('identify then page on one request client continue one profile; Insights events land on it', async () => {
  const request = sdkFor('srv-identify').forRequest({ consent: true, eventContext: page('/') });
  const identified = await request.identify({ userId: 'ada@example.com', traits: { firstname: 'Ada', plan: 'pro', bio: '</script><!--' } });
  const viewed = await request.page();
  assert.equal(viewed.data.profile.id, identified.data.profile.id);
  assert.ok(viewed.data.profile.audiences.includes('audPricingVisitors0001'), 'plan=pro puts Ada in the audience');
  assert.equal((await request.trackClick({ componentId: 'heroVariant00000000001', experienceId: 'expHeroPricing00000001', variantIndex: 1 })).accepted, true);
  const paths = (await requests('srv-identify')).map((r) => r.path);
  assert.deepEqual(paths, [
    '/v2/organizations/srv-identify/environments/main/profiles',
    `/v2/organizations/srv-identify/environments/main/profiles/${identified.data.profile.id}`,
    '/v1/organizations/srv-identify/environments/main/events',
  ]);
  const [click] = await events('srv-identify');
  assert.equal(click.profileId ?? click.profile?.id, identified.data.profile.id);
  // The handoff of this response carries the hostile trait as data only.
  const handoff = serializeOptimizationData(viewed.data);
  assert.equal(handoff.indexOf('</script'), handoff.length - '</script>'.length);
});

test('many concurrent request clients never see each other\'s profile', async () => {
  const sdk = sdkFor('srv-concurrent'); // one instance, as in a real process
  const N = 40;
  const visitors = Array.from({ length: N }, (_, i) => ({ i, userId: `user-${i}@example.com` }));
  // Round 1: each visitor identifies and views a page, all at once, interleaved.
  const round1 = await Promise.all(visitors.map(async ({ i, userId }) => {
    const request = sdk.forRequest({ consent: true, eventContext: page(i % 2 ? '/pricing' : '/') });
    const identify = request.identify({ userId, traits: { n: i } });
    await new Promise((r) => setTimeout(r, (i * 7) % 13));
    const viewed = await request.page();
    await identify;
    return { request, viewed };
  }));
  const ids = round1.map(({ viewed }) => viewed.data.profile.id);
  assert.equal(new Set(ids).size, N, 'every visitor has a profile of their own');
  round1.forEach(({ request, viewed }, i) => {
    assert.equal(viewed.data.profile.traits.n, i, `visitor ${i} sees their own traits`);
    assert.equal(request.profile.id, ids[i]);
  });
  // Round 2: each comes back with their cookie, again all at once, and continues their own profile.
  const round2 = await Promise.all(visitors.map(async ({ i }) => {
    const id = readAnonymousId(`other=1; ${anonymousIdCookie(ids[i]).split(';')[0]}`);
    return sdk.forRequest({ consent: true, profile: { id }, eventContext: page('/') }).page();
  }));
  round2.forEach((viewed, i) => {
    assert.equal(viewed.data.profile.id, ids[i]);
    assert.equal(viewed.data.profile.traits.n, i);
  });
  const updates = (await requests('srv-concurrent')).filter((r) => /\/profiles\/[^/]+$/.test(r.path));
  for (const id of ids) assert.ok(updates.some((r) => r.path.endsWith(`/profiles/${id}`)), `updates for ${id}`);
  assert.equal(updates.length, 2 * N, 'each visitor: page after identify, then the return visit');
});
