// profile-synchronization.txt "Browser persistence" and wire-format.md "Reference browser SDK
// storage": the localStorage keys, legacy migration, validated reads, best-effort writes and the
// ctfl-opt-aid cookie's attributes.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, cookieInfo, createRuntime, destroyRuntimes, experienceRequestsFor, fullStorage, makeProfile,
  nextTask, profileIdInPath, readCookieValue, stateEntriesKey, watchPageErrors,
} from '../helpers/browser.js';
import { writeCookie, removeCookie } from '../../src/browser/cookies.js';

const K = {
  anonymousId: '__ctfl_opt_anonymous_id__',
  profile: '__ctfl_opt_profile__',
  selectedOptimizations: '__ctfl_opt_selected-optimizations__',
  changes: '__ctfl_opt_changes__',
};
const LEGACY = {
  anonymousId: '__nt_anonymous_id__',
  profile: '__nt_profile__',
  experiences: '__nt_experiences__',
  changes: '__nt_changes__',
};
const selections = [{ experienceId: 'exp-a', variantIndex: 1, variants: { base: 'var' } }];
const changes = [{ key: 'flag-a', type: 'Variable', value: { value: 42 }, meta: { experienceId: 'exp-a', variantIndex: 1 } }];
const DAY = 86_400_000;

/**
 * A document that only records the cookie strings written to it. The attributes `Domain` (for a
 * domain other than this page's) and `Secure` (on https) cannot be produced or observed from an
 * http://localhost page, so these checks read the string the runtime writes.
 */
function cookieRecorder(protocol = 'http:') {
  const written: string[] = [];
  const doc = { location: { protocol, hostname: 'www.example.test' }, get cookie() { return ''; }, set cookie(v: string) { written.push(v); } };
  return { doc: doc as unknown as Document, written };
}

