// The Insights queue (wire-format.md "Insights API"): per-profile batches, flushed at batchSize, on
// the interval and — via sendBeacon — when the page is hidden or left; and sticky trackView(),
// which goes to the Experience API first (profile-synchronization.txt).
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, experienceRequestsFor, injectFault, insightsEventsFor,
  insightsRequestsFor, profilesFor, beaconsOnPagehide, SPACE, uniqueOrg, waitFor, whileHidden,
} from '../helpers/browser.js';
import { emittedIds, persisted, QUIET } from '../helpers/queues.js';

const click = (i = 0) => ({ componentId: SPACE.heroBaseline, experienceId: SPACE.heroExperience, variantIndex: i % 2 });
const eventsArrived = (org: string, n: number) =>
  waitFor(async () => { const e = await insightsEventsFor(org); return e.length >= n ? e : undefined; }, 3000, `${n} Insights event(s)`);

/** Counts real sendBeacon calls while delivering them (an observation, not a fake). */
function watchBeacons() {
  const original = navigator.sendBeacon;
  const calls: string[] = [];
  navigator.sendBeacon = function (url: string | URL, data?: BodyInit | null) {
    calls.push(String(url));
    return original.call(navigator, url, data);
  };
  return { calls, restore: () => { navigator.sendBeacon = original; } };
}

describe('Insights queue', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('one batch item per profile, in the wire shape', async () => {
    const org = uniqueOrg('insights');
    // Someone already identified as known-user: identifying later merges into that profile.
    const known = (await createRuntime({ clientId: org }).identify({ userId: 'known-user' })).data!.profile.id;
    const sdk = createRuntime({ clientId: org, defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    const anonymous = (await sdk.page()).data!.profile.id;
    await sdk.trackClick(click());
    equal((await sdk.identify({ userId: 'known-user' })).data!.profile.id, known, 'the emulator merged the visitor');
    await sdk.trackHover({ ...click(1), hoverId: 'h-1', hoverDurationMs: 1234 });
    await sdk.flush();

    const [req] = await insightsRequestsFor(org);
    equal(req!.path, `/v1/organizations/${org}/environments/main/events`);
    ok(req!.contentType?.startsWith('text/plain'), 'no CORS preflight needed');
    deepEqual(req!.body.map((item: { profile: { id: string }; events: unknown[] }) => [item.profile.id, item.events.length]), [[anonymous, 1], [known, 1]]);
    const [clickEvent] = req!.body[0].events;
    const [hoverEvent] = req!.body[1].events;
    equal(clickEvent.type, 'component_click');
    equal(clickEvent.componentType, 'Entry');
    equal(clickEvent.componentId, SPACE.heroBaseline);
    equal(clickEvent.experienceId, SPACE.heroExperience);
    equal(clickEvent.variantIndex, 0);
    equal(clickEvent.channel, 'web');
    ok(clickEvent.messageId && clickEvent.timestamp && clickEvent.sentAt && clickEvent.originalTimestamp);
    deepEqual(Object.keys(clickEvent.context).sort(), ['gdpr', 'library', 'locale', 'page', 'userAgent']);
    equal(clickEvent.context.gdpr.isConsentGiven, true);
    equal(hoverEvent.type, 'component_hover');
    equal(hoverEvent.hoverId, 'h-1');
    equal(hoverEvent.hoverDurationMs, 1234);
    equal((await insightsEventsFor(org)).length, 2, 'the emulator accepted both');
  });

  it('flushes when 25 events are queued (batchSize)', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    for (let i = 0; i < 24; i++) await sdk.trackClick(click(i));
    // A batch that left would still hold the flush lock (deliveries take it): granted after it.
    await navigator.locks.request(`ctfl-opt-flush:${sdk.config.clientId}`, async () => {});
    equal((await insightsRequestsFor(sdk.config.clientId)).length, 0, '24 events wait');
    await sdk.trackClick(click(24));
    await eventsArrived(sdk.config.clientId, 25);
    const reqs = await insightsRequestsFor(sdk.config.clientId);
    equal(reqs.length, 1, 'one request');
    equal(reqs[0]!.body[0].events.length, 25);
  });

  it('flushes on the interval (insights.flushIntervalMs)', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 100 } });
    await sdk.page();
    await sdk.trackClick(click());
    await sdk.trackFlagView({ componentId: 'hero-cta' });
    const events = await eventsArrived(sdk.config.clientId, 2);
    const flag = events.find((e) => e.event.componentType === 'Variable');
    const change = sdk.state.changes!.find((c) => c.key === 'hero-cta')!;
    equal(flag.event.type, 'component');
    equal(flag.event.componentId, 'hero-cta');
    equal(flag.event.experienceId, change.meta.experienceId, 'flag views carry the change’s meta');
    equal(flag.event.variantIndex, change.meta.variantIndex);
  });

  it('flushes with sendBeacon on pagehide', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    await sdk.trackClick(click());
    const beacons = watchBeacons();
    try {
      window.dispatchEvent(new Event('pagehide'));
    } finally { beacons.restore(); }
    equal(beacons.calls.length, 1);
    const [event] = await eventsArrived(sdk.config.clientId, 1);
    equal(event.profileId, sdk.state.profile!.id);
  });

  it('flushes with sendBeacon when the page becomes hidden (visibilitychange)', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    await sdk.trackHover(click());
    const beacons = watchBeacons();
    try {
      await whileHidden(() => {});
    } finally { beacons.restore(); }
    equal(beacons.calls.length, 1);
    await eventsArrived(sdk.config.clientId, 1);
    const [req] = await insightsRequestsFor(sdk.config.clientId);
    ok(req!.contentType?.startsWith('text/plain'), 'a text/plain Blob');
  });

  it('a retryable Insights failure (503) keeps the events for the next flush', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    await injectFault({ organization: sdk.config.clientId, api: 'insights', status: 503 });
    await sdk.trackClick(click());
    await sdk.flush();
    equal((await insightsEventsFor(sdk.config.clientId)).length, 0);
    await sdk.flush();
    equal((await insightsEventsFor(sdk.config.clientId)).length, 1);
    equal((await insightsRequestsFor(sdk.config.clientId)).length, 2);
  });

  it('a 4xx Insights answer (invalid data) drops the events', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    await injectFault({ organization: sdk.config.clientId, api: 'insights', status: 400 });
    await sdk.trackClick(click());
    await sdk.flush();
    await sdk.flush();
    equal((await insightsRequestsFor(sdk.config.clientId)).length, 1, 'not sent again');
    equal((await insightsEventsFor(sdk.config.clientId)).length, 0);
  });
});

