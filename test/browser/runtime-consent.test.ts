// consent-management.txt: the consent value table, the three implementation postures, the
// allow-list mapping per method (wire-format.md "Consent gate mapping") and blocked-event handling.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, experienceEventsFor, insightsEventsFor,
  makeProfile, readStoredStateEntries, beaconsOnPagehide, requestsFor, watchPageErrors, waitFor,
} from '../helpers/browser.js';
import type { BlockedEvent } from '../../src/core/consent.js';
import type { ContentfulOptimization } from '../../src/browser/optimization.js';

const view = { componentId: 'heroBaseline0000000001', experienceId: 'expHeroPricing00000001', variantIndex: 1, sticky: false };

/** Every gated method once; returns which were accepted. */
async function callEverything(sdk: ContentfulOptimization): Promise<Record<string, boolean>> {
  return {
    page: (await sdk.page()).accepted,
    identify: (await sdk.identify({ userId: 'user-1', traits: { plan: 'pro' } })).accepted,
    track: (await sdk.track({ event: 'signup' })).accepted,
    screen: (await sdk.screen({ name: 'Home' })).accepted,
    trackView: (await sdk.trackView(view)).accepted,
    trackClick: (await sdk.trackClick(view)).accepted,
    trackHover: (await sdk.trackHover(view)).accepted,
    trackFlagView: (await sdk.trackFlagView({ componentId: 'hero-cta' })).accepted,
  };
}

/** localStorage keys other than consent/debug policy storage. */
const continuityKeys = () => Object.keys(localStorage).filter((k) => !/^__ctfl_opt_(consent|persistence_consent|debug)__$/.test(k));

