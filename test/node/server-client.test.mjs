// The request-bound server client with a recording fetch: configuration errors, the consent gate,
// what each event carries, how the bound profile follows responses, Insights-only calls, preflight
// and API failures. (test/node/server-emulator.test.mjs runs the same client against the emulator.)
import { test, describe, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ContentfulOptimization } from '@ctfl/optimization-elements/server'; // the package's own ./server export: dist/server.mjs, typed by dist/types/server
import { parseMessage } from '../helpers/messages.mjs';
/** @typedef {import('@ctfl/optimization-elements/server').OptimizationError} OptimizationError */
/** @typedef {import('@ctfl/optimization-elements/server').Profile} Profile */

const BASE = 'https://experience.test/';
const INSIGHTS = 'https://insights.test/';

const wireProfile = (id, traits = {}) => ({
  id, stableId: id, random: 0.25, audiences: [], traits, location: {},
  session: { id: 's', isReturningVisitor: false, count: 1, landingPage: { path: '/', query: {}, referrer: '', search: '', url: 'https://x.test/' }, activeSessionLength: 0, averageSessionLength: 0 },
});

/**
 * A fetch that records every request and answers like the APIs: Experience requests get a profile
 * (`answer(request)` decides which), Insights requests `{}`.
 * @param {(call: any, n: number) => { id: string, traits?: object, experiences?: object[], changes?: object[] } | Response | Error} [answer]
 */
function recordingFetch(answer = (r, n) => ({ id: r.profileId ?? `new-${n}` })) {
  const calls = [];
  const fetch = async (url, init) => {
    const u = new URL(url);
    const body = init.body ? JSON.parse(init.body) : undefined;
    const profileId = /\/profiles\/([^/?]+)$/.exec(u.pathname)?.[1];
    const call = { url: u, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: init.headers ?? {}, body, profileId };
    calls.push(call);
    if (u.origin + '/' === INSIGHTS) return new Response('{}', { status: 200 });
    const a = answer(call, calls.length);
    if (a instanceof Response) return a;
    if (a instanceof Error) throw a;
    const experiences = a.experiences ?? [];
    return new Response(JSON.stringify({ data: { profile: wireProfile(a.id, a.traits), experiences, changes: a.changes ?? [] }, message: 'ok', error: null }), { status: 200 });
  };
  return { fetch, calls };
}

const make = (extra = {}, fetchImpl = recordingFetch()) => ({
  ...fetchImpl,
  sdk: new ContentfulOptimization({ clientId: 'org-1', environment: 'main', api: { experienceBaseUrl: BASE, insightsBaseUrl: INSIGHTS }, fetch: fetchImpl.fetch, ...extra }),
});

let warn;
beforeEach(() => { warn = mock.method(console, 'warn', () => {}); });
afterEach(() => mock.restoreAll());
const warnings = () => warn.mock.calls.map((c) => String(c.arguments[0]));

