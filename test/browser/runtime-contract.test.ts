// The reference SDK's method contract: one payload object per call, `{accepted, data?}` results.
// Calls written for another form (Ninetailed 7.x positional arguments, typos) must fail loudly and
// send nothing; configuration typos are reported with the key that was meant.
import { deepEqual, equal, match, ok } from '../helpers/assert.js';
import { clearBrowserState, createRuntime, destroyRuntimes, experienceRequestsFor, insightsEventsFor, makeProfile, EMULATOR } from '../helpers/browser.js';
import { ContentfulOptimization } from '../../src/browser/optimization.js';

function recordingConsole() {
  const warnings: string[] = [];
  const sink = { debug() {}, info() {}, warn: (m: unknown) => { warnings.push(String(m)); }, error: (m: unknown) => { warnings.push(String(m)); } };
  return { sink, warnings };
}

describe('method contract', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('the reference shapes send the events the API expects and resolve {accepted, data}', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const identified = await sdk.identify({ userId: 'ada', traits: { plan: 'pro' } });
    const tracked = await sdk.track({ event: 'signup', properties: { value: 3 } });
    const screened = await sdk.screen({ name: 'Checkout', properties: { step: 2 } });
    const paged = await sdk.page({ properties: { category: 'docs' } });
    for (const r of [identified, tracked, screened, paged]) {
      equal(r.accepted, true);
      ok(r.data?.profile.id, 'the Experience answer is passed back');
    }
    const events = (await experienceRequestsFor(sdk.config.clientId)).flatMap((r) => r.body.events);
    deepEqual(events.map((e: { type: string }) => e.type), ['identify', 'track', 'screen', 'page']);
    deepEqual([events[0].userId, events[0].traits], ['ada', { plan: 'pro' }]);
    deepEqual([events[1].event, events[1].properties], ['signup', { value: 3 }]);
    deepEqual([events[2].name, events[2].properties, events[2].context.screen], ['Checkout', { step: 2 }, { name: 'Checkout' }]);
    equal(events[3].properties.category, 'docs');
    equal(events[3].properties.path, location.pathname, 'payload properties merge into the page properties');
    // A view's payload spread into trackClick keeps working: its extra keys belong to a sibling method.
    const view = { componentId: 'c1', experienceId: 'e1', variantIndex: 1, viewId: 'v1', viewDurationMs: 1200, sticky: false };
    equal((await sdk.trackClick(view)).accepted, true);
  });

  it('calls in another form resolve accepted: false with E015 and the right form, warn, and queue nothing', async () => {
    const { sink, warnings } = recordingConsole();
    const sdk = createRuntime({ defaults: { consent: true } }, { console: sink });
    const s = sdk as unknown as Record<string, (...a: unknown[]) => Promise<{ accepted: boolean; error?: { code?: string; reason: string; message: string } }>>;
    const cases: Array<[string, unknown[], RegExp]> = [
      ['track', ['signup'], /^track\(\) takes \{ event, properties\? \}, not the string "signup": call track\(\{ event: "signup" \}\)/],
      ['track', ['signup', { plan: 'pro' }], /call track\(\{ event: "signup", properties: \{…\} \}\)/],
      ['track', [{ event: { name: 'signup' } }], /"event" must be a non-empty string, not object/],
      ['track', [{}], /"event" is missing/],
      ['track', [123], /not number/],
      ['track', [{ event: 'x', propreties: {} }], /unknown key "propreties" \(did you mean "properties"\?\)/],
      ['identify', ['ada', { plan: 'pro' }], /call identify\(\{ userId: "ada", traits: \{…\} \}\)/],
      ['identify', [{ userId: 'ada', traits: 'pro' }], /"traits" must be an object of JSON values, not the string "pro"/],
      ['identify', [{ userId: 'ada', traits: ['pro'] }], /"traits" must be an object of JSON values, not an array/],
      ['screen', ['Home'], /call screen\(\{ name: "Home" \}\)/],
      ['page', ['/pricing'], /^page\(\) takes \{ properties\?, userId\? \}/],
      ['page', [{ path: '/pricing' }], /unknown key "path"/],
      ['trackView', [{ experienceId: 'e' }], /trackView\(\) takes \{ componentId, experienceId\?.*"componentId" is missing/],
      ['trackClick', ['entry-1'], /trackClick\(\) takes \{ componentId/],
      ['trackHover', [{ componentId: 'c', hoverDurationMs: 'long' }], /"hoverDurationMs" must be a number/],
      ['trackFlagView', [{ key: 'hero-cta' }], /unknown key "key"/],
      ['trackView', [{ componentId: 'c', componentType: 'entry' }], /"componentType" must be "Entry" or "Variable"/],
      ['track', [{ event: 'x', properties: { n: BigInt(1) } }], /"properties" must be an object of JSON values/],
      ['identify', [{ traits: new Date() }], /"traits" must be an object of JSON values/],
      ['page', [{ properties: { path: 5 } }], /"properties\.path" must be a string/],
      ['page', [{ properties: { query: { a: 1 } } }], /"properties\.query" must be an object of strings/],
      ['page', [undefined, { extra: 1 }], /one payload object/],
    ];
    for (const [method, args, message] of cases) {
      const result = await s[method]!(...args);
      equal(result.accepted, false, `${method}(${String(message)})`);
      equal(result.error?.code, 'E015');
      equal(result.error?.reason, 'invalid-call');
      match(result.error?.message, message);
    }
    equal(warnings.filter((w) => w.startsWith('ctfl-opt/E015: ')).length, cases.length, 'each call warned');
    deepEqual(sdk.queued, { experience: 0, insights: 0 });
    equal(sdk.state.blockedEvents.length, 0, 'not reported as consent blocks');
    await sdk.flush();
    deepEqual(await experienceRequestsFor(sdk.config.clientId), [], 'the API received nothing');
    deepEqual(await insightsEventsFor(sdk.config.clientId), []);
  });

  it('trackCurrentPage({routeKey}) sends one page event per new route; skip leaves the first to the load', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    equal((await sdk.trackCurrentPage({ routeKey: '/', initialPageEvent: 'skip' })).accepted, false, 'the first route is skipped');
    equal((await sdk.trackCurrentPage({ routeKey: '/' })).accepted, false, 'a repeat sends nothing');
    const docs = await sdk.trackCurrentPage({ routeKey: '/docs', buildPayload: () => ({ properties: { path: '/docs', title: 'Docs' } }) });
    equal(docs.accepted, true);
    equal((await sdk.trackCurrentPage({ routeKey: '/docs' })).accepted, false);
    equal((await sdk.trackCurrentPage({ routeKey: '/pricing', properties: { section: 'b' } })).accepted, true);
    const bad = await sdk.trackCurrentPage({ routeKey: '/x', initialPageEvent: 'later' as never });
    equal(bad.error?.code, 'E015');
    const events = (await experienceRequestsFor(sdk.config.clientId)).flatMap((r) => r.body.events);
    deepEqual(events.map((e: { properties: { path: string; section?: string } }) => [e.properties.path, e.properties.section]),
      [['/docs', undefined], [location.pathname, 'b']]);
    equal(events[0].properties.title, 'Docs');
  });

  it('trackCurrentPage(): a route whose page event was blocked is sent again by the next call for it', async () => {
    const sdk = createRuntime({ allowedEventTypes: [] }); // strict opt-in: no page event before consent
    equal((await sdk.trackCurrentPage({ routeKey: '/a' })).accepted, false);
    sdk.consent(true);
    equal((await sdk.trackCurrentPage({ routeKey: '/a' })).accepted, true, 'the same route, now allowed');
    equal((await experienceRequestsFor(sdk.config.clientId)).length, 1);
  });

  it('a cyclic payload is refused at the call; the queue and the page keep working', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    equal((await sdk.track({ event: 'x', properties: cyclic as never })).error?.code, 'E015');
    equal((await sdk.track({ event: 'after' })).accepted, true);
  });

  it('trackCurrentPage() sends the first route unless told to skip it', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    equal((await sdk.trackCurrentPage({ routeKey: '/a' })).accepted, true);
    equal((await experienceRequestsFor(sdk.config.clientId)).length, 1);
  });
});