describe('sticky trackView', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('sticky: the Experience API receives a component event, and Insights receives the view too', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    const teaser = sdk.resolveEntry(SPACE.teaserBaseline);
    equal(teaser.sticky, true, 'the demo space’s A/B test is sticky');
    const result = await sdk.trackView({ componentId: teaser.entryId, experienceId: teaser.experienceId, variantIndex: teaser.variantIndex, viewId: 'view-1', viewDurationMs: 1000 });
    ok(result.data?.profile.id, 'the sticky view returns Experience data');
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(reqs.length, 2);
    const [experienceView] = reqs[1]!.body.events;
    equal(experienceView.type, 'component');
    equal(experienceView.experienceId, SPACE.teaserExperience);
    equal(experienceView.viewId, 'view-1');
    const [profile] = await profilesFor(sdk.config.clientId);
    deepEqual(profile.stickyVariants, { [SPACE.teaserExperience]: teaser.variantIndex }, 'the API pinned the variant');
    await sdk.flush();
    const [insights] = await insightsEventsFor(sdk.config.clientId);
    equal(insights.event.type, 'component');
    equal(insights.event.viewId, 'view-1');
    equal(insights.profileId, profile.id);
  });

  it('non-sticky: the view goes to Insights only', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page({ properties: { path: '/pricing' } });
    const hero = sdk.resolveEntry(SPACE.heroBaseline);
    equal(hero.sticky, false);
    const result = await sdk.trackView({ componentId: hero.entryId, experienceId: hero.experienceId, variantIndex: hero.variantIndex });
    ok(result.accepted);
    equal(result.data, undefined, 'no Experience data for a non-sticky view');
    await sdk.flush();
    equal((await experienceRequestsFor(sdk.config.clientId)).length, 1, 'only the page event');
    const [event] = await insightsEventsFor(sdk.config.clientId);
    equal(event.event.componentId, SPACE.heroVariant);
  });

  it('a sticky view purged by consent(false) while its Experience request is in flight never reaches Insights', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 200, delayMs: 300, body: '{}' });
    const view = sdk.trackView({ componentId: SPACE.teaserBaseline, experienceId: SPACE.teaserExperience, variantIndex: 0, sticky: true });
    await waitFor(() => sdk.state.requestState.status === 'pending', 2000, 'the sticky view on its way');
    sdk.consent(false);
    equal((await view).accepted, false);
    deepEqual(await beaconsOnPagehide(sdk), [], 'no beacon on pagehide');
    equal((await insightsEventsFor(sdk.config.clientId)).length, 0);
  });

  it('a batch waiting for the flush lock when reset() purges it is neither persisted by a later save nor sent', async () => {
    // Found by the consent property suite: the purged batch stayed "out", the next save (here,
    // persistence granted; there, a closed page hearing another tab grant it) wrote it to IndexedDB,
    // and the next page adopted and sent it.
    const sdk = createRuntime({ defaults: { consent: true, persistenceConsent: false }, insights: QUIET });
    const org = sdk.config.clientId;
    await sdk.page();
    let release!: () => void;
    const holding = navigator.locks.request(`ctfl-opt-flush:${org}`, () => new Promise<void>((r) => { release = r; }));
    await sdk.trackFlagView({ componentId: 'hero-cta' });
    const [flagId] = emittedIds(sdk, 'insights');
    const pass = sdk.flush(); // the batch goes out and waits for the lock
    sdk.reset();
    sdk.consent({ persistence: true });
    // A click after the reset waits for the new visitor's profile: it is in the same save.
    await sdk.trackClick(click());
    const [clickId] = emittedIds(sdk, 'insights');
    const saved = await waitFor(async () => { const q = await persisted(org); return q.i.includes(clickId!) ? q : undefined; }, 3000, 'the click persisted');
    deepEqual(saved.i, [clickId], 'the purged flag view is not in the persisted queue');
    release();
    await holding;
    await pass;
    await sdk.page();
    await sdk.flush();
    const sent = (await insightsEventsFor(org)).map((e) => e.event.messageId);
    ok(sent.includes(clickId!), 'the click is delivered once there is a profile');
    ok(!sent.includes(flagId!), 'the purged flag view never reaches the API');
  });

  it('an explicit sticky: true sends a view of any experience to the Experience API', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    await sdk.page();
    await sdk.trackView({ componentId: 'some-entry', experienceId: 'some-experience', variantIndex: 0, sticky: true });
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(reqs[1]?.body.events[0].type, 'component');
  });
});
