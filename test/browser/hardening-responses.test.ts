// Hardening (issue 9): malformed Experience API answers, served for real by the emulator's fault
// route — truncated JSON, wrong types, huge arrays, deep nesting, error envelopes with status 200,
// redirects, empty and non-JSON bodies. For each: the visitor's state (profile, selections, changes,
// localStorage, cookie) stays as it was, requestState is failed, the redirect target is never
// requested, and no exception reaches the page. Extra keys are allowed by wire-format.md (the API
// may add fields), so those answers are taken — without prototype pollution.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, EMULATOR, injectFault, makeProfile, readCookieValue, requestsFor,
  responseBody, stateEntriesKey, watchPageErrors,
} from '../helpers/browser.js';
import type { ContentfulOptimization, OptimizationState } from '../../src/browser/optimization.js';

const selections = [{ experienceId: 'exp-seeded', variantIndex: 1, variants: { base: 'var' } }];
const changes = [{ key: 'flag', type: 'Variable' as const, value: 'seeded', meta: { experienceId: 'exp-seeded', variantIndex: 1 } }];

const envelope = (data: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ data, message: 'ok', error: null, ...extra });
const valid = (id = 'from-the-api') => ({ profile: makeProfile(id), experiences: [], changes: [] });
const withProfile = (patch: Record<string, unknown>) => envelope({ ...valid(), profile: { ...makeProfile('from-the-api'), ...patch } });

/**
 * A body past the emulator's 1 MB request limit, grown by the emulator itself (the fault's
 * `repeat`): `"__ITEMS__"` in `body` becomes `item` repeated `times` times, then `last`.
 */
const huge = (body: string, item: string, times: number, last: string) =>
  ({ status: 200, body: body.replace('"__ITEMS__"', `__ITEMS__${last}`), repeat: [{ marker: '__ITEMS__', text: item, times }] });
/** `"__DEEP__"` in `body` becomes arrays nested `depth` levels deep. */
const deep = (body: string, depth: number) => ({
  status: 200, body: body.replace('"__DEEP__"', '__OPEN____CLOSE__'),
  repeat: [{ marker: '__OPEN__', text: '[', times: depth }, { marker: '__CLOSE__', text: ']', times: depth }],
});

type Row = [name: string, fault: Parameters<typeof injectFault>[0]];