describe('configuration', () => {
  const ok = { clientId: 'org-1' };
  const code = (config, c, field) => assert.throws(() => new ContentfulOptimization(config), (/** @type {OptimizationError} */ e) => {
    assert.equal(e.name, 'OptimizationError');
    assert.equal(e.code, c, e.message);
    // The field is named in the detail, the part this call wrote (the table's text around it names fields too).
    const { code: printed, detail } = parseMessage(e.message);
    assert.equal(printed, c);
    if (field) assert.match(detail, field);
    return true;
  });

  test('each invalid field fails with its own code and names the field', () => {
    code(undefined, 'E050', /^got undefined$/);
    code([], 'E050', /^got an array$/);
    code({ ...ok, allowedEventType: ['page'] }, 'E050', /"allowedEventType" \(did you mean "allowedEventTypes"\?\)/);
    code({ ...ok, defualts: {} }, 'E050', /"defualts"; /);
    code({}, 'E051', /clientId/);
    code({ clientId: 'a b' }, 'E051', /clientId/);
    code({ clientId: 42 }, 'E051', /clientId/);
    code({ ...ok, environment: 'x/y' }, 'E052', /environment/);
    code({ ...ok, api: { experienceBaseUrl: 'ftp://x' } }, 'E053', /api\.experienceBaseUrl/);
    code({ ...ok, api: { insightsBaseUrl: 'not a url' } }, 'E053', /api\.insightsBaseUrl/);
    code({ ...ok, api: { timeoutMs: 0 } }, 'E053', /api\.timeoutMs/);
    code({ ...ok, api: { preflight: true } }, 'E053', /api/);
    code({ ...ok, api: { experienceBaseURL: 'http://x/' } }, 'E053', /"api\.experienceBaseURL" \(did you mean "api\.experienceBaseUrl"\?\)/);
    code({ ...ok, allowedEventTypes: 'page' }, 'E054', /allowedEventTypes/);
    code({ ...ok, allowedEventTypes: ['pages'] }, 'E054', /"pages" \(did you mean "page"\?\)/);
    code({ ...ok, fetch: 'fetch' }, 'E055', /fetch/);
    code({ ...ok, logLevel: 'loud' }, 'E055', /logLevel/);
    code({ ...ok, app: { name: 'x' } }, 'E055', /app/);
  });

  test('defaults: environment main, the Node allow-list identify and page, the hosted API URLs', () => {
    const { config } = new ContentfulOptimization(ok);
    assert.equal(config.environment, 'main');
    assert.deepEqual([...config.allowedEventTypes], ['identify', 'page']);
    assert.equal(config.experienceBaseUrl, 'https://experience.ninetailed.co/');
    assert.equal(config.insightsBaseUrl, 'https://ingest.insights.ninetailed.co/');
    assert.deepEqual([...new ContentfulOptimization({ ...ok, allowedEventTypes: [] }).config.allowedEventTypes], []);
  });

  test('forRequest options of the wrong type fail with E056 naming the option', () => {
    const { sdk } = make();
    for (const [options, field] of /** @type {Array<[options: unknown, field: RegExp]>} */ ([
      [{ consent: 'yes' }, /consent/], [{ consent: { events: 'true' } }, /consent\.events/], [{ locale: 'en US' }, /locale/],
      [{ preflight: 1 }, /preflight/], [{ eventContext: { page: { url: 5 } } }, /eventContext\.page/],
      [{ eventContext: { page: 'https://x.test/' } }, /eventContext\.page/], [{ eventContext: { userAgent: 5 } }, /userAgent/],
      [{ profile: 'abc' }, /profile/], [null, /options/],
    ])) {
      assert.throws(() => sdk.forRequest(/** @type {never} */ (options)), (/** @type {OptimizationError} */ e) => e.code === 'E056' && field.test(parseMessage(e.message).detail), JSON.stringify(options));
    }
  });

  test('a profile id that is not a valid id (from a hostile cookie) is ignored with E057, not thrown', async () => {
    const { sdk, calls } = make();
    const request = sdk.forRequest({ consent: true, profile: { id: 'x; Path=/\r\n<script>' } });
    assert.equal(request.profile, undefined);
    assert.ok(warnings().some((w) => w.startsWith('ctfl-opt/E057')), warnings().join('\n'));
    await request.page();
    assert.equal(calls[0].path, '/v2/organizations/org-1/environments/main/profiles');
  });
});

