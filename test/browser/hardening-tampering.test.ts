// Hardening: tampered durable state. Every localStorage key the SDK reads (state entries included),
// the IndexedDB queue records, state entries in API answers and the ctfl-opt-aid cookie are
// filled with malformed, oversized and wrong-shape values (test/fixtures/tamper-values.ts) and with
// prototype-pollution keys. Each must be ignored — never used, never sent to the API — and removed,
// without an exception reaching the page and without polluting Object.prototype. A cookie is a
// profile id only when it has the id format.
import { createStore, entries as idbEntries, get as idbGet, set as idbSet, clear as idbClear } from 'idb-keyval';
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, experienceRequestsFor, injectFault, insightsRequestsFor, makeProfile,
  profileIdInPath, readCookieValue, readStoredStateEntries, requestsFor, responseBody, stateEntryPrefix, uniqueOrg, waitFor,
  watchPageErrors, writeStoredStateEntries,
} from '../helpers/browser.js';
import { TAMPER_VALUES } from '../fixtures/tamper-values.js';

const K = {
  anonymousId: '__ctfl_opt_anonymous_id__',
  consent: '__ctfl_opt_consent__',
  persistenceConsent: '__ctfl_opt_persistence_consent__',
  profile: '__ctfl_opt_profile__',
  selectedOptimizations: '__ctfl_opt_selected-optimizations__',
  changes: '__ctfl_opt_changes__',
  debug: '__ctfl_opt_debug__',
};
const LEGACY = {
  anonymousId: '__nt_anonymous_id__',
  profile: '__nt_profile__',
  experiences: '__nt_experiences__',
  changes: '__nt_changes__',
  consent: '__nt-consent__',
};
/**
 * Some tamper values happen to be valid for a key — `null`, `42` and `true` have the profile id
 * format (URL-safe, 1–128 characters), `[]` is an empty list of selections or changes — and are
 * rightly kept: the tables leave them out for those keys.
 */
const ID_FORMAT = /^[A-Za-z0-9_-]{1,128}$/;
const ID_KEYS = new Set(['__ctfl_opt_anonymous_id__', '__nt_anonymous_id__', 'ctfl-opt-aid']);
const LIST_KEYS = new Set(['__ctfl_opt_selected-optimizations__', '__ctfl_opt_changes__', '__nt_experiences__', '__nt_changes__']);
const unquoted = (key: string, raw: string) => (key === 'ctfl-opt-aid' ? raw.replace(/^"(.*)"$/, '$1') : raw);
const malformedFor = (key: string) => ([, raw]: readonly [string, string]) =>
  !(ID_KEYS.has(key) && ID_FORMAT.test(unquoted(key, raw))) && !(LIST_KEYS.has(key) && raw === '[]') && !(key === '__ctfl_opt_debug__' && raw === 'true');

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
const queueStore = () => createStore('ctfl-optimization-queue', 'queues');
const notPolluted = (what: string) => {
  equal(({} as Record<string, unknown>).polluted, undefined, `${what}: Object.prototype.polluted`);
  equal((Object.prototype as Record<string, unknown>).polluted, undefined, `${what}: Object.prototype`);
};

