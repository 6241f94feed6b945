// Experience API requests as wire-format.md describes them, and the profile-selection edge cases of
// profile-synchronization.txt ("All profile-changing Experience paths converge on upsertProfile()").
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, experienceRequestsFor, makeProfile, profileIdInPath, requestsFor,
} from '../helpers/browser.js';

describe('Experience API requests', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('page() sends the wire shape as text/plain to POST /v2/organizations/{org}/environments/{env}/profiles', async () => {
    const sdk = createRuntime({ environment: 'staging', locale: 'de-DE', app: { name: 'shop', version: '2.0.0' }, api: { enabledFeatures: ['location'] } });
    await sdk.page({ properties: { category: 'docs' } });
    const [req] = await experienceRequestsFor(sdk.config.clientId);
    equal(req!.path, `/v2/organizations/${sdk.config.clientId}/environments/staging/profiles`);
    equal(req!.query.locale, 'de-DE');
    ok(req!.contentType?.startsWith('text/plain'), 'no CORS preflight');
    deepEqual(req!.body.options, { features: ['location'] });
    const [e] = req!.body.events;
    equal(e.type, 'page');
    equal(e.channel, 'web');
    ok(e.messageId && e.originalTimestamp && e.sentAt && e.timestamp);
    deepEqual(Object.keys(e.properties).sort(), ['category', 'path', 'query', 'referrer', 'search', 'title', 'url']);
    equal(e.properties.url, location.href);
    equal(e.context.locale, 'de-DE');
    deepEqual(e.context.app, { name: 'shop', version: '2.0.0' });
    equal(e.context.library.name, '@ctfl/optimization-elements');
    equal(e.context.userAgent, navigator.userAgent);
    equal(e.context.page.path, location.pathname);
  });

  it('identify(), track() and screen() carry their fields', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    await sdk.identify({ userId: 'user-7', traits: { plan: 'pro' } });
    await sdk.track({ event: 'signup', properties: { value: 3 } });
    await sdk.screen({ name: 'Checkout', properties: { step: 2 } });
    const events = (await experienceRequestsFor(sdk.config.clientId)).map((r) => r.body.events[0]);
    deepEqual([events[0].userId, events[0].traits], ['user-7', { plan: 'pro' }]);
    deepEqual([events[1].event, events[1].properties], ['signup', { value: 3 }]);
    deepEqual([events[2].name, events[2].context.screen], ['Checkout', { name: 'Checkout' }]);
  });

  it('events queued while a request is in flight go out next, to the profile that request created', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    let later: Array<Promise<unknown>> = [];
    // Queue two more events the moment the first request is on its way.
    const off = sdk.states.requestState.subscribe((r) => {
      if (r.status === 'pending' && !later.length) later = [sdk.track({ event: 'a' }), sdk.track({ event: 'b' })];
    });
    const created = (await sdk.page()).data!.profile.id;
    await Promise.all(later);
    off();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(reqs.length, 2);
    equal(profileIdInPath(reqs[0]!), undefined);
    equal(profileIdInPath(reqs[1]!), created);
    deepEqual(reqs[1]!.body.events.map((e: { event: string }) => e.event), ['a', 'b'], 'in order, in one request');
  });

  it('a getAnonymousId that throws or returns an invalid id falls back to the profile id', async () => {
    const sdk = createRuntime({ getAnonymousId: () => { throw new Error('app bug'); }, defaults: { profile: makeProfile('fallback-id') } });
    await sdk.page();
    const other = createRuntime({ getAnonymousId: () => 'not valid!', defaults: { profile: makeProfile('fallback-id') } });
    await other.page();
    equal(profileIdInPath((await experienceRequestsFor(sdk.config.clientId))[0]!), 'fallback-id');
    equal(profileIdInPath((await experienceRequestsFor(other.config.clientId))[0]!), 'fallback-id');
  });

  it('context.campaign comes from the utm_* query parameters', async () => {
    const original = location.href;
    history.replaceState(null, '', `${location.pathname}${location.search}&utm_source=google&utm_campaign=spring`);
    try {
      const sdk = createRuntime();
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      deepEqual(req!.body.events[0].context.campaign, { source: 'google', name: 'spring' });
      ok(sdk.state.selectedOptimizations?.some((o) => o.experienceId === 'expHeroPricing00000001' && o.variantIndex === 1), 'the spring campaign audience matched');
    } finally {
      history.replaceState(null, '', original);
    }
  });

  it('refresh() reads the evaluated profile (GET /profiles/{id}) without sending an event, and publishes it', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    equal((await sdk.refresh()).accepted, false, 'no profile yet: nothing to read');
    equal((await requestsFor(sdk.config.clientId)).length, 0);
    const { data } = await sdk.page();
    const before = sdk.state.profile;
    const result = await sdk.refresh();
    equal(result.data?.profile.id, data!.profile.id);
    const reqs = await requestsFor(sdk.config.clientId);
    equal(reqs.at(-1)!.method, 'GET');
    equal(reqs.at(-1)!.path, `/v2/organizations/${sdk.config.clientId}/environments/main/profiles/${data!.profile.id}`);
    ok(sdk.state.profile !== before, 'a new snapshot was published');
    equal(sdk.state.requestState.status, 'success');
  });
});