const bodyRows: Row[] = [
  // Truncated JSON at several places.
  ...[1, 10, 60, 200, -1].map((cut): Row => [`truncated after ${cut > 0 ? cut : 'all but one'} character(s)`, { status: 200, body: responseBody('x').slice(0, cut) }]),
  ['an empty body', { status: 200, body: '' }],
  ['204 No Content', { status: 204, body: '' }],
  ['HTML with status 200', { status: 200, body: '<!doctype html><title>Login</title><form>…</form>', headers: { 'Content-Type': 'text/html' } }],
  ['JSON null', { status: 200, body: 'null' }],
  ['a JSON string', { status: 200, body: '"ok"' }],
  ['a JSON number', { status: 200, body: '42' }],
  ['a JSON array', { status: 200, body: '[]' }],
  ['NaN (not JSON)', { status: 200, body: 'NaN' }],
  // Wrong types.
  ['profile.id a number', { status: 200, body: withProfile({ id: 123 }) }],
  ['profile.id with markup', { status: 200, body: withProfile({ id: '<img src=x onerror=__xss()>' }) }],
  ['profile.id of 10 KB', { status: 200, body: withProfile({ id: 'a'.repeat(10_240) }) }],
  ['profile.traits an array', { status: 200, body: withProfile({ traits: ['a'] }) }],
  ['profile.audiences holding a number', { status: 200, body: withProfile({ audiences: ['a', 1] }) }],
  ['profile.session missing', { status: 200, body: withProfile({ session: undefined }) }],
  ['profile null', { status: 200, body: envelope({ ...valid(), profile: null }) }],
  ['experiences a string', { status: 200, body: envelope({ ...valid(), experiences: 'none' }) }],
  ['experiences missing', { status: 200, body: envelope({ profile: makeProfile('from-the-api'), changes: [] }) }],
  ['a variantIndex of -1', { status: 200, body: envelope({ ...valid(), experiences: [{ experienceId: 'e', variantIndex: -1, variants: {} }] }) }],
  ['a variantIndex of 1.5', { status: 200, body: envelope({ ...valid(), experiences: [{ experienceId: 'e', variantIndex: 1.5, variants: {} }] }) }],
  ['a variantIndex as a string', { status: 200, body: envelope({ ...valid(), experiences: [{ experienceId: 'e', variantIndex: '1', variants: {} }] }) }],
  ['variants mapping to a number', { status: 200, body: envelope({ ...valid(), experiences: [{ experienceId: 'e', variantIndex: 1, variants: { base: 7 } }] }) }],
  ['changes an object', { status: 200, body: envelope({ ...valid(), changes: { key: 'k' } }) }],
  ['a change of type Feature', { status: 200, body: envelope({ ...valid(), changes: [{ key: 'k', type: 'Feature', value: 1, meta: { experienceId: 'e', variantIndex: 0 } }] }) }],
  ['data an array', { status: 200, body: envelope([valid()]) }],
  ['error a string instead of null', { status: 200, body: envelope(valid(), { error: 'oops' }) }],
  ['message missing', { status: 200, body: JSON.stringify({ data: valid(), error: null }) }],
  ['handle not an array', { status: 200, body: envelope(valid(), { handle: { type: 'state:store', payload: [] } }) }],
  // Error envelopes with status 200 (some proxies answer 200 whatever happened).
  ...['ERR_INVALID_DATA', 'ERR_PROFILE_NOT_FOUND', 'ERR_PROFILE_OVERLOAD', 'ERR_INTERNAL_SERVER_ERROR'].map((code): Row =>
    [`an error envelope ${code} with status 200`, { status: 200, body: JSON.stringify({ message: 'refused', data: {}, error: { code } }) }]),
  ['an error envelope next to valid data, status 200', { status: 200, body: JSON.stringify({ ...JSON.parse(responseBody('x')), error: { code: 'ERR_INVALID_DATA' }, message: 'refused' }) }],
  // Huge arrays and deep nesting: one bad item at the very end, or nesting past any stack.
  ['50,000 selected optimizations, the last one malformed',
    huge(envelope({ ...valid(), experiences: ['__ITEMS__'] }), '{"experienceId":"e","variantIndex":0,"variants":{}},', 49_999, '{"experienceId":"bad","variantIndex":-1,"variants":{}}')],
  ['200,000 audiences, the last one a number', huge(withProfile({ audiences: ['__ITEMS__'] }), '"audience",', 199_999, '0')],
  ['20,000 changes, the last one without meta',
    huge(envelope({ ...valid(), changes: ['__ITEMS__'] }), '{"key":"k","type":"Variable","value":1,"meta":{"experienceId":"e","variantIndex":0}},', 19_999, '{"key":"bad","type":"Variable","value":1}')],
  ['a trait nested 200,000 levels deep', deep(withProfile({ traits: { deep: '__DEEP__' } }), 200_000)],
  ['a trait nested 65 levels deep (past the API\'s own limit of 64)', deep(withProfile({ traits: { deep: '__DEEP__' } }), 65)],
  ['a flag value nested 200,000 levels deep', deep(envelope({ ...valid(), changes: [{ key: 'deep', type: 'Variable', value: '__DEEP__', meta: { experienceId: 'e', variantIndex: 1 } }] }), 200_000)],
];

/** A profile the emulator really holds, so that a followed redirect would get a valid answer. */
async function existingProfilePath(org: string): Promise<string> {
  const res = await fetch(`${EMULATOR}/v2/organizations/${org}/environments/main/profiles`, {
    method: 'POST',
    body: JSON.stringify({ events: [{ type: 'identify', channel: 'web', messageId: crypto.randomUUID(), originalTimestamp: new Date().toISOString(), sentAt: new Date().toISOString(), timestamp: new Date().toISOString(), traits: { via: 'redirect' }, context: {} }] }),
  });
  const { data } = await res.json();
  return `/v2/organizations/${org}/environments/main/profiles/${data.profile.id}`;
}