/** Wrong-shape values that only make sense for one key (valid JSON, wrong for that key). */
const PER_KEY: Record<string, Array<[string, string]>> = {
  [K.profile]: [
    ['a profile without session', JSON.stringify({ ...makeProfile('p'), session: undefined })],
    ['a profile whose id has markup', JSON.stringify(makeProfile('<script>__xss()</script>'))],
    ['a profile with an id of 10 KB', JSON.stringify(makeProfile('a'.repeat(10_240)))],
    ['a profile whose trait is nested 100,000 levels deep', JSON.stringify(makeProfile('p', { x: 'DEEP' })).replace('"DEEP"', deep(100_000))],
    // Valid profiles but for a __proto__ key, which the SDK never writes: a tampered value.
    ['a profile with a __proto__ key', JSON.stringify(makeProfile('p')).replace('{', '{"__proto__":{"polluted":"yes"},')],
    ['a profile whose traits hold a __proto__ key', JSON.stringify(makeProfile('p', { a: 1 })).replace('"traits":{', '"traits":{"__proto__":{"polluted":"yes"},')],
    ['a profile with an escaped \\u005f_proto__ key', JSON.stringify(makeProfile('p')).replace('{', '{"\\u005f_proto__":{"polluted":"yes"},')],
  ],
  [K.selectedOptimizations]: [
    ['a selection with variantIndex -1', JSON.stringify([{ experienceId: 'e', variantIndex: -1, variants: {} }])],
    ['a selection whose variants map to numbers', JSON.stringify([{ experienceId: 'e', variantIndex: 1, variants: { a: 1 } }])],
    ['a selection that is an object', JSON.stringify({ experienceId: 'e', variantIndex: 0, variants: {} })],
  ],
  [K.changes]: [
    ['a change of type Feature', JSON.stringify([{ key: 'k', type: 'Feature', value: 1, meta: { experienceId: 'e', variantIndex: 0 } }])],
    ['a change without meta', JSON.stringify([{ key: 'k', type: 'Variable', value: 1 }])],
    ['a change whose value is nested 100,000 levels deep', JSON.stringify([{ key: 'k', type: 'Variable', value: 'DEEP', meta: { experienceId: 'e', variantIndex: 0 } }]).replace('"DEEP"', deep(100_000))],
  ],
  [K.consent]: [['a value other than accepted/denied', 'granted'], ['upper case', 'ACCEPTED']],
  [K.persistenceConsent]: [['a value other than accepted/denied', 'granted'], ['upper case', 'DENIED']],
  [K.debug]: [['a value other than true/false', 'yes']],
};

