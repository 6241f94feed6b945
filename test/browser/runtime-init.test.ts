// profile-synchronization.txt, "The effective initialization order is" (six steps) and the
// browser profile-selection priority. Each test builds the browser state a previous visit or a
// server would leave (localStorage, cookies, the handoff element), constructs a runtime, and checks
// the state it starts from and the requests the emulator then receives.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  addHandoff, clearBrowserState, cookieInfo, createRuntime, destroyRuntimes, experienceRequestsFor, makeProfile,
  profileIdInPath, readCookieValue, serverSetCookie,
} from '../helpers/browser.js';

const K = {
  anonymousId: '__ctfl_opt_anonymous_id__',
  consent: '__ctfl_opt_consent__',
  persistenceConsent: '__ctfl_opt_persistence_consent__',
  profile: '__ctfl_opt_profile__',
  selectedOptimizations: '__ctfl_opt_selected-optimizations__',
  changes: '__ctfl_opt_changes__',
  legacyConsent: '__nt-consent__',
};

const selection = (experienceId: string, variantIndex = 1) => [{ experienceId, variantIndex, variants: { baseline1: 'variant1' } }];
const change = (key: string, value: unknown) => [{ key, type: 'Variable' as const, value: value as never, meta: { experienceId: 'exp1', variantIndex: 1 } }];

/** What a previous visit with persistence consent left in localStorage. */
function storePreviousVisit(id: string) {
  localStorage.setItem(K.anonymousId, id);
  localStorage.setItem(K.profile, JSON.stringify(makeProfile(id)));
  localStorage.setItem(K.selectedOptimizations, JSON.stringify(selection('stored-exp')));
  localStorage.setItem(K.changes, JSON.stringify(change('stored-flag', 'stored')));
}