describe(`malformed API responses (${bodyRows.length} bodies + 5 redirects + 3 through refresh()): state unchanged, requestState failed, no exception`, () => {
  let errors: ReturnType<typeof watchPageErrors>;
  beforeEach(async () => { await clearBrowserState(); errors = watchPageErrors(); });
  afterEach(() => {
    destroyRuntimes();
    deepEqual(errors.stop(), [], 'no exception reached the page');
    equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted');
  });

  /**
   * localStorage without other organizations' state entries: a runtime of an earlier test, destroyed,
   * still takes the answer of its last delivery pass and keeps that answer's entries, under its own
   * organization's key.
   */
  function ownStorage(org: string): Record<string, string> {
    const other = (k: string) => k.startsWith('__ctfl_opt_state_entries__') && k !== stateEntriesKey(org);
    return Object.fromEntries(Object.entries({ ...localStorage }).filter(([k]) => !other(k)));
  }

  /** A visitor with consent and a persisted, seeded profile. */
  function seeded(): { sdk: ContentfulOptimization; before: OptimizationState; storage: Record<string, string>; cookie: string | undefined } {
    const sdk = createRuntime({ defaults: { consent: true, profile: makeProfile('seeded', { plan: 'free' }), selectedOptimizations: selections, changes } });
    return { sdk, before: sdk.state, storage: ownStorage(sdk.config.clientId), cookie: readCookieValue('ctfl-opt-aid') };
  }

  function unchanged(s: ReturnType<typeof seeded>, what: string) {
    const { sdk, before } = s;
    equal(sdk.state.requestState.status, 'failed', `${what}: requestState`);
    equal(sdk.state.profile, before.profile, `${what}: profile`);
    equal(sdk.state.selectedOptimizations, before.selectedOptimizations, `${what}: selected optimizations`);
    equal(sdk.state.changes, before.changes, `${what}: changes`);
    equal(sdk.getFlag('flag'), 'seeded', `${what}: flag value`);
    deepEqual(ownStorage(sdk.config.clientId), s.storage, `${what}: localStorage`);
    equal(readCookieValue('ctfl-opt-aid'), s.cookie, `${what}: cookie`);
    ok(s.storage.__ctfl_opt_profile__?.includes('"seeded"'), 'the seeded profile was persisted before (so a change would show)');
  }

  for (const [name, fault] of bodyRows) {
    it(`page() answered with ${name}`, async function () {
      this.timeout(30_000);
      const s = seeded();
      await injectFault({ organization: s.sdk.config.clientId, api: 'experience', ...fault });
      const result = await s.sdk.page();
      equal(result.data, undefined, 'no data');
      unchanged(s, name);
    });
  }

  for (const status of [301, 302, 303, 307, 308]) {
    it(`page() answered with a ${status} redirect to a valid answer: not followed, state unchanged`, async () => {
      const s = seeded();
      const org = s.sdk.config.clientId;
      const target = await existingProfilePath(org);
      await injectFault({ organization: org, api: 'experience', status, headers: { Location: `${EMULATOR}${target}` }, body: '' });
      const result = await s.sdk.page();
      equal(result.data, undefined);
      unchanged(s, `${status} redirect`);
      const followed = (await requestsFor(org)).filter((r) => r.path === target);
      deepEqual(followed.map((r) => r.method), [], 'the redirect target was never requested');
    });
  }

  const throughRefresh = bodyRows.filter(([name]) => /^(truncated after 60|profile\.id a number|a trait nested)/.test(name));
  for (const [name, fault] of throughRefresh) {
    it(`refresh() answered with ${name}`, async () => {
      const s = seeded();
      await injectFault({ organization: s.sdk.config.clientId, api: 'experience', ...fault });
      const result = await s.sdk.refresh();
      equal(result.data, undefined);
      unchanged(s, name);
    });
  }
});