describe('the consent gate', () => {
  test('before consent only identify and page leave, marked isConsentGiven: false; nothing is persisted', async () => {
    const { sdk, calls } = make();
    for (const consent of [undefined, false, { events: false, persistence: false }]) {
      calls.length = 0;
      const request = sdk.forRequest({ consent, profile: { id: 'p1' } });
      assert.equal(request.canPersistProfile, false);
      assert.equal((await request.identify({ userId: 'u', traits: { a: 1 } })).accepted, true);
      assert.equal((await request.page()).accepted, true);
      for (const call of [
        request.track({ event: 'signup' }), request.screen({ name: 'Home' }),
        request.trackView({ componentId: 'e1' }), request.trackClick({ componentId: 'e1' }),
        request.trackHover({ componentId: 'e1' }), request.trackFlagView({ componentId: 'flag' }),
      ]) assert.deepEqual(await call, { accepted: false });
      assert.deepEqual(calls.map((c) => c.body.events[0].type), ['identify', 'page']);
      assert.deepEqual(calls.map((c) => c.body.events[0].context.gdpr.isConsentGiven), [false, false]);
    }
  });

  test('allowedEventTypes: [] is strict opt-in; a custom list lets exactly those through', async () => {
    const strict = make({ allowedEventTypes: [] });
    assert.deepEqual(await strict.sdk.forRequest({ profile: { id: 'p1' } }).page(), { accepted: false });
    assert.equal(strict.calls.length, 0);
    const custom = make({ allowedEventTypes: ['track', 'component_click'] });
    const request = custom.sdk.forRequest({ consent: false, profile: { id: 'p1' } });
    assert.deepEqual(await request.page(), { accepted: false });
    assert.equal((await request.track({ event: 'signup' })).accepted, true);
    assert.equal((await request.trackClick({ componentId: 'e1' })).accepted, true);
    assert.deepEqual(custom.calls.map((c) => c.body.events?.[0].type ?? c.body[0].events[0].type), ['track', 'component_click']);
  });

  test('with consent every method emits, isConsentGiven is true, and canPersistProfile follows persistence consent', async () => {
    const { sdk, calls } = make();
    const request = sdk.forRequest({ consent: true, profile: { id: 'p1' } });
    assert.equal(request.canPersistProfile, true);
    await request.track({ event: 'signup', properties: { plan: 'pro' } });
    await request.screen({ name: 'Checkout' });
    await request.trackClick({ componentId: 'e1', experienceId: 'x', variantIndex: 1 });
    assert.deepEqual(calls.map((c) => c.body.events?.[0].type ?? c.body[0].events[0].type), ['track', 'screen', 'component_click']);
    assert.ok(calls.every((c) => (c.body.events?.[0] ?? c.body[0].events[0]).context.gdpr.isConsentGiven === true));
    assert.equal(sdk.forRequest({ consent: { events: true, persistence: false } }).canPersistProfile, false);
    assert.equal(sdk.forRequest({ consent: { events: true } }).canPersistProfile, false);
    assert.equal(sdk.forRequest({ consent: { persistence: true } }).canPersistProfile, true);
  });
});

describe('what a server event carries', () => {
  test('channel server, page context from the request URL, campaign, user agent, locales and X-Force-IP', async () => {
    const { sdk, calls } = make({ app: { name: 'shop', version: '2.0.0' } });
    const request = sdk.forRequest({
      consent: true, locale: 'de-DE',
      eventContext: {
        page: { url: 'https://shop.test/pricing?utm_campaign=spring&utm_source=news&x=1', referrer: 'https://ref.test/', title: 'Pricing' },
        userAgent: `Mozilla/5.0 ${'x'.repeat(2000)}`, ip: '203.0.113.7',
      },
    });
    await request.page({ properties: { extra: true } });
    const [call] = calls;
    const event = call.body.events[0];
    assert.equal(event.channel, 'server');
    assert.equal(call.query.locale, 'de-DE');
    assert.equal(call.headers['X-Force-IP'], '203.0.113.7');
    assert.equal(event.context.locale, 'de-DE');
    assert.equal(event.context.library.name, '@ctfl/optimization-elements');
    assert.deepEqual(event.context.app, { name: 'shop', version: '2.0.0' });
    assert.deepEqual(event.context.campaign, { name: 'spring', source: 'news' });
    assert.equal(event.context.userAgent.length, 512);
    assert.deepEqual(event.context.page, { path: '/pricing', query: { utm_campaign: 'spring', utm_source: 'news', x: '1' }, referrer: 'https://ref.test/', search: '?utm_campaign=spring&utm_source=news&x=1', url: 'https://shop.test/pricing?utm_campaign=spring&utm_source=news&x=1' });
    assert.equal(event.properties.title, 'Pricing');
    assert.equal(event.properties.extra, true);
  });

  test('an explicit campaign and event locale win; an invalid IP or page URL from request headers is dropped, not sent or thrown', async () => {
    const { sdk, calls } = make();
    await sdk.forRequest({ consent: true, locale: 'en-US', eventContext: { locale: 'fr-FR', campaign: { name: 'x', medium: 'email' }, ip: '1.2.3.4\r\nX-Evil: 1', page: { url: 'https://s.test/?utm_campaign=spring' } } }).page();
    const event = calls[0].body.events[0];
    assert.equal(event.context.locale, 'fr-FR');
    // A page URL built from a malformed Host header is dropped, not thrown: the page still renders.
    await sdk.forRequest({ consent: true, eventContext: { page: { url: 'https://a b/x' } } }).page();
    assert.equal(calls[1].body.events[0].context.page, undefined);
    assert.equal(calls[1].body.events[0].properties.path, '/');
    assert.deepEqual(event.context.campaign, { name: 'x', medium: 'email' });
    assert.equal(calls[0].headers['X-Force-IP'], undefined);
  });
});

