// profile-synchronization.txt: the lifecycle operations table ("Different lifecycle methods have
// different synchronization effects") and the table of common sources of profile-sync bugs.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, cookieInfo, createRuntime, destroyRuntimes, experienceRequestsFor, fakeClock, goOffline, goOnline,
  insightsEventsFor, profileIdInPath, profilesFor, readCookieValue, beaconsOnPagehide, restoreClocks, serverRemoveCookie, serverSetCookie,
  uniqueOrg, waitFor, within,
} from '../helpers/browser.js';
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { EMULATOR } from '../helpers/browser.js';

const K = {
  anonymousId: '__ctfl_opt_anonymous_id__',
  profile: '__ctfl_opt_profile__',
  selectedOptimizations: '__ctfl_opt_selected-optimizations__',
  changes: '__ctfl_opt_changes__',
  consent: '__ctfl_opt_consent__',
};
const click = { componentId: 'heroBaseline0000000001', experienceId: 'expHeroPricing00000001', variantIndex: 1 };

describe('lifecycle operations (profile-synchronization.txt)', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { restoreClocks(); destroyRuntimes(); goOnline(); });

  it('reset(): clears profile, selected optimizations, changes, event streams, anonymous ID localStorage and cookie', async () => {
    const sdk = createRuntime({ defaults: { persistenceConsent: true } });
    const first = await sdk.page();
    const id = first.data!.profile.id;
    await sdk.trackClick(click); // blocked: no event consent and component_click is not allowed
    equal(localStorage.getItem(K.anonymousId), id);
    equal(readCookieValue('ctfl-opt-aid'), id);
    equal(sdk.state.blockedEvents.length, 1);
    equal(sdk.state.events.length, 1);

    sdk.reset();
    equal(sdk.state.profile, undefined);
    equal(sdk.state.selectedOptimizations, undefined);
    equal(sdk.state.changes, undefined);
    deepEqual(sdk.state.events, [], 'event stream cleared');
    deepEqual(sdk.state.blockedEvents, [], 'blocked-event stream cleared');
    for (const key of [K.anonymousId, K.profile, K.selectedOptimizations, K.changes]) equal(localStorage.getItem(key), null, key);
    equal(readCookieValue('ctfl-opt-aid'), undefined);
    equal(sdk.state.persistenceConsent, true, 'consent is kept');

    const next = await sdk.page();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(profileIdInPath(reqs[1]!), undefined, 'the next event starts a new profile');
    ok(next.data!.profile.id !== id);
  });

  it('reset(): purges queued events so the old identity never receives them', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    await sdk.page();
    await sdk.trackClick(click);
    sdk.reset();
    await sdk.flush();
    equal((await insightsEventsFor(sdk.config.clientId)).length, 0);
  });

  it('consent({ persistence: false }): clears durable storage and cookies but keeps the active in-memory profile', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.page();
    ok(localStorage.getItem(K.profile));
    sdk.consent({ persistence: false });
    for (const key of [K.anonymousId, K.profile, K.selectedOptimizations, K.changes]) equal(localStorage.getItem(key), null, key);
    equal(readCookieValue('ctfl-opt-aid'), undefined);
    equal(sdk.state.profile?.id, data!.profile.id, 'in-memory profile stays');
    equal(sdk.state.consent, true, 'event consent untouched');
    equal(localStorage.getItem('__ctfl_opt_persistence_consent__'), 'denied');
    await sdk.page();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(profileIdInPath(reqs[1]!), data!.profile.id, 'events continue with the in-memory profile');
    equal(localStorage.getItem(K.profile), null, 'and nothing durable is written again');
    equal(readCookieValue('ctfl-opt-aid'), undefined);
  });

  it('consent(false): sets event and persistence consent to false, purges queued Experience and Insights events, clears durable storage and re-applies the allow-list gate', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    const { data } = await sdk.page();
    await sdk.trackClick(click);
    await sdk.trackHover({ ...click, hoverDurationMs: 500 });
    goOffline();
    await sdk.identify({ userId: 'queued-user' }); // waits for the connection
    sdk.consent(false);
    goOnline();
    deepEqual(await beaconsOnPagehide(sdk), [], 'nothing handed to sendBeacon on pagehide');
    equal((await insightsEventsFor(sdk.config.clientId)).length, 0, 'queued Insights events never reach the API');
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(reqs.length, 1, 'the queued identify never reaches the API');

    deepEqual(sdk.consentState, { events: false, persistence: false });
    for (const key of [K.anonymousId, K.profile, K.selectedOptimizations, K.changes]) equal(localStorage.getItem(key), null, key);
    equal(readCookieValue('ctfl-opt-aid'), undefined);
    equal(sdk.state.profile?.id, data!.profile.id, 'in-memory profile untouched');

    equal((await sdk.trackClick(click)).accepted, false, 'component_click is not in the allow-list');
    equal((await sdk.page()).accepted, true, 'page is in the default allow-list');
    const after = await experienceRequestsFor(sdk.config.clientId);
    equal(after.length, 2);
    equal(after[1]!.body.events[0].context.gdpr.isConsentGiven, false);
  });

  it('destroy(): flushes queued Insights and Experience events', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 60_000 } });
    await sdk.page();
    await sdk.trackClick(click);
    await sdk.trackClick({ ...click, variantIndex: 0 });
    void sdk.track({ event: 'left-the-page' }); // queued, not yet sent
    sdk.destroy();
    const org = sdk.config.clientId;
    await waitFor(async () => (await insightsEventsFor(org)).length === 2, 3000, 'Insights events delivered on destroy');
    await waitFor(async () => (await experienceRequestsFor(org)).length === 2, 3000, 'queued Experience event delivered on destroy');
    equal((await experienceRequestsFor(org))[1]!.body.events[0].event, 'left-the-page');
  });

  it('destroy() right after void track(), as a delivery finishes: the event is delivered and its promise settles', async () => {
    for (const persistenceConsent of [true, false]) {
      const sdk = createRuntime({ defaults: { consent: true, persistenceConsent } });
      const org = sdk.config.clientId;
      // Called when page() is answered: the delivery that sent it has just found its queue empty
      // and is letting go of its lock, so it no longer looks at the queue.
      let last!: Promise<{ accepted: boolean }>;
      await sdk.page().then(() => {
        last = sdk.track({ event: 'left-the-page' });
        sdk.destroy();
      });
      const settled = await within(last, 4000);
      ok(settled, `the track() promise settles (persistence ${persistenceConsent})`);
      equal(settled.accepted, true);
      const sent = await waitFor(async () => { const e = (await experienceRequestsFor(org)).flatMap((r) => r.body.events); return e.length >= 2 ? e : undefined; }, 4000, 'both delivered');
      deepEqual(sent.map((e: { type: string; event?: string }) => e.event ?? e.type), ['page', 'left-the-page']);
    }
  });

  it('destroy(): releases runtime listeners and timers', async () => {
    const clock = fakeClock(['setInterval', 'clearInterval']); // the runtime's intervals, counted
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 50 } });
    await sdk.page();
    ok(clock.countTimers() > 0, 'the Insights flush interval runs');
    sdk.destroy();
    equal(clock.countTimers(), 0, 'no interval left');
    goOffline();
    equal(sdk.state.online, true, "no 'offline' listener any more");
    equal((await sdk.trackClick(click)).accepted, false, 'a destroyed runtime emits nothing');
    equal((await sdk.page()).accepted, false);
    await sdk.flush(); // nothing in flight: what it could still send has been sent
    equal((await experienceRequestsFor(sdk.config.clientId)).length, 1);
    equal((await insightsEventsFor(sdk.config.clientId)).length, 0);
  });

  it('destroy(): does not clear persisted user state', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.page();
    sdk.destroy();
    equal(localStorage.getItem(K.anonymousId), data!.profile.id);
    ok(localStorage.getItem(K.profile));
    equal(readCookieValue('ctfl-opt-aid'), data!.profile.id);
    const next = createRuntime({ clientId: sdk.config.clientId, defaults: { consent: true } });
    equal(next.state.profile?.id, data!.profile.id, 'the next runtime resumes');
  });
});