describe('public surface', () => {
  afterEach(destroyRuntimes);

  it('the runtime\'s public members are the README\'s methods table, and only those', async () => {
    const readme = await (await fetch('/README.md')).text();
    const table = readme.slice(readme.indexOf('### Methods'), readme.indexOf('`trackRouteChanges(optimization)`'));
    // The first cell of each row (`\|` is a pipe inside a cell), and the names its code spans start with.
    const firstCells = [...table.matchAll(/^\|(.*?)(?<!\\)\|/gm)].map((m) => m[1]!);
    const documented = new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Za-z]\w*)/g)].map((m) => m[1]!)));
    ok(documented.has('page') && documented.has('config'), `the README's table was found: ${[...documented].join(', ')}`);
    documented.delete('method');
    const sdk = createRuntime();
    const members = new Set([
      ...Object.getOwnPropertyNames(ContentfulOptimization.prototype).filter((n) => n !== 'constructor'),
      ...Object.keys(sdk),
    ].filter((n) => !n.startsWith('_')));
    deepEqual([...members].sort(), [...documented].sort());
  });
});

describe('configuration mistakes', () => {
  afterEach(destroyRuntimes);

  it('unknown keys warn E009 with the key meant, at every level; the rest of the config applies', () => {
    const { sink, warnings } = recordingConsole();
    const sdk = new ContentfulOptimization({
      clientId: 'config-typos', defualts: { consent: true }, allowedEventType: ['page'],
      api: { experienceBaseURL: EMULATOR, insightsBaseUrl: EMULATOR }, queue: { maxExperienceEvent: 5 }, logLevel: 'warn',
    } as never, { console: sink });
    sdk.destroy();
    const e009 = warnings.filter((w) => w.startsWith('ctfl-opt/E009: '));
    ok(e009.some((w) => /"defualts" \(did you mean "defaults"\?\)/.test(w)), e009.join('\n'));
    ok(e009.some((w) => /"allowedEventType" \(did you mean "allowedEventTypes"\?\)/.test(w)));
    ok(e009.some((w) => /"api\.experienceBaseURL" \(did you mean "api\.experienceBaseUrl"\?\)/.test(w)));
    ok(e009.some((w) => /"queue\.maxExperienceEvent" \(did you mean "queue\.maxExperienceEvents"\?\)/.test(w)));
    equal(e009.length, 4);
    equal(sdk.config.insightsBaseUrl, EMULATOR, 'the valid keys still apply');
    equal(sdk.state.consent, undefined, 'the misspelt defaults were not applied');
  });

  it('an allowedEventTypes entry that is no event type warns E009 with the nearest one', () => {
    const { sink, warnings } = recordingConsole();
    new ContentfulOptimization({ clientId: 'config-types', allowedEventTypes: ['page', 'Identify', 'click'] }, { console: sink }).destroy();
    const e009 = warnings.filter((w) => w.startsWith('ctfl-opt/E009: '));
    equal(e009.length, 2, e009.join('\n'));
    match(e009[0], /"Identify" is not an event type \(did you mean "identify"\?\)/);
    match(e009[1], /"click" is not an event type; use page, identify/);
  });

  it('a correct configuration warns nothing, even with a profile in defaults that has keys its shape does not list', () => {
    const { sink, warnings } = recordingConsole();
    const profile = { ...makeProfile('p-1'), futureField: 1, location: { city: 'Berlin', geohash: 'u33' } };
    new ContentfulOptimization({ clientId: 'config-ok', api: { experienceBaseUrl: EMULATOR }, queue: { maxInsightsEvents: 10 }, defaults: { profile } }, { console: sink }).destroy();
    deepEqual(warnings, []);
  });
});
