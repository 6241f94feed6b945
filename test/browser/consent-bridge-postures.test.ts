// <ctfl-consent-bridge> with each posture of consent-management.txt, and revocation, against the real
// emulator: what leaves the page (requests, Insights events), storage and the cookie. The CMP test
// doubles (demo/cmp/) are the only fakes.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, experienceEventsFor, insightsEventsFor, readCookieValue, requestsFor,
} from '../helpers/browser.js';
import { addBridge, cleanUpCmps, loadCmp, recordConsentCalls, win } from '../helpers/consent-bridge.js';
import { ANONYMOUS_ID_COOKIE } from '../../src/browser/cookies.js';
import { CONTINUITY_KEYS } from '../../src/browser/storage.js';
import type { ContentfulOptimization } from '../../src/browser/optimization.js';

const CLICK = { componentType: 'Entry' as const, componentId: 'heroBaseline0000000001', variantIndex: 0 };
/** Insights events wait in the queue until flush() (or a revocation purges them). */
const QUEUED = { insights: { flushIntervalMs: 600_000, batchSize: 100 } };
const purposes = (...granted: number[]) => Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i + 1), granted.includes(i + 1)]));
const storedContinuity = () => CONTINUITY_KEYS.filter((k) => localStorage.getItem(k) !== null);

/** Everything a page could emit: Experience page/track and Insights click events, then delivery. */
async function emitAll(sdk: ContentfulOptimization): Promise<void> {
  await sdk.page();
  await sdk.track({ event: 'signup' });
  await sdk.trackClick(CLICK);
  await sdk.flush();
}

async function received(org: string) {
  const experience = (await experienceEventsFor(org)).map((e) => `${e.type}:${e.context?.gdpr?.isConsentGiven}`);
  const insights = (await insightsEventsFor(org)).map((e) => e.event.type);
  return { experience, insights };
}