describe('initialization order (profile-synchronization.txt)', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  describe('step 1: resolve consent and persistence consent', () => {
    it('step 1: explicit defaults win over stored consent values', () => {
      localStorage.setItem(K.consent, 'denied');
      localStorage.setItem(K.persistenceConsent, 'denied');
      const sdk = createRuntime({ defaults: { consent: true } });
      equal(sdk.state.consent, true);
      equal(sdk.state.persistenceConsent, true);
    });

    it('step 1: defaults.persistenceConsent wins over defaults.consent for persistence', () => {
      const sdk = createRuntime({ defaults: { consent: true, persistenceConsent: false } });
      equal(sdk.state.consent, true);
      equal(sdk.state.persistenceConsent, false);
    });

    it('step 1: boolean defaults.consent maps to both event and persistence consent', () => {
      equal(createRuntime({ defaults: { consent: false } }).state.persistenceConsent, false);
      const sdk = createRuntime({ defaults: { consent: true } });
      deepEqual(sdk.consentState, { events: true, persistence: true });
    });

    it("step 1: stored __ctfl_opt_consent__ / __ctfl_opt_persistence_consent__ 'accepted' and 'denied' are restored", async () => {
      localStorage.setItem(K.consent, 'accepted');
      localStorage.setItem(K.persistenceConsent, 'denied');
      const sdk = createRuntime();
      equal(sdk.state.consent, true);
      equal(sdk.state.persistenceConsent, false);
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(req!.body.events[0].context.gdpr.isConsentGiven, true, 'restored event consent reaches the wire');
      equal(localStorage.getItem(K.profile), null, 'denied persistence: nothing durable');
    });

    it('step 1: without stored values or defaults both consents stay undefined', () => {
      const sdk = createRuntime();
      equal(sdk.state.consent, undefined);
      equal(sdk.state.persistenceConsent, undefined);
    });

    it('step 1: consent({events: true}) is restored on the next load without granting persistence consent', () => {
      createRuntime().consent({ events: true });
      const next = createRuntime();
      equal(next.state.consent, true);
      equal(next.state.persistenceConsent, undefined);
    });

    it('step 1: an unknown stored consent value is removed, not used', () => {
      localStorage.setItem(K.consent, 'yes please');
      const sdk = createRuntime();
      equal(sdk.state.consent, undefined);
      equal(localStorage.getItem(K.consent), null);
    });

    it("step 1: legacy __nt-consent__='accepted' restores consent, is migrated and removed", () => {
      localStorage.setItem(K.legacyConsent, 'accepted');
      const sdk = createRuntime();
      equal(sdk.state.consent, true);
      equal(sdk.state.persistenceConsent, true, 'legacy accepted consent maps to both');
      equal(localStorage.getItem(K.consent), 'accepted');
      equal(localStorage.getItem(K.legacyConsent), null);
    });

    it('step 1: a stored current value wins over legacy accepted consent', () => {
      localStorage.setItem(K.consent, 'denied');
      localStorage.setItem(K.legacyConsent, 'accepted');
      const sdk = createRuntime();
      equal(sdk.state.consent, false);
      equal(localStorage.getItem(K.legacyConsent), null);
    });
  });

  describe('step 2: merge explicit defaults', () => {
    it('step 2: defaults.profile, selectedOptimizations and changes seed in-memory state', async () => {
      const sdk = createRuntime({
        defaults: { profile: makeProfile('seeded'), selectedOptimizations: selection('seed-exp'), changes: change('seed-flag', 'on') },
      });
      equal(sdk.state.profile?.id, 'seeded');
      equal(sdk.state.selectedOptimizations?.[0]?.experienceId, 'seed-exp');
      equal(sdk.getFlag('seed-flag'), 'on');
      // Defaults are in-memory only: persistence consent is undefined, so nothing durable.
      equal(localStorage.getItem(K.profile), null);
      equal(readCookieValue('ctfl-opt-aid'), undefined);
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), 'seeded', 'the seeded profile is the one the next event updates');
    });

    it('step 2: the handoff element <script type="application/json" id="ctfl-optimization-data"> seeds state', () => {
      addHandoff(JSON.stringify({ profile: makeProfile('from-server'), selectedOptimizations: selection('server-exp'), changes: change('server-flag', 3) }));
      const sdk = createRuntime();
      equal(sdk.state.profile?.id, 'from-server');
      equal(sdk.state.selectedOptimizations?.[0]?.experienceId, 'server-exp');
      equal(sdk.getFlag('server-flag'), 3);
    });

    it('step 2: a handoff element with invalid JSON is ignored', () => {
      addHandoff('{"profile": {"id": "broken"');
      const sdk = createRuntime({ defaults: { profile: makeProfile('default-one') } });
      equal(sdk.state.profile?.id, 'default-one');
    });

    it('step 2: a handoff element with the wrong shape is ignored', () => {
      addHandoff(JSON.stringify({ profile: { id: 'no-other-fields' }, selectedOptimizations: 'nope', changes: [] }));
      const sdk = createRuntime();
      equal(sdk.state.profile, undefined);
      equal(sdk.state.selectedOptimizations, undefined);
    });

    it('step 2: a handoff element that is not a <script type="application/json"> is ignored', () => {
      const valid = JSON.stringify({ profile: makeProfile('from-server'), selectedOptimizations: [], changes: [] });
      const el = addHandoff(valid, { type: 'text/plain' });
      equal(createRuntime().state.profile, undefined, 'wrong script type');
      el.remove();
      addHandoff(valid, { tag: 'div' });
      equal(createRuntime().state.profile, undefined, 'not a script element');
    });
  });

  describe('step 3: persisted profile continuity only with persistence consent', () => {
    it('step 3: persisted profile, selections and changes load when persistence consent resolves to true', () => {
      storePreviousVisit('returning');
      localStorage.setItem(K.persistenceConsent, 'accepted');
      const sdk = createRuntime();
      equal(sdk.state.profile?.id, 'returning');
      equal(sdk.state.selectedOptimizations?.[0]?.experienceId, 'stored-exp');
      equal(sdk.getFlag('stored-flag'), 'stored');
    });

    it('step 3: persisted state is not loaded while persistence consent is undefined (and is left in place)', async () => {
      storePreviousVisit('returning');
      localStorage.setItem(K.consent, 'accepted'); // event consent only
      const sdk = createRuntime();
      equal(sdk.state.persistenceConsent, undefined);
      equal(sdk.state.profile, undefined);
      equal(sdk.state.selectedOptimizations, undefined);
      equal(sdk.state.changes, undefined);
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), undefined, 'the stored anonymous id is not used either');
      ok(localStorage.getItem(K.profile), 'undefined consent neither loads nor clears');
    });

    it('step 3: persisted state is cleared when persistence consent resolves to false', () => {
      storePreviousVisit('returning');
      document.cookie = 'ctfl-opt-aid=returning; Path=/';
      const sdk = createRuntime({ defaults: { persistenceConsent: false } });
      equal(sdk.state.profile, undefined);
      for (const key of [K.anonymousId, K.profile, K.selectedOptimizations, K.changes]) equal(localStorage.getItem(key), null, key);
      equal(readCookieValue('ctfl-opt-aid'), undefined);
    });

    it('step 3: explicit defaults still seed in-memory state when persisted state loads', () => {
      storePreviousVisit('returning');
      const sdk = createRuntime({
        defaults: { consent: true, profile: makeProfile('returning'), selectedOptimizations: selection('explicit-exp') },
      });
      equal(sdk.state.selectedOptimizations?.[0]?.experienceId, 'explicit-exp', 'explicit default wins');
      equal(sdk.getFlag('stored-flag'), 'stored', 'persisted changes fill what defaults do not give');
    });
  });

  describe('step 4: initialize state with the merged values', () => {
    it('step 4: one snapshot holds the merged defaults, persisted values and consent', () => {
      storePreviousVisit('returning');
      const sdk = createRuntime({ defaults: { consent: true, changes: change('explicit-flag', true) } });
      const seen: unknown[] = [];
      const off = sdk.subscribe((s) => seen.push(s));
      off();
      equal(seen.length, 1);
      const s = seen[0] as typeof sdk.state;
      equal(s, sdk.state, 'subscribers receive the current snapshot object');
      equal(s.profile?.id, 'returning');
      equal(s.selectedOptimizations?.[0]?.experienceId, 'stored-exp');
      equal(s.changes?.[0]?.key, 'explicit-flag');
      equal(s.consent, true);
      deepEqual(s.requestState, { status: 'idle' });
    });
  });

  describe('step 5: anonymous-id cookies only with persistence consent', () => {
    it('step 5: ctfl-opt-aid is read when persistence consent resolves to true', async () => {
      document.cookie = 'ctfl-opt-aid=server-made-id; Path=/';
      const sdk = createRuntime({ defaults: { consent: true } });
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), 'server-made-id');
    });

    it('step 5: ctfl-opt-aid is not read while persistence consent is undefined', async () => {
      document.cookie = 'ctfl-opt-aid=server-made-id; Path=/';
      const sdk = createRuntime({ defaults: {} });
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), undefined);
      equal(readCookieValue('ctfl-opt-aid'), 'server-made-id', 'and it is left alone');
    });

    it('step 5: the legacy ntaid cookie is migrated to ctfl-opt-aid and removed', async () => {
      document.cookie = 'ntaid=legacy-visitor; Path=/';
      const sdk = createRuntime({ defaults: { consent: true } });
      equal(readCookieValue('ntaid'), undefined, 'legacy cookie removed');
      equal(readCookieValue('ctfl-opt-aid'), 'legacy-visitor', 'value migrated');
      equal((await cookieInfo('ctfl-opt-aid'))?.path, '/');
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), 'legacy-visitor');
    });

    it('step 5: the legacy ntaid cookie is not read without persistence consent', async () => {
      document.cookie = 'ntaid=legacy-visitor; Path=/';
      const sdk = createRuntime();
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), undefined);
    });
  });

  describe('step 6: a cookie that differs from the stored anonymous id is adopted', () => {
    it('step 6: a cookie differing from the stored anonymous id and from profile.id clears active and cached state, then is adopted', async () => {
      storePreviousVisit('old-visitor');
      await serverSetCookie('ctfl-opt-aid', 'server-visitor');
      const sdk = createRuntime({ defaults: { consent: true } });
      equal(sdk.state.profile, undefined, 'active profile cleared');
      equal(sdk.state.selectedOptimizations, undefined, 'active selections cleared');
      equal(sdk.state.changes, undefined, 'active changes cleared');
      equal(localStorage.getItem(K.profile), null, 'cached profile cleared');
      equal(localStorage.getItem(K.selectedOptimizations), null, 'cached selections cleared');
      equal(localStorage.getItem(K.anonymousId), 'server-visitor');
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), 'server-visitor');
    });

    it('step 6: a cookie matching the active profile.id keeps active state and writes it to localStorage', () => {
      storePreviousVisit('old-anon');
      localStorage.setItem(K.profile, JSON.stringify(makeProfile('merged-profile')));
      document.cookie = 'ctfl-opt-aid=merged-profile; Path=/';
      const sdk = createRuntime({ defaults: { consent: true } });
      equal(sdk.state.profile?.id, 'merged-profile', 'active profile kept');
      equal(sdk.state.selectedOptimizations?.[0]?.experienceId, 'stored-exp', 'selections kept');
      equal(localStorage.getItem(K.anonymousId), 'merged-profile');
      ok(localStorage.getItem(K.selectedOptimizations), 'cache kept');
    });

    it('step 6: a cookie equal to the stored anonymous id changes nothing', () => {
      storePreviousVisit('same-visitor');
      document.cookie = 'ctfl-opt-aid=same-visitor; Path=/';
      const sdk = createRuntime({ defaults: { consent: true } });
      equal(sdk.state.profile?.id, 'same-visitor');
      equal(sdk.state.selectedOptimizations?.[0]?.experienceId, 'stored-exp');
    });

    it('step 6: the cookie adoption check runs when persistence consent is granted later', async () => {
      document.cookie = 'ctfl-opt-aid=server-visitor; Path=/';
      const sdk = createRuntime({ defaults: { consent: true, persistenceConsent: false } });
      // persistenceConsent false cleared the cookie at start: the server sets it again (a later response).
      await serverSetCookie('ctfl-opt-aid', 'server-visitor');
      const first = await sdk.page();
      const browserMade = first.data!.profile.id;
      ok(browserMade && browserMade !== 'server-visitor');
      sdk.consent({ persistence: true });
      equal(sdk.state.profile, undefined, 'the session profile differs from the cookie: cleared');
      equal(localStorage.getItem(K.anonymousId), 'server-visitor');
      await sdk.page();
      const reqs = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(reqs[1]!), 'server-visitor');
    });

    it('step 6: an invalid cookie value is ignored and removed', async () => {
      document.cookie = `ctfl-opt-aid=${encodeURIComponent('<script>')}; Path=/`;
      const sdk = createRuntime({ defaults: { consent: true } });
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), undefined);
      notPresent(localStorage.getItem(K.anonymousId), '<script>');
    });
  });

  describe('profile selection priority: getAnonymousId → profile.id → none', () => {
    it('priority 1: getAnonymousId (the stored anonymous id with persistence consent) selects the profile', async () => {
      localStorage.setItem(K.anonymousId, 'stored-anon');
      const sdk = createRuntime({ defaults: { consent: true } });
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(req!.path, `/v2/organizations/${sdk.config.clientId}/environments/main/profiles/stored-anon`);
    });

    it('priority 1: a configured getAnonymousId wins over the in-memory profile.id', async () => {
      const sdk = createRuntime({ getAnonymousId: () => 'app-chosen-id', defaults: { profile: makeProfile('in-memory') } });
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), 'app-chosen-id');
    });

    it('priority 2: without an anonymous id the in-memory profile.id selects the profile', async () => {
      localStorage.setItem(K.anonymousId, 'not-used-without-persistence');
      const sdk = createRuntime({ defaults: { profile: makeProfile('in-memory') } });
      await sdk.page();
      const [req] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(req!), 'in-memory');
    });

    it('priority 3: with neither, POST /profiles lets the API create a profile, whose id the next event uses', async () => {
      const sdk = createRuntime();
      const first = await sdk.page();
      await sdk.identify({ userId: 'user-1' });
      const [a, b] = await experienceRequestsFor(sdk.config.clientId);
      equal(a!.path, `/v2/organizations/${sdk.config.clientId}/environments/main/profiles`);
      equal(profileIdInPath(b!), first.data!.profile.id);
    });
  });
});

function notPresent(actual: string | null, forbidden: string) {
  ok(actual === null || !actual.includes(forbidden), `"${forbidden}" must not be stored`);
}