describe('tampered durable state is ignored and removed', () => {
  let errors: ReturnType<typeof watchPageErrors>;
  beforeEach(async () => {
    await clearBrowserState();
    await idbClear(queueStore()).catch(() => {});
    errors = watchPageErrors();
  });
  afterEach(() => {
    destroyRuntimes();
    deepEqual(errors.stop(), [], 'no exception reached the page');
    notPolluted('after the test');
  });

  // -----------------------------------------------------------------------------------------------
  // localStorage: continuity keys (read with persistence consent)

  for (const [label, key, field] of [
    ['anonymous id', K.anonymousId, undefined],
    ['profile', K.profile, 'profile'],
    ['selected optimizations', K.selectedOptimizations, 'selectedOptimizations'],
    ['changes', K.changes, 'changes'],
  ] as const) {
    const rows = [...TAMPER_VALUES.filter(malformedFor(key)), ...(PER_KEY[key] ?? [])];
    it(`localStorage ${key} (${rows.length} values): ignored, removed, and the next event creates a fresh profile`, async function () {
      this.timeout(60_000);
      for (const [name, raw] of rows) {
        await clearBrowserState();
        localStorage.setItem(key, raw);
        const sdk = createRuntime({ defaults: { consent: true } });
        const what = `${label} = ${name}`;
        equal(localStorage.getItem(key), null, `${what}: removed`);
        if (field) equal(sdk.state[field], undefined, `${what}: not in state`);
        equal(sdk.anonymousId, undefined, `${what}: not a profile id`);
        await sdk.page();
        const [request] = await experienceRequestsFor(sdk.config.clientId);
        equal(profileIdInPath(request!), undefined, `${what}: the first event created a profile`);
        ok(!JSON.stringify(request!.body).includes('polluted'), `${what}: nothing of it was sent`);
        notPolluted(what);
        sdk.destroy();
      }
    });
  }

  // -----------------------------------------------------------------------------------------------
  // localStorage: consent keys and the debug flag (read always)

  for (const [key, field] of [[K.consent, 'consent'], [K.persistenceConsent, 'persistenceConsent'], [K.debug, undefined]] as const) {
    const rows = [...TAMPER_VALUES.filter(malformedFor(key)), ...(PER_KEY[key] ?? [])];
    it(`localStorage ${key} (${rows.length} values): ignored and removed`, async function () {
      this.timeout(30_000);
      for (const [name, raw] of rows) {
        await clearBrowserState();
        localStorage.setItem(key, raw);
        const sdk = createRuntime();
        equal(localStorage.getItem(key), null, `${key} = ${name}: removed`);
        if (field) equal(sdk.state[field], undefined, `${key} = ${name}: no consent decision`);
        notPolluted(name);
        sdk.destroy();
      }
    });
  }

  const legacyRows = Object.values(LEGACY).flatMap((key) => TAMPER_VALUES.filter(malformedFor(key)).map(([name, raw]) => [key, name, raw] as const));
  it(`legacy __nt_* keys (${legacyRows.length} key/value pairs): removed, never migrated`, async function () {
    this.timeout(60_000);
    {
      for (const [legacyKey, name, raw] of legacyRows) {
        await clearBrowserState();
        localStorage.setItem(legacyKey, raw);
        const sdk = createRuntime({ defaults: { persistenceConsent: true } });
        const what = `${legacyKey} = ${name}`;
        deepEqual(Object.keys(localStorage).filter((k) => k !== K.persistenceConsent), [], `${what}: removed and not migrated`);
        equal(sdk.state.profile, undefined, what);
        equal(sdk.state.consent, undefined, `${what}: no consent`);
        equal(sdk.anonymousId, undefined, what);
        sdk.destroy();
      }
    }
  });

  // -----------------------------------------------------------------------------------------------
  // The ctfl-opt-aid cookie

  // A quoted value is read without its quotes (RFC 6265 allows them), as the server entry reads it.
  const validIds = ['3b1f2c0e-8d5a-4c1e-9a77-1f0c3d2b4a11', 'abc_DEF-123', 'a'.repeat(128), '"quoted-id"'];
  const cookieRows: Array<[string, string]> = [
    ...TAMPER_VALUES.filter(malformedFor('ctfl-opt-aid')).map(([name, raw]): [string, string] => [`${name} (percent-encoded)`, encodeURIComponent(raw)]),
    // As a careless server would write them: unencoded (the browser keeps what it can).
    ...TAMPER_VALUES.filter(malformedFor('ctfl-opt-aid')).filter(([, raw]) => !/[;\u0000-\u001f]/.test(raw)).map(([name, raw]): [string, string] => [`${name} (raw)`, raw]),
    ['129 characters', 'a'.repeat(129)],
    ['a quoted id with markup', '"<b>"'],
    ['an id with a space', 'abc%20def'],
  ];

  it(`ctfl-opt-aid (${cookieRows.length} malformed values): never used as the profile id, and removed`, async function () {
    this.timeout(60_000);
    for (const [name, raw] of cookieRows) {
      await clearBrowserState();
      document.cookie = `ctfl-opt-aid=${raw}; Path=/`;
      // What the browser kept is what a page meets. WebKit cuts a cookie at its first non-ASCII
      // character (`abc\u2028def` is kept as `abc`): a value the browser turned into a well-formed
      // id is no malformed value any more, and is used like the valid ids of the control below.
      const stored = readCookieValue('ctfl-opt-aid');
      if (stored !== undefined && stored !== raw && ID_FORMAT.test(unquoted('ctfl-opt-aid', stored))) {
        const kept = createRuntime({ defaults: { consent: true } });
        equal(kept.anonymousId, unquoted('ctfl-opt-aid', stored), `${name}: kept by the browser as ${stored}, a well-formed id`);
        kept.destroy();
        continue;
      }
      const sdk = createRuntime({ defaults: { consent: true } });
      equal(readCookieValue('ctfl-opt-aid'), undefined, `${name}: removed`);
      equal(sdk.anonymousId, undefined, `${name}: not the profile id`);
      const { data } = await sdk.page();
      const [request] = await experienceRequestsFor(sdk.config.clientId);
      equal(profileIdInPath(request!), undefined, `${name}: the first event created a profile`);
      equal(readCookieValue('ctfl-opt-aid'), data!.profile.id, `${name}: replaced by the real id`);
      sdk.destroy();
    }
  });

  it(`ctfl-opt-aid (${validIds.length} valid ids, the control): used as the profile id`, async () => {
    for (const id of validIds) {
      await clearBrowserState();
      document.cookie = `ctfl-opt-aid=${id}; Path=/`;
      const sdk = createRuntime({ defaults: { consent: true } });
      const expected = id.replace(/^"(.*)"$/, '$1');
      equal(sdk.anonymousId, expected);
      await sdk.page();
      equal(profileIdInPath((await experienceRequestsFor(sdk.config.clientId))[0]!), expected);
      sdk.destroy();
    }
  });

  // -----------------------------------------------------------------------------------------------
  // IndexedDB: the persisted event queues of tabs that are gone

  const event = (type: string, extra: Record<string, unknown> = {}) => ({
    type, channel: 'web', messageId: crypto.randomUUID(), originalTimestamp: new Date().toISOString(), sentAt: new Date().toISOString(),
    timestamp: new Date().toISOString(), context: { gdpr: { isConsentGiven: true }, library: { name: 'x', version: '1' }, locale: 'en-US' }, ...extra,
  });
  const pageEvent = (marker: string) => event('page', { properties: { path: '/', query: {}, referrer: '', search: '', title: marker, url: 'http://x/' } });
  const queueRows: Array<[string, (marker: string) => unknown]> = [
    ...TAMPER_VALUES.map(([name, raw]): [string, (m: string) => unknown] => [`the string ${name}`, () => raw]),
    ['null', () => null],
    ['a number', () => 42],
    ['an array', () => [pageEvent('m')]],
    ['e and i as strings', (m) => ({ e: m, i: m })],
    ['an event of an unknown type', (m) => ({ e: [{ ...pageEvent(m), type: 'purchase' }], i: [] })],
    ['an Insights type in the Experience queue', (m) => ({ e: [{ ...event('component_click', { componentType: 'Entry', componentId: m, variantIndex: 0 }) }], i: [] })],
    ['an event with a markup messageId', (m) => ({ e: [{ ...pageEvent(m), messageId: '<img src=x onerror=__xss()>' }], i: [] })],
    ['an event with a 10 KB messageId', (m) => ({ e: [{ ...pageEvent(m), messageId: 'a'.repeat(10_240) }], i: [] })],
    ['an event without context', (m) => ({ e: [{ ...pageEvent(m), context: undefined }], i: [] })],
    ['an event whose context is a string', (m) => ({ e: [{ ...pageEvent(m), context: m }], i: [] })],
    ['an event with a __proto__ key', (m) => ({ e: [JSON.parse(JSON.stringify(pageEvent(m)).replace('{', '{"__proto__":{"polluted":"yes"},'))], i: [] })],
    ['an Insights event for the profile id "<script>"', (m) => ({ e: [], i: [{ profileId: '<script>', event: event('component_click', { componentType: 'Entry', componentId: m, variantIndex: 0 }) }] })],
    ['an Insights event of an Experience-only type', (m) => ({ e: [], i: [{ profileId: 'p-1', event: pageEvent(m) }] })],
    ['an Insights item without an event', (m) => ({ e: [], i: [{ profileId: 'p-1', marker: m }] })],
  ];

  it(`IndexedDB queue of a closed tab (${queueRows.length} malformed values): nothing of it is sent, and it is removed`, async function () {
    this.timeout(60_000);
    for (const [name, make] of queueRows) {
      const org = uniqueOrg('tamper-q');
      const marker = `tampered-${crypto.randomUUID()}`;
      await idbSet(`${org}:closed-tab`, make(marker), queueStore());
      const sdk = createRuntime({ clientId: org, defaults: { consent: true, profile: makeProfile('p-1') } });
      await sdk.ready;
      await sdk.flush();
      await sdk.page();
      await sdk.flush();
      const sent = JSON.stringify(await requestsFor(org));
      ok(!sent.includes(marker) && !sent.includes('polluted') && !sent.includes('purchase'), `${name}: nothing of it reached the API`);
      equal(await idbGet(`${org}:closed-tab`, queueStore()), undefined, `${name}: removed`);
      notPolluted(name);
      sdk.destroy();
    }
  });

  it('IndexedDB queue of a closed tab (the control): well-formed events are delivered', async () => {
    const org = uniqueOrg('tamper-q');
    const marker = `kept-${crypto.randomUUID()}`;
    await idbSet(`${org}:closed-tab`, { e: [pageEvent(marker)], i: [{ profileId: 'p-1', event: event('component_click', { componentType: 'Entry', componentId: marker, variantIndex: 0 }) }] }, queueStore());
    const sdk = createRuntime({ clientId: org, defaults: { consent: true, profile: makeProfile('p-1') } });
    await sdk.ready;
    await waitFor(async () => (await experienceRequestsFor(org)).length && (await insightsRequestsFor(org)).length, 4000, 'delivery');
    const sent = JSON.stringify(await requestsFor(org));
    equal(sent.split(marker).length - 1, 2, 'both events were sent once');
  });

  // -----------------------------------------------------------------------------------------------
  // localStorage: durable state entries

  const entryRows: Array<[string, (org: string) => unknown]> = [
    ...TAMPER_VALUES.map(([name, raw]): [string, (org: string) => unknown] => [`the string ${name}`, () => raw]),
    ['an object instead of a list', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: 'tampered', expiresAt: Date.now() + 60_000 })],
    ['an entry of another organization', () => [{ key: 'kndctr_other_org_x', value: 'tampered', expiresAt: Date.now() + 60_000 }]],
    ['an entry with a key that has markup', (org) => [{ key: `${stateEntryPrefix(org)}<b>`, value: 'tampered', expiresAt: Date.now() + 60_000 }]],
    ['an entry with a 10 KB value', (org) => [{ key: `${stateEntryPrefix(org)}x`, value: `tampered${'a'.repeat(10_240)}`, expiresAt: Date.now() + 60_000 }]],
    ['an entry with a numeric value', (org) => [{ key: `${stateEntryPrefix(org)}x`, value: 42, expiresAt: Date.now() + 60_000 }]],
    ['an entry whose expiry is a string', (org) => [{ key: `${stateEntryPrefix(org)}x`, value: 'tampered', expiresAt: 'never' }]],
    ['an entry without an expiry', (org) => [{ key: `${stateEntryPrefix(org)}x`, value: 'tampered' }]],
    ['an entry with attrs of the wrong shape', (org) => [{ key: `${stateEntryPrefix(org)}x`, value: 'tampered', attrs: 'SameSite=None', expiresAt: Date.now() + 60_000 }]],
    ['an entry with a __proto__ key', (org) => [JSON.parse(`{"__proto__":{"polluted":"yes"},"key":"${stateEntryPrefix(org)}x","value":"tampered","expiresAt":${Date.now() + 60_000}}`)]],
  ];

  it(`stored state entries (${entryRows.length} malformed values): never sent, and removed`, async function () {
    this.timeout(60_000);
    for (const [name, make] of entryRows) {
      const org = uniqueOrg('tamper-se');
      await writeStoredStateEntries(org, make(org) as unknown[]);
      const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
      await sdk.ready;
      await sdk.page();
      const [request] = await experienceRequestsFor(org);
      ok(!JSON.stringify(request!.body).includes('tampered'), `${name}: not sent`);
      await waitFor(async () => !JSON.stringify((await readStoredStateEntries(org)) ?? []).includes('tampered'), 2000, `${name}: removed from localStorage`);
      notPolluted(name);
      sdk.destroy();
    }
  });

  it('stored state entries: a malformed entry next to a valid one goes, the valid one is sent and kept', async () => {
    const org = uniqueOrg('tamper-se');
    const good = { key: `${stateEntryPrefix(org)}good`, value: 'kept', expiresAt: Date.now() + 60_000 };
    await writeStoredStateEntries(org, [{ key: `${stateEntryPrefix(org)}bad`, value: 42, expiresAt: Date.now() + 60_000 }, good]);
    const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
    await sdk.ready;
    await sdk.page();
    const [request] = await experienceRequestsFor(org);
    deepEqual(request!.body.meta.state.entries, [{ key: good.key, value: 'kept' }]);
    await waitFor(async () => !JSON.stringify(await readStoredStateEntries(org)).includes('"bad"'), 2000, 'the malformed entry removed');
    ok(JSON.stringify(await readStoredStateEntries(org)).includes('"kept"'), 'the valid entry kept');
  });

  // -----------------------------------------------------------------------------------------------
  // State entries kept as first-party cookies (cookie mode)

  const cookieEntryRows: Array<[string, (prefix: string) => string]> = [
    ['a name with markup', (p) => `${p}<b>x</b>=tampered`],
    ['a name with a colon', (p) => `${p}a:b=tampered`],
    ['a name with a non-ASCII character', (p) => `${p}ü=tampered`],
    ['a name of 201 characters', (p) => `${p}${'a'.repeat(201 - p.length)}=tampered`],
  ];

  it(`state-entry cookies (${cookieEntryRows.length} malformed names): never sent, and removed; a valid one is sent`, async function () {
    this.timeout(30_000);
    for (const [name, make] of cookieEntryRows) {
      await clearBrowserState();
      const org = uniqueOrg('tamper-c');
      const prefix = stateEntryPrefix(org);
      document.cookie = `${make(prefix)}; Path=/`;
      document.cookie = `${prefix}good=kept; Path=/`;
      const stored = document.cookie.includes('tampered');
      const sdk = createRuntime({ clientId: org, defaults: { consent: true }, stateEntries: { cookies: true, domain: location.hostname } });
      await sdk.ready;
      ok(!document.cookie.includes('tampered'), `${name}: removed (the browser ${stored ? 'had stored it' : 'refused it'})`);
      await sdk.page();
      const [request] = await experienceRequestsFor(org);
      const sent = JSON.stringify(request!.body.meta?.state?.entries ?? []);
      ok(!sent.includes('tampered'), `${name}: not sent`);
      ok(sent.includes('"kept"'), `${name}: the valid cookie is sent`);
      sdk.destroy();
    }
  });

  // -----------------------------------------------------------------------------------------------
  // State entries in API answers (a state:store handle): each bad entry is dropped on its own.

  const handleRows: Array<[string, (org: string) => unknown]> = [
    ['another organization\'s key', () => ({ key: 'kndctr_other_org_x', value: 'tampered', maxAge: 60 })],
    ['a key with markup', (org) => ({ key: `${stateEntryPrefix(org)}<img src=x onerror=__xss()>`, value: 'tampered', maxAge: 60 })],
    ['a key with "; path=/x"', (org) => ({ key: `${stateEntryPrefix(org)}"; path=/x`, value: 'tampered', maxAge: 60 })],
    ['a key of __proto__', () => ({ key: '__proto__', value: 'tampered', maxAge: 60 })],
    ['a 10 KB value', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: `tampered${'a'.repeat(10_240)}`, maxAge: 60 })],
    ['a numeric value', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: 4242, maxAge: 60, tampered: true })],
    ['a negative maxAge', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: 'tampered', maxAge: -1 })],
    ['a maxAge as a string', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: 'tampered', maxAge: '60' })],
    ['a fractional maxAge', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: 'tampered', maxAge: 1.5 })],
    ['attrs of the wrong shape', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: 'tampered', maxAge: 60, attrs: ['SameSite=None'] })],
    ['attrs with a number', (org) => ({ key: `${stateEntryPrefix(org)}x`, value: 'tampered', maxAge: 60, attrs: { SameSite: 1 } })],
    ['a string instead of an entry', () => 'tampered'],
    ['null', () => null],
  ];

  it(`state entries in an answer (${handleRows.length} malformed entries next to a valid one): the bad one is never stored or sent, the valid one is`, async function () {
    this.timeout(60_000);
    for (const [name, make] of handleRows) {
      const org = uniqueOrg('tamper-h');
      const sdk = createRuntime({ clientId: org, defaults: { consent: true } });
      const good = { key: `${stateEntryPrefix(org)}good`, value: 'kept', maxAge: 60 };
      await injectFault({ organization: org, api: 'experience', status: 200, body: responseBody('handle-profile', { handle: [{ type: 'state:store', payload: [make(org), good] }] }) });
      await sdk.page();
      equal(sdk.state.requestState.status, 'success', `${name}: the answer itself is fine`);
      await sdk.page();
      const [, second] = await experienceRequestsFor(org);
      const sent = JSON.stringify(second!.body.meta?.state?.entries ?? []);
      ok(!sent.includes('tampered') && !sent.includes('4242'), `${name}: not sent back (${sent.slice(0, 200)})`);
      ok(sent.includes('"kept"'), `${name}: the valid entry next to it is sent back`);
      await waitFor(() => readStoredStateEntries(org), 2000, `${name}: durable entries`);
      ok(!JSON.stringify(await readStoredStateEntries(org)).includes('tampered'), `${name}: not stored`);
      ok(!document.cookie.includes('tampered'), `${name}: no cookie`);
      notPolluted(name);
      sdk.destroy();
    }
  });

  it('nothing tampered is left anywhere after the suite: IndexedDB queues hold only well-formed records', async () => {
    for (const [key, value] of await idbEntries(queueStore())) {
      ok(!JSON.stringify(value).includes('tampered'), `queue ${String(key)}`);
    }
  });
});