describe('<ctfl-consent-bridge> postures and revocation (emulator)', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { cleanUpCmps(); destroyRuntimes(); });

  it('strict opt-in: nothing leaves the page and nothing is stored before the final grant', async () => {
    await loadCmp('cookiebot');
    const sdk = createRuntime({ allowedEventTypes: [], ...QUEUED });
    const org = sdk.config.clientId;
    addBridge({ source: 'cookiebot' });
    await emitAll(sdk);
    equal((await requestsFor(org)).length, 0, 'no request at all before consent');
    deepEqual(storedContinuity(), []);
    equal(readCookieValue(ANONYMOUS_ID_COOKIE), undefined);

    win.Cookiebot.submitCustomConsent(true, true, false);
    await emitAll(sdk);
    deepEqual(await received(org), { experience: ['page:true', 'track:true'], insights: ['component_click'] });
    ok(readCookieValue(ANONYMOUS_ID_COOKIE), 'the profile id is kept once persistence is granted');
    ok(storedContinuity().length > 0);
  });

  it('limited pre-consent context: allow-listed page events only, no durable continuity, until the CMP grants', async () => {
    await loadCmp('tcf');
    const sdk = createRuntime(QUEUED);
    const org = sdk.config.clientId;
    addBridge({ source: 'tcf' });
    equal(win.tcfDouble.state.eventStatus, 'cmpuishown');
    await emitAll(sdk);
    deepEqual(await received(org), { experience: ['page:false'], insights: [] });
    deepEqual(storedContinuity(), []);
    equal(readCookieValue(ANONYMOUS_ID_COOKIE), undefined);

    // Purposes 5, 6, 8 without 1 (device storage): events yes, persistence no.
    win.tcfDouble.decide(purposes(5, 6, 8));
    deepEqual([sdk.state.consent, sdk.state.persistenceConsent], [true, false]);
    await emitAll(sdk);
    deepEqual(await received(org), {
      experience: ['page:false', 'page:true', 'track:true'], insights: ['component_click'],
    });
    deepEqual(storedContinuity(), [], 'session-only: nothing durable');
    equal(readCookieValue(ANONYMOUS_ID_COOKIE), undefined);
  });

  it('default-on accepted context: a CMP refusal revokes, stops events and clears storage and cookie', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, ...QUEUED });
    const org = sdk.config.clientId;
    await sdk.page();
    const profileId = sdk.state.profile?.id;
    ok(profileId);
    equal(readCookieValue(ANONYMOUS_ID_COOKIE), profileId);

    const calls = recordConsentCalls(sdk);
    addBridge({ source: 'onetrust' });
    await loadCmp('onetrust'); // opt-in region, banner open: only C0001, which is no decision yet
    deepEqual(calls, [], 'the startup policy stands until the visitor chooses');
    win.OneTrust.RejectAll();
    deepEqual(calls, [false]);
    await emitAll(sdk);
    deepEqual(await received(org), { experience: ['page:true', 'page:false'], insights: [] });
    deepEqual(storedContinuity(), []);
    equal(readCookieValue(ANONYMOUS_ID_COOKIE), undefined);
    equal(sdk.state.profile?.id, profileId, 'the in-memory profile stays');
  });

  it('no gated event arrives before a final grant, and none after a revocation', async () => {
    await loadCmp('tcf');
    const sdk = createRuntime(QUEUED);
    const org = sdk.config.clientId;
    addBridge({ source: 'tcf' });
    win.tcfDouble.showUI();
    await emitAll(sdk);
    win.tcfDouble.acceptAll();
    await emitAll(sdk);
    win.tcfDouble.showUI();
    win.tcfDouble.rejectAll();
    await emitAll(sdk);
    deepEqual(await received(org), {
      experience: ['page:false', 'page:true', 'track:true', 'page:false'],
      insights: ['component_click'],
    });
  });

  for (const resetOnRevoke of [false, true]) {
    it(`revocation purges queued events and clears storage and cookie; the in-memory profile ${resetOnRevoke ? 'is reset with reset-on-revoke' : 'stays'}`, async () => {
      const sdk = createRuntime(QUEUED);
      const org = sdk.config.clientId;
      addBridge({ source: 'gcm', ...(resetOnRevoke ? { 'reset-on-revoke': true } : {}) });
      await loadCmp('gcm');
      win.gcmDouble.acceptAll();
      await sdk.page();
      const profileId = sdk.state.profile?.id;
      ok(profileId);
      ok(storedContinuity().length > 0);
      equal(readCookieValue(ANONYMOUS_ID_COOKIE), profileId);
      await sdk.trackClick(CLICK);
      await sdk.trackClick(CLICK); // queued, not yet sent

      win.gcmDouble.denyAll();
      await sdk.flush();
      deepEqual((await insightsEventsFor(org)).length, 0, 'queued Insights events were purged');
      deepEqual(storedContinuity(), []);
      equal(readCookieValue(ANONYMOUS_ID_COOKIE), undefined);
      if (resetOnRevoke) {
        equal(sdk.state.profile, undefined);
        equal(sdk.state.selectedOptimizations, undefined);
      } else {
        equal(sdk.state.profile?.id, profileId);
      }
    });
  }

  it('revoking persistence only: consent({persistence: false}); events keep flowing, continuity is cleared', async () => {
    await loadCmp('cookiebot', { consent: { preferences: true, statistics: true, marketing: false } });
    const sdk = createRuntime(QUEUED);
    const org = sdk.config.clientId;
    addBridge({ source: 'cookiebot', 'persistence-categories': 'preferences,marketing', 'reset-on-revoke': true });
    deepEqual([sdk.state.consent, sdk.state.persistenceConsent], [true, false]);
    await sdk.page();
    ok(sdk.state.profile?.id);
    equal(readCookieValue(ANONYMOUS_ID_COOKIE), undefined);

    win.Cookiebot.submitCustomConsent(true, true, true);
    await sdk.page();
    ok(readCookieValue(ANONYMOUS_ID_COOKIE));
    const calls = recordConsentCalls(sdk);
    win.Cookiebot.submitCustomConsent(true, true, false);
    deepEqual(calls, [{ persistence: false }]);
    equal(readCookieValue(ANONYMOUS_ID_COOKIE), undefined);
    equal(sdk.state.profile, undefined, 'reset-on-revoke also applies to a persistence revocation');
    await emitAll(sdk);
    deepEqual((await received(org)).experience, ['page:true', 'page:true', 'page:true', 'track:true']);
  });
});