describe('browser persistence', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  it('reference localStorage keys: anonymous id, profile, selected optimizations and changes after an Experience response', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const { data } = await sdk.page();
    // and the durable client-state entries of the answer (the emulator sends some with maxAge)
    deepEqual(Object.keys(localStorage).sort(), [K.anonymousId, K.changes, K.profile, K.selectedOptimizations, stateEntriesKey(sdk.config.clientId)].sort());
    equal(localStorage.getItem(K.anonymousId), data!.profile.id);
    deepEqual(JSON.parse(localStorage.getItem(K.profile)!), sdk.state.profile);
    deepEqual(JSON.parse(localStorage.getItem(K.selectedOptimizations)!), sdk.state.selectedOptimizations);
    deepEqual(JSON.parse(localStorage.getItem(K.changes)!), sdk.state.changes);
  });

  it('persistence consent granted later writes the active profile, selections, changes and cookie', async () => {
    const sdk = createRuntime();
    const { data } = await sdk.page();
    equal(localStorage.getItem(K.profile), null, 'nothing durable before persistence consent');
    sdk.consent(true);
    equal(localStorage.getItem(K.anonymousId), data!.profile.id);
    deepEqual(JSON.parse(localStorage.getItem(K.profile)!), data!.profile);
    deepEqual(JSON.parse(localStorage.getItem(K.selectedOptimizations)!), data!.selectedOptimizations);
    equal(readCookieValue('ctfl-opt-aid'), data!.profile.id);
  });

  it('legacy __nt_* keys are migrated to the current keys and removed', async () => {
    localStorage.setItem(LEGACY.anonymousId, 'legacy-visitor');
    localStorage.setItem(LEGACY.profile, JSON.stringify(makeProfile('legacy-visitor')));
    localStorage.setItem(LEGACY.experiences, JSON.stringify(selections));
    localStorage.setItem(LEGACY.changes, JSON.stringify(changes));
    const sdk = createRuntime({ defaults: { consent: true } });
    equal(sdk.state.profile?.id, 'legacy-visitor');
    equal(sdk.state.selectedOptimizations?.[0]?.experienceId, 'exp-a');
    equal(sdk.getFlag('flag-a'), 42);
    for (const key of Object.values(LEGACY)) equal(localStorage.getItem(key), null, key);
    equal(localStorage.getItem(K.anonymousId), 'legacy-visitor');
    deepEqual(JSON.parse(localStorage.getItem(K.selectedOptimizations)!), selections);
    await sdk.page();
    equal(profileIdInPath((await experienceRequestsFor(sdk.config.clientId))[0]!), 'legacy-visitor');
  });

  it('legacy __nt_* keys with invalid values are removed, never migrated', () => {
    localStorage.setItem(LEGACY.anonymousId, 'not an id!');
    localStorage.setItem(LEGACY.profile, '{"id":');
    localStorage.setItem(LEGACY.experiences, JSON.stringify({ not: 'an array' }));
    const sdk = createRuntime({ defaults: { consent: true } });
    equal(sdk.state.profile, undefined);
    equal(sdk.state.selectedOptimizations, undefined);
    deepEqual(Object.keys(localStorage), []);
  });

  it('legacy continuity keys and the legacy ntaid cookie are cleared when persistence consent is false', () => {
    localStorage.setItem(LEGACY.anonymousId, 'legacy-visitor');
    localStorage.setItem(LEGACY.profile, JSON.stringify(makeProfile('legacy-visitor')));
    localStorage.setItem(LEGACY.experiences, JSON.stringify(selections));
    localStorage.setItem(LEGACY.changes, JSON.stringify(changes));
    document.cookie = 'ntaid=legacy-visitor; Path=/';
    createRuntime({ defaults: { consent: false } });
    deepEqual(Object.keys(localStorage).filter((k) => k.startsWith('__nt')), []);
    equal(readCookieValue('ntaid'), undefined);
  });

  describe('every read is validated: malformed JSON and wrong shapes are removed, never used', () => {
    const cases: Array<[string, string, string]> = [
      ['profile', K.profile, '{"id": "trunc'],
      ['profile', K.profile, JSON.stringify({ id: 'missing-fields' })],
      ['profile', K.profile, JSON.stringify({ ...makeProfile('x'), id: '../../etc' })],
      ['selected optimizations', K.selectedOptimizations, 'not json'],
      ['selected optimizations', K.selectedOptimizations, JSON.stringify([{ experienceId: 'e', variantIndex: -1, variants: {} }])],
      ['changes', K.changes, JSON.stringify([{ key: 'k', type: 'Feature', value: 1, meta: { experienceId: 'e', variantIndex: 0 } }])],
      ['changes', K.changes, 'null'],
      ['anonymous id', K.anonymousId, 'has spaces; path=/'],
    ];
    for (const [what, key, raw] of cases) {
      it(`a stored ${what} of ${raw.slice(0, 40)} is removed, not used`, async () => {
        localStorage.setItem(key, raw);
        const sdk = createRuntime({ defaults: { consent: true } });
        equal(localStorage.getItem(key), null);
        equal(sdk.state.profile, undefined);
        equal(sdk.state.selectedOptimizations, undefined);
        equal(sdk.state.changes, undefined);
        await sdk.page();
        equal(profileIdInPath((await experienceRequestsFor(sdk.config.clientId))[0]!), undefined);
      });
    }
  });

  it('a full storage (QuotaExceededError on every write) never breaks in-memory state', async () => {
    const errors = watchPageErrors();
    const storage = fullStorage();
    const sdk = createRuntime({ defaults: { consent: true } }, { storage });
    const { data } = await sdk.page();
    ok(storage.writes > 0, 'the runtime tried to write');
    equal(sdk.state.profile?.id, data!.profile.id, 'state is published anyway');
    equal(sdk.state.requestState.status, 'success');
    sdk.consent({ events: true, persistence: true });
    await sdk.identify({ userId: 'u-1' });
    equal(profileIdInPath((await experienceRequestsFor(sdk.config.clientId))[1]!), data!.profile.id, 'continuity within the session');
    await sdk.flush();
    await nextTask();
    deepEqual(errors.stop(), []);
  });

  it('a storage that throws on every access (blocked) leaves the runtime working from memory', async () => {
    // Sandboxed iframes and some privacy settings make every localStorage access throw a
    // SecurityError; a page cannot put itself in that state, hence the fake.
    const deny = () => { throw new DOMException('access denied', 'SecurityError'); };
    const storage = { getItem: deny, setItem: deny, removeItem: deny, clear: deny, key: deny, get length() { return deny(); } } as unknown as Storage;
    const sdk = createRuntime({ defaults: { consent: true } }, { storage });
    const { data } = await sdk.page();
    equal(sdk.state.profile?.id, data!.profile.id);
    sdk.consent(false);
    equal(sdk.state.consent, false);
  });

  describe('the ctfl-opt-aid cookie', () => {
    it('is written with Path=/, SameSite=Lax and 365 days by default, readable by script', async () => {
      const sdk = createRuntime({ defaults: { consent: true } });
      const { data } = await sdk.page();
      const c = await cookieInfo('ctfl-opt-aid');
      equal(c?.value, data!.profile.id);
      equal(c?.path, '/');
      equal(c?.sameSite, 'lax');
      equal(c?.secure, false, 'http page: no Secure');
      ok(Math.abs(c!.expires! - (Date.now() + 365 * DAY)) < 60_000, `expires ${new Date(c!.expires!).toISOString()}`);
      equal(readCookieValue('ctfl-opt-aid'), data!.profile.id, 'not HttpOnly');
    });

    it('expiry follows cookie.expires (days)', async () => {
      const sdk = createRuntime({ defaults: { consent: true }, cookie: { expires: 7 } });
      await sdk.page();
      const c = await cookieInfo('ctfl-opt-aid');
      ok(Math.abs(c!.expires! - (Date.now() + 7 * DAY)) < 60_000, `expires ${new Date(c!.expires!).toISOString()}`);
    });

    it('the cookie.domain option writes and removes the cookie for that domain', async () => {
      const sdk = createRuntime({ defaults: { consent: true }, cookie: { domain: location.hostname } });
      const { data } = await sdk.page();
      equal((await cookieInfo('ctfl-opt-aid'))?.value, data!.profile.id);
      sdk.reset();
      equal(await cookieInfo('ctfl-opt-aid'), undefined);
    });

    it('the cookie.domain option is written as Domain=… with Path=/ and SameSite=Lax', () => {
      const { doc, written } = cookieRecorder();
      writeCookie('ctfl-opt-aid', 'abc', { domain: '.example.test', maxAgeSeconds: 30 * 86400 }, doc);
      equal(written[0], 'ctfl-opt-aid=abc; Path=/; SameSite=Lax; Max-Age=2592000; Domain=.example.test');
      removeCookie('ctfl-opt-aid', { domain: '.example.test' }, doc);
      ok(written.slice(1).some((c) => c.includes('Domain=.example.test') && c.includes('Max-Age=0')), 'removal covers the domain cookie');
    });

    it('on https the cookie is Secure', () => {
      const { doc, written } = cookieRecorder('https:');
      writeCookie('ctfl-opt-aid', 'abc', {}, doc);
      ok(written[0]!.endsWith('; Secure'), written[0]);
    });
  });
});