describe('malformed Insights API answers (5 cases): dropped or retried as the status says, never an exception, never followed', () => {
  let errors: ReturnType<typeof watchPageErrors>;
  beforeEach(async () => { await clearBrowserState(); errors = watchPageErrors(); });
  afterEach(() => { destroyRuntimes(); deepEqual(errors.stop(), [], 'no exception reached the page'); });

  // An error envelope is an error whatever the status; with status 200 it counts as a 500 (retried).
  const rows: Array<[string, Parameters<typeof injectFault>[0], 'dropped' | 'kept for a retry']> = [
    ['truncated JSON with status 200', { status: 200, body: '[{"accepted":' }, 'dropped'],
    ['an error envelope with status 200', { status: 200, body: JSON.stringify({ message: 'refused', data: {}, error: { code: 'ERR_INVALID_DATA' } }) }, 'kept for a retry'],
    ['HTML with status 400', { status: 400, body: '<html>bad</html>', headers: { 'Content-Type': 'text/html' } }, 'dropped'],
    ['a 302 redirect', { status: 302, body: '' }, 'dropped'],
    ['a 307 redirect', { status: 307, body: '' }, 'dropped'],
  ];
  for (const [name, fault, outcome] of rows) {
    it(`an Insights batch answered with ${name}: ${outcome}, never followed`, async () => {
      const dropped: string[] = [];
      const sdk = createRuntime({ defaults: { consent: true, profile: makeProfile('insights-p') }, onDrop: (d) => dropped.push(...d.messageIds), logLevel: 'silent', insights: { flushIntervalMs: 60_000 } });
      const org = sdk.config.clientId;
      const target = `/v1/organizations/${org}/environments/main/redirected`;
      await injectFault({ organization: org, api: 'insights', ...fault, headers: { ...fault.headers, ...(fault.status >= 300 && fault.status < 400 ? { Location: `${EMULATOR}${target}` } : {}) } });
      await sdk.trackClick({ componentId: 'c', variantIndex: 0 });
      await sdk.flush();
      equal(dropped.length, outcome === 'dropped' ? 1 : 0, outcome);
      if (outcome !== 'dropped') equal(sdk.queued.insights, 1, 'still queued');
      equal(sdk.state.profile?.id, 'insights-p', 'state untouched');
      deepEqual((await requestsFor(org)).filter((r) => r.path === target), [], 'the redirect target was never requested');
    });
  }
});

describe('extra keys are allowed (wire-format.md), never as prototype pollution', () => {
  let errors: ReturnType<typeof watchPageErrors>;
  beforeEach(async () => { await clearBrowserState(); errors = watchPageErrors(); });
  afterEach(() => { destroyRuntimes(); deepEqual(errors.stop(), []); });

  it('unknown fields everywhere, including __proto__ and constructor keys, are taken as data and pollute nothing', async () => {
    const sdk = createRuntime({ defaults: { consent: true } });
    const pollute = '{"polluted":"yes","isAdmin":true}';
    const body = JSON.stringify({
      data: {
        profile: { ...makeProfile('extra-keys', { firstname: 'Ada' }), newField: { x: 1 }, __PROTO__: 1 },
        experiences: [{ experienceId: 'e', variantIndex: 1, variants: { base: 'var' }, newField: 2, __PROTO__: 1 }],
        changes: [{ key: 'k', type: 'Variable', value: 'v', meta: { experienceId: 'e', variantIndex: 1, more: true }, __PROTO__: 1 }],
        newTopLevel: true,
      },
      message: 'ok', error: null, trace: 'abc',
    }).replace(/"__PROTO__":1/g, `"__proto__":${pollute},"constructor":{"prototype":${pollute}}`);
    await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 200, body });
    const { data } = await sdk.page();
    equal(sdk.state.requestState.status, 'success');
    equal(data?.profile.id, 'extra-keys');
    equal(sdk.getMergeTagValue('traits.firstname'), 'Ada');
    equal(sdk.getFlag('k'), 'v');
    equal(sdk.resolveEntry('base').entryId, 'var');
    const objects = [{}, Object.prototype, sdk.state.profile, sdk.state.selectedOptimizations![0], sdk.state.changes![0], JSON.parse(localStorage.getItem('__ctfl_opt_profile__')!)];
    for (const o of objects) {
      equal((o as Record<string, unknown>).polluted, undefined, 'no polluted property, own or inherited');
      equal((o as Record<string, unknown>).isAdmin, undefined);
    }
    equal(sdk.getMergeTagValue('polluted', 'fallback'), 'fallback', 'merge tags do not see it either');
    equal(sdk.getMergeTagValue('constructor.prototype.polluted', 'fallback'), 'fallback');
  });
});