describe('common sources of profile-sync bugs (profile-synchronization.txt)', () => {
  beforeEach(clearBrowserState);
  afterEach(async () => {
    destroyRuntimes();
    goOnline();
    await serverRemoveCookie('ctfl-opt-aid', { httpOnly: true });
    await serverRemoveCookie('ctfl-opt-aid', { path: '/elsewhere' });
  });

  it('ctfl-opt-aid is HttpOnly: the server can read it, but the Web SDK cannot adopt it', async () => {
    await serverSetCookie('ctfl-opt-aid', 'server-only-id', { httpOnly: true });
    equal(readCookieValue('ctfl-opt-aid'), undefined, 'invisible to page script');
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.page();
    const [req] = await experienceRequestsFor(sdk.config.clientId);
    equal(profileIdInPath(req!), undefined, 'a new profile instead of server-only-id');
    ok(data!.profile.id !== 'server-only-id');
  });

  it('cookie domain or path mismatch: a ctfl-opt-aid on another path is not shared; the SDK writes Path=/', async () => {
    await serverSetCookie('ctfl-opt-aid', 'other-path-id', { path: '/elsewhere' });
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.page();
    const [req] = await experienceRequestsFor(sdk.config.clientId);
    equal(profileIdInPath(req!), undefined);
    const written = await cookieInfo('ctfl-opt-aid');
    equal(written?.value, data!.profile.id);
    equal(written?.path, '/');
  });

  it('cookie differs from localStorage: the Web SDK clears cached continuity data and adopts the cookie id', async () => {
    const org = uniqueOrg('sync');
    // A previous visit in this browser…
    const before = createRuntime({ clientId: org, defaults: { consent: true } });
    const old = (await before.page()).data!.profile.id;
    before.destroy();
    // …then the server identified the visitor as another existing profile and set the cookie. (Its
    // own event: the API applies a messageId once, so a resent copy would answer the old profile.)
    const event = { ...(await experienceRequestsFor(org))[0]!.body.events[0], messageId: crypto.randomUUID() };
    const server = await fetch(`${EMULATOR}/v2/organizations/${org}/environments/main/profiles`, {
      method: 'POST', body: JSON.stringify({ events: [event] }),
    }).then((r) => r.json());
    const serverId = server.data.profile.id as string;
    ok(serverId !== old, 'the server chose another profile');
    await serverSetCookie('ctfl-opt-aid', serverId);

    const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
    equal(sdk.state.profile, undefined, `cached profile ${old} dropped`);
    equal(localStorage.getItem(K.anonymousId), serverId);
    const { data } = await sdk.page();
    equal(data!.profile.id, serverId);
    const reqs = await experienceRequestsFor(org);
    equal(profileIdInPath(reqs.at(-1)!), serverId);
  });

  it('cookie changes after SDK construction: the running Web SDK does not watch cookies', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.page();
    document.cookie = 'ctfl-opt-aid=changed-later; Path=/';
    await sdk.page();
    const reqs = await experienceRequestsFor(sdk.config.clientId);
    equal(profileIdInPath(reqs[1]!), data!.profile.id);
  });

  it('multiple browser tabs: tabs share storage, and (unlike the reference SDK) a new profile in one reaches the other at once', async () => {
    const org = uniqueOrg('tabs');
    // A second same-origin document stands in for another tab: it shares localStorage and gets
    // real 'storage' events when this document writes.
    const frame = document.createElement('iframe');
    document.body.appendChild(frame);
    const other = frame.contentWindow!;
    let storageEvents = 0;
    other.addEventListener('storage', () => storageEvents++);
    try {
      const tabA = createRuntime({ clientId: org });
      tabA.consent(true);
      const tabB = new ContentfulOptimization({ clientId: org, logLevel: 'silent', api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR } }, { window: other });
      equal(tabB.state.persistenceConsent, true, 'tab B read the shared consent');
      const a = await tabA.page();
      await waitFor(() => storageEvents > 0, 2000, 'a storage event in tab B');
      // The reference SDK leaves tab B on its own in-memory state until it sends an event; here the
      // new profile reaches it at once (issue 6), so both tabs continue one profile.
      await waitFor(() => tabB.state.profile?.id === a.data!.profile.id, 2000, 'tab A’s profile in tab B');
      const b = await tabB.identify({ userId: 'someone' });
      equal(b.data!.profile.id, a.data!.profile.id, 'tab B’s identify updated the same profile');
      equal(tabA.state.profile?.id, a.data!.profile.id, 'tab A keeps that profile');
      tabB.destroy();
    } finally {
      frame.remove();
    }
  });

  it('offline browser Experience events: events queue locally and flush when the browser is back online', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    goOffline();
    equal(sdk.state.online, false);
    const result = await sdk.page();
    ok(result.accepted);
    equal(result.data, undefined, 'no new profile data while offline');
    equal(sdk.state.requestState.status, 'failed');
    equal((sdk.state.requestState as { reason: string }).reason, 'offline');
    await sdk.track({ event: 'while-offline' });
    equal((await experienceRequestsFor(sdk.config.clientId)).length, 0);
    goOnline();
    const [req] = await waitFor(() => experienceRequestsFor(sdk.config.clientId).then((r) => r.length ? r : undefined), 3000, 'flush on online');
    deepEqual(req!.body.events.map((e: { type: string }) => e.type), ['page', 'track']);
    await waitFor(() => sdk.state.profile, 2000, 'profile after the flush');
    equal(sdk.state.requestState.status, 'success');
  });

  it('missing browser profile for Insights: events wait for a profile and are delivered once an Experience call returned one', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, insights: { flushIntervalMs: 50 } });
    await sdk.trackClick(click);
    await sdk.flush(); // the pass the interval would make too: no profile, nothing to send
    equal((await insightsEventsFor(sdk.config.clientId)).length, 0, 'no profile yet: nothing sent');
    const { data } = await sdk.page();
    const events = await waitFor(async () => { const e = await insightsEventsFor(sdk.config.clientId); return e.length ? e : undefined; }, 3000);
    equal(events.length, 1);
    equal(events[0].profileId, data!.profile.id);
    equal(events[0].event.type, 'component_click');
  });

  it('server uses preflight for normal flows: preflight (?type=preflight) evaluates but stores nothing', async () => {
    const sdk = createRuntime({ defaults: { consent: true }, api: { preflight: true } });
    const { data } = await sdk.page({ properties: { path: '/pricing' } });
    ok(data?.profile.id, 'the evaluated profile is returned');
    const [req] = await experienceRequestsFor(sdk.config.clientId);
    equal(req!.query.type, 'preflight');
    equal((await profilesFor(sdk.config.clientId)).length, 0, 'the emulator stored no profile');
    equal(localStorage.getItem(K.anonymousId), null, 'not a profile id to continue');
    equal(readCookieValue('ctfl-opt-aid'), undefined);
  });

  it('full profile serialized unnecessarily: the shared cookie holds only the profile id', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.identify({ userId: 'ada', traits: { firstname: 'Ada' } });
    const cookie = await cookieInfo('ctfl-opt-aid');
    equal(cookie?.value, data!.profile.id);
    ok(!cookie!.value.includes('Ada') && !cookie!.value.includes('{'));
  });
});