describe('the bound profile', () => {
  test('follows each accepted response: identify, then page on the profile identify returned (even a merged one)', async () => {
    // The API moves an identified visitor onto the profile that already owns the user id.
    const { sdk, calls } = make({}, recordingFetch((r, n) => (r.body.events[0].type === 'identify' ? { id: 'owner-of-u1', traits: { plan: 'pro' } } : { id: r.profileId ?? `new-${n}` })));
    const request = sdk.forRequest({ consent: true, profile: { id: 'anon-1' } });
    assert.deepEqual(request.profile, { id: 'anon-1' });
    const identified = await request.identify({ userId: 'u1', traits: { plan: 'pro' } });
    const viewed = await request.page();
    assert.deepEqual(calls.map((c) => c.profileId), ['anon-1', 'owner-of-u1']);
    assert.equal(identified.data.profile.id, 'owner-of-u1');
    assert.equal(viewed.data.profile.id, 'owner-of-u1');
    assert.equal(request.profile, viewed.data.profile, 'the profile getter is the latest response');
  });

  test('calls made without awaiting each other still run in order on one profile', async () => {
    const { sdk, calls } = make();
    const request = sdk.forRequest({ consent: true });
    const [a, b, c] = await Promise.all([request.identify({ userId: 'u' }), request.page(), request.track({ event: 'x' })]);
    assert.deepEqual(calls.map((call) => call.profileId), [undefined, 'new-1', 'new-1']);
    assert.deepEqual([a, b, c].map((r) => r.data.profile.id), ['new-1', 'new-1', 'new-1']);
  });

  test('nothing is kept between requests: a second request from the same instance starts empty', async () => {
    const { sdk, calls } = make();
    const first = sdk.forRequest({ consent: true });
    await first.page();
    const second = sdk.forRequest({ consent: true });
    assert.equal(second.profile, undefined);
    await second.page();
    assert.deepEqual(calls.map((c) => c.profileId), [undefined, undefined]);
    assert.notEqual(first.profile.id, second.profile.id);
  });

  test('preflight evaluates without adopting a new id, and never allows persisting', async () => {
    const { sdk, calls } = make();
    const fresh = sdk.forRequest({ consent: true, preflight: true });
    assert.equal(fresh.canPersistProfile, false);
    const result = await fresh.page();
    assert.equal(result.data.profile.id, 'new-1');
    assert.equal(fresh.profile, undefined);
    await fresh.page();
    assert.deepEqual(calls.map((c) => [c.profileId, c.query.type]), [[undefined, 'preflight'], [undefined, 'preflight']]);
    const bound = sdk.forRequest({ consent: true, preflight: true, profile: { id: 'p9' } });
    await bound.page();
    assert.equal(bound.profile.id, 'p9');
    assert.equal(/** @type {Profile} */ (bound.profile).stableId, 'p9', 'the evaluated data of the bound profile is kept');
  });

  test('a failed Experience call is not accepted, carries the API code, warns E020 and keeps the bound profile', async () => {
    const envelope = new Response(JSON.stringify({ message: 'bad', data: {}, error: { code: 'ERR_INVALID_DATA' } }), { status: 400 });
    const refused = make({}, recordingFetch(() => envelope));
    const request = refused.sdk.forRequest({ consent: true, profile: { id: 'p1' } });
    const result = await request.page();
    assert.equal(result.accepted, false, 'the server keeps no queue: a refused event is lost, and the caller is told');
    assert.equal(result.data, undefined);
    assert.equal(result.error.code, 'ERR_INVALID_DATA');
    assert.deepEqual(request.profile, { id: 'p1' });
    assert.deepEqual(warnings().filter((w) => w.startsWith('ctfl-opt/E020')).map((w) => parseMessage(w).detail), ['a page event (ERR_INVALID_DATA): bad']);
    const down = make({}, recordingFetch(() => new TypeError('connect ECONNREFUSED')));
    const unreachable = await down.sdk.forRequest({ consent: true }).page();
    assert.deepEqual([unreachable.accepted, unreachable.error.reason], [false, 'network']);
  });
});