describe('consent (consent-management.txt)', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  describe('consent value table', () => {
    it('consent undefined: no SDK consent decision; only allow-listed types emit, marked isConsentGiven false', async () => {
      const sdk = createRuntime();
      equal(sdk.state.consent, undefined);
      const accepted = await callEverything(sdk);
      deepEqual(accepted, { page: true, identify: true, track: false, screen: false, trackView: false, trackClick: false, trackHover: false, trackFlagView: false });
      const events = await experienceEventsFor(sdk.config.clientId);
      deepEqual(events.map((e) => [e.type, e.context.gdpr.isConsentGiven]), [['page', false], ['identify', false]]);
    });

    it('consent true: the SDK can emit all configured event types', async () => {
      const sdk = createRuntime({ insights: { flushIntervalMs: 60_000 } });
      sdk.consent(true);
      const accepted = await callEverything(sdk);
      ok(Object.values(accepted).every(Boolean), JSON.stringify(accepted));
      await sdk.flush();
      const events = await experienceEventsFor(sdk.config.clientId);
      deepEqual(events.map((e) => e.type), ['page', 'identify', 'track', 'screen']);
      ok(events.every((e) => e.context.gdpr.isConsentGiven === true));
      const insights = await insightsEventsFor(sdk.config.clientId);
      deepEqual(insights.map((e) => e.event.type).sort(), ['component', 'component', 'component_click', 'component_hover']);
      ok(insights.every((e) => e.event.context.gdpr.isConsentGiven === true));
    });

    it('consent false: the SDK blocks event types that are not in the configured allow-list', async () => {
      const sdk = createRuntime({ defaults: { consent: true } });
      sdk.consent(false);
      const accepted = await callEverything(sdk);
      deepEqual(accepted, { page: true, identify: true, track: false, screen: false, trackView: false, trackClick: false, trackHover: false, trackFlagView: false });
      const events = await experienceEventsFor(sdk.config.clientId);
      ok(events.every((e) => e.context.gdpr.isConsentGiven === false));
    });
  });

  describe('implementation postures', () => {
    it('strict opt-in: allowedEventTypes [] and no consent — nothing reaches the API and nothing is stored', async () => {
      const sdk = createRuntime({ allowedEventTypes: [], defaults: { profile: makeProfile('server-evaluated') }, insights: { flushIntervalMs: 20 } });
      const accepted = await callEverything(sdk);
      ok(Object.values(accepted).every((a) => a === false), JSON.stringify(accepted));
      deepEqual(await beaconsOnPagehide(sdk), [], 'no beacon on pagehide');
      equal((await requestsFor(sdk.config.clientId)).length, 0, 'no request at all');
      deepEqual(Object.keys(localStorage), [], 'no localStorage');
      equal(document.cookie, '', 'no cookie');
      equal(await readStoredStateEntries(sdk.config.clientId), undefined, 'no stored state entries');
      equal(sdk.state.blockedEvents.length, 8);
    });

    it('limited pre-consent context: page and identify are sent with isConsentGiven false, track and trackView are blocked, nothing durable', async () => {
      const sdk = createRuntime();
      equal((await sdk.page()).accepted, true);
      equal((await sdk.identify({ userId: 'u-1' })).accepted, true);
      equal((await sdk.track({ event: 'signup' })).accepted, false);
      equal((await sdk.trackView(view)).accepted, false);
      const events = await experienceEventsFor(sdk.config.clientId);
      deepEqual(events.map((e) => [e.type, e.context.gdpr.isConsentGiven]), [['page', false], ['identify', false]]);
      ok(sdk.state.profile, 'the profile is available in memory');
      deepEqual(continuityKeys(), [], 'no durable profile continuity in localStorage');
      equal(document.cookie, '', 'no ctfl-opt-aid');
      equal(await readStoredStateEntries(sdk.config.clientId), undefined, 'no durable state entries');
    });

    it('default-on accepted context: defaults.consent true sends isConsentGiven true and writes durable continuity', async () => {
      const sdk = createRuntime({ defaults: { consent: true } });
      const { data } = await sdk.page();
      const [event] = await experienceEventsFor(sdk.config.clientId);
      equal(event.context.gdpr.isConsentGiven, true);
      equal(localStorage.getItem('__ctfl_opt_anonymous_id__'), data!.profile.id);
      equal(JSON.parse(localStorage.getItem('__ctfl_opt_profile__')!).id, data!.profile.id);
      ok(localStorage.getItem('__ctfl_opt_selected-optimizations__'));
      ok(localStorage.getItem('__ctfl_opt_changes__'));
      ok(document.cookie.includes(`ctfl-opt-aid=${data!.profile.id}`));
      await waitFor(() => readStoredStateEntries(sdk.config.clientId), 2000, 'durable state entries');
    });

    it('default-on accepted context with defaults.persistenceConsent false: events flow, profile continuity is deferred', async () => {
      const sdk = createRuntime({ defaults: { consent: true, persistenceConsent: false } });
      const { data } = await sdk.page();
      ok(data?.profile.id);
      await sdk.track({ event: 'signup' });
      const events = await experienceEventsFor(sdk.config.clientId);
      ok(events.every((e) => e.context.gdpr.isConsentGiven === true));
      deepEqual(continuityKeys(), []);
      equal(document.cookie, '');
      await sdk.flush(); // idle: every answer applied (state entries are written with the answer that brings them)
      equal(await readStoredStateEntries(sdk.config.clientId), undefined);
    });
  });

  describe('allow-list mapping per method', () => {
    const gate = async (allowedEventTypes: string[]) => {
      const sdk = createRuntime({ allowedEventTypes, defaults: { profile: makeProfile('gate-test') } });
      return { sdk, accepted: await callEverything(sdk) };
    };

    it('trackView needs "component"', async () => {
      const { accepted } = await gate(['component']);
      deepEqual(accepted, { page: false, identify: false, track: false, screen: false, trackView: true, trackClick: false, trackHover: false, trackFlagView: true });
    });

    it('trackClick needs "component_click"', async () => {
      const { sdk, accepted } = await gate(['component_click']);
      deepEqual(Object.keys(accepted).filter((k) => accepted[k]), ['trackClick']);
      await sdk.flush();
      const [event] = await insightsEventsFor(sdk.config.clientId);
      equal(event.event.type, 'component_click');
      equal(event.event.context.gdpr.isConsentGiven, false, 'allowed before consent, marked as such');
    });

    it('trackHover needs "component_hover"', async () => {
      const { accepted } = await gate(['component_hover']);
      deepEqual(Object.keys(accepted).filter((k) => accepted[k]), ['trackHover']);
    });

    it('trackFlagView needs "flag" or "component"', async () => {
      const { accepted } = await gate(['flag']);
      deepEqual(Object.keys(accepted).filter((k) => accepted[k]), ['trackFlagView']);
    });

    it('the other methods need their own event type', async () => {
      const { accepted } = await gate(['track', 'screen']);
      deepEqual(Object.keys(accepted).filter((k) => accepted[k]), ['track', 'screen']);
    });
  });

  describe('blocked events', () => {
    it('blocked calls go to onEventBlocked and states.blockedEvents with reason and method', async () => {
      const seen: BlockedEvent[] = [];
      const sdk = createRuntime({ onEventBlocked: (e) => seen.push(e) });
      const streamed: Array<readonly BlockedEvent[]> = [];
      const off = sdk.states.blockedEvents.subscribe((list) => streamed.push(list));
      await sdk.track({ event: 'signup' });
      await sdk.trackClick(view);
      off();
      deepEqual(seen.map((e) => [e.reason, e.method, e.eventType, e.consent]), [['consent', 'track', 'track', undefined], ['consent', 'trackClick', 'component_click', undefined]]);
      equal(streamed.length, 3, 'initial value, then once per blocked call');
      deepEqual(streamed[2]!.map((e) => e.method), ['track', 'trackClick']);
      equal(sdk.state.blockedEvents, streamed[2]);
    });

    it('blocked events are dropped and never replayed after consent(true)', async () => {
      const sdk = createRuntime({ insights: { flushIntervalMs: 20 } });
      await sdk.track({ event: 'before-consent' });
      await sdk.trackClick(view);
      sdk.consent(true);
      await sdk.page();
      await sdk.flush(); // the pass the flush interval makes too: nothing more is left to send
      const events = await experienceEventsFor(sdk.config.clientId);
      deepEqual(events.map((e) => e.type), ['page']);
      equal((await insightsEventsFor(sdk.config.clientId)).length, 0);
    });

    it('a throwing onEventBlocked breaks nothing', async () => {
      const errors = watchPageErrors();
      const sdk = createRuntime({ onEventBlocked: () => { throw new Error('app bug'); } });
      const result = await sdk.track({ event: 'signup' });
      equal(result.accepted, false);
      equal(sdk.state.blockedEvents.length, 1);
      ok((await sdk.page()).data?.profile.id, 'the runtime keeps working');
      await sdk.flush(); // idle; the throw happened before page()'s whole round trip, so its error would be here
      deepEqual(errors.stop(), []);
    });
  });

  it('consent(true) persists the decision for the next load; consent values are stored even without persistence consent', () => {
    const sdk = createRuntime({ defaults: { persistenceConsent: false } });
    sdk.consent({ events: true });
    equal(localStorage.getItem('__ctfl_opt_consent__'), 'accepted');
    equal(localStorage.getItem('__ctfl_opt_persistence_consent__'), null);
    sdk.consent(false);
    equal(localStorage.getItem('__ctfl_opt_consent__'), 'denied');
    equal(localStorage.getItem('__ctfl_opt_persistence_consent__'), 'denied');
    const next = createRuntime({ clientId: sdk.config.clientId });
    deepEqual(next.consentState, { events: false, persistence: false });
  });
});