describe('views and interactions', () => {
  test('Insights-only calls without a profile are not sent, resolve accepted: false and warn E058', async () => {
    const { sdk, calls } = make();
    const request = sdk.forRequest({ consent: true });
    for (const call of [request.trackView({ componentId: 'e1' }), request.trackClick({ componentId: 'e1' }), request.trackHover({ componentId: 'e1' }), request.trackFlagView({ componentId: 'f' })]) {
      assert.deepEqual(await call, { accepted: false });
    }
    assert.equal(calls.length, 0);
    assert.deepEqual(warnings().filter((w) => w.startsWith('ctfl-opt/E058')).map((w) => parseMessage(w).detail),
      ['trackView()', 'trackClick()', 'trackHover()', 'trackFlagView()'], 'once per method');
  });

  test('a sticky view goes to the Experience API first, then to Insights with the profile it returned', async () => {
    const { sdk, calls } = make();
    const request = sdk.forRequest({ consent: true });
    const result = await request.trackView({ componentId: 'v1', experienceId: 'exp', variantIndex: 1, sticky: true, viewId: 'view-1', viewDurationMs: 1000.4 });
    assert.equal(result.data.profile.id, 'new-1');
    assert.equal(calls[0].body.events[0].type, 'component');
    assert.equal(calls[1].url.origin + '/', INSIGHTS);
    assert.equal(calls[1].path, '/v1/organizations/org-1/environments/main/events');
    assert.deepEqual(calls[1].body[0].profile, { id: 'new-1' });
    assert.deepEqual(
      (({ type, componentType, componentId, experienceId, variantIndex, viewId, viewDurationMs, channel }) => ({ type, componentType, componentId, experienceId, variantIndex, viewId, viewDurationMs, channel }))(calls[1].body[0].events[0]),
      { type: 'component', componentType: 'Entry', componentId: 'v1', experienceId: 'exp', variantIndex: 1, viewId: 'view-1', viewDurationMs: 1000, channel: 'server' },
    );
  });

  test('a sticky view the Experience API refuses sends no Insights view; an Insights refusal is not accepted', async () => {
    const envelope = () => new Response(JSON.stringify({ message: 'bad', data: {}, error: { code: 'ERR_INVALID_DATA' } }), { status: 400 });
    const refused = make({}, recordingFetch(envelope));
    const r1 = await refused.sdk.forRequest({ consent: true, profile: { id: 'p1' } }).trackView({ componentId: 'v1', sticky: true });
    assert.deepEqual([r1.accepted, r1.error.code, refused.calls.length], [false, 'ERR_INVALID_DATA', 1]);
    const insightsDown = recordingFetch();
    const fetch = async (url, init) => (String(url).startsWith(INSIGHTS) ? new Response('{}', { status: 400 }) : insightsDown.fetch(url, init));
    const { sdk } = make({}, { fetch, calls: [] });
    const r2 = await sdk.forRequest({ consent: true }).trackView({ componentId: 'v1', sticky: true });
    assert.equal(r2.accepted, false, 'the Insights API did not take the view');
    assert.equal(r2.data.profile.id, 'new-1', 'the Experience answer is still passed back');
  });

  test('a view is sticky when the bound selection says so; otherwise it goes to Insights only', async () => {
    const fetchImpl = recordingFetch((r) => ({ id: r.profileId ?? 'p1', experiences: [{ experienceId: 'sticky-exp', variantIndex: 1, variants: { b: 'v' }, sticky: true }], changes: [{ key: 'cta', type: 'Variable', value: 'Buy', meta: { experienceId: 'flag-exp', variantIndex: 2 } }] }));
    const { sdk, calls } = make({}, fetchImpl);
    const request = sdk.forRequest({ consent: true, profile: { id: 'p1' } });
    await request.page();
    await request.trackView({ componentId: 'v', experienceId: 'sticky-exp', variantIndex: 1 });
    await request.trackView({ componentId: 'other', experienceId: 'plain-exp', variantIndex: 1 });
    await request.trackFlagView({ componentId: 'cta' });
    await request.trackHover({ componentId: 'v', hoverId: 'h', hoverDurationMs: 1200 });
    const kinds = calls.map((c) => (c.body.events ? `experience:${c.body.events[0].type}` : `insights:${c.body[0].events[0].type}:${c.body[0].events[0].componentId}`));
    assert.deepEqual(kinds, ['experience:page', 'experience:component', 'insights:component:v', 'insights:component:other', 'insights:component:cta', 'insights:component_hover:v']);
    const flag = calls[4].body[0].events[0];
    assert.deepEqual([flag.componentType, flag.experienceId, flag.variantIndex], ['Variable', 'flag-exp', 2]);
  });

  test('calls in another form than the reference SDK payload objects throw E056 with the right form, and send nothing', async () => {
    const { sdk, calls } = make();
    const bound = sdk.forRequest({ consent: true, profile: { id: 'p1' } });
    // Wrong on purpose: `request` is the bound request with every method taking any arguments (the method names are still checked).
    const request = /** @type {{ [K in keyof typeof bound]: (...args: unknown[]) => unknown }} */ (/** @type {unknown} */ (bound));
    /** @type {Array<[call: () => unknown, message: RegExp]>} */
    const cases = [
      [() => request.track('signup'), /track\(\) takes \{ event, properties\? \}, not the string "signup": call track\(\{ event: "signup" \}\)/],
      [() => request.track('signup', { plan: 'pro' }), /call track\(\{ event: "signup", properties: \{…\} \}\)/],
      [() => request.track({}), /track\(\) takes \{ event, properties\? \}: "event" is missing/],
      [() => request.track(123), /not number/],
      [() => request.track({ event: 'x', properties: [] }), /"properties" must be an object of JSON values, not an array/],
      [() => request.track({ evnt: 'x' }), /unknown key "evnt" \(did you mean "event"\?\)/],
      [() => request.track({ event: 'x' }, { extra: 1 }), /one payload object/],
      [() => request.identify('ada', { plan: 'pro' }), /call identify\(\{ userId: "ada", traits: \{…\} \}\)/],
      [() => request.identify({ userId: 'ada', traits: 'x' }), /"traits" must be an object of JSON values/],
      [() => request.identify({}), /give a userId, traits or both/],
      [() => request.screen({ name: '' }), /"name" must be a non-empty string/],
      [() => request.page('/path'), /page\(\) takes \{ properties\?, userId\? \}/],
      [() => request.page({ title: 'x' }), /unknown key "title"/],
      [() => request.trackClick({ experienceId: 'x' }), /"componentId" is missing/],
      [() => request.trackView({ componentId: 'c', variantIndex: -1 }), /"variantIndex" must be an integer ≥ 0/],
      [() => request.trackHover('c'), /trackHover\(\) takes \{ componentId/],
      [() => request.trackFlagView({ key: 'c' }), /unknown key "key"/],
      [() => request.track({ event: 'x', properties: { n: 1n } }), /"properties" must be an object of JSON values/],
      [() => request.page({ properties: { title: null } }), /"properties\.title" must be a string/],
    ];
    for (const [call, message] of cases) {
      assert.throws(call, (/** @type {OptimizationError} */ e) => e.code === 'E056' && message.test(parseMessage(e.message).detail), String(call));
    }
    assert.equal(calls.length, 0, 'nothing was sent');
  });
});
