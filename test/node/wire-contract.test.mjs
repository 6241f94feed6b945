// Contract: the browser's hand-written checks (src/core/wire.ts) and the zod schemas the server and
// the emulator use (src/core/wire-zod.ts, the source of truth) give the same verdict — and, when
// valid, the same data — for the same inputs: real emulator answers, every mutation of them one
// field at a time, the tampering values, and random JSON. A difference is a shape the browser would
// accept or refuse while the server does the opposite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { importTs } from '../helpers/bundle-ts.mjs';
import { startEmulator } from '../helpers/emulator.mjs';

const SCHEMAS = [
  'ProfileId', 'NamespaceId', 'Query', 'JsonObject', 'PageContext', 'StateEntry', 'Handle', 'Location', 'SessionStatistics', 'Profile',
  'SelectedOptimization', 'SelectedOptimizations', 'Change', 'Changes', 'ProfileResponseData', 'ErrorEnvelope',
  'ProfileResponseEnvelope', 'OptimizationData',
];

let browser;
let zod;
let tamper;
let emu;
const answers = []; // real Experience API envelopes from the emulator

before(async () => {
  [browser, zod, tamper] = await Promise.all([
    importTs('src/core/wire.ts'), importTs('src/core/wire-zod.ts'), importTs('test/fixtures/tamper-values.ts'),
  ]);
  emu = await startEmulator();
  const org = `contract-${process.pid}`;
  const base = `${emu.url}/v2/organizations/${org}/environments/main/profiles`;
  const event = (type, extra) => ({
    type, channel: 'web', messageId: crypto.randomUUID(), originalTimestamp: new Date().toISOString(), sentAt: new Date().toISOString(),
    timestamp: new Date().toISOString(), context: { gdpr: { isConsentGiven: true }, library: { name: 'x', version: '1' }, locale: 'en-US',
      page: { path: '/pricing', query: { utm_source: 'a' }, referrer: '', search: '?utm_source=a', url: 'http://127.0.0.1/pricing?utm_source=a' } },
    ...extra,
  });
  const page = event('page', { properties: { path: '/pricing', query: { utm_source: 'a' }, referrer: '', search: '?utm_source=a', title: 'P', url: 'http://127.0.0.1/pricing?utm_source=a' } });
  let body = await (await fetch(base, { method: 'POST', body: JSON.stringify({ events: [page], options: { features: ['location'] } }) })).json();
  answers.push(body);
  const id = body.data.profile.id;
  body = await (await fetch(`${base}/${id}`, { method: 'POST', body: JSON.stringify({ events: [event('identify', { userId: 'ada', traits: { plan: 'pro', nested: { a: [1, null] } } })] }) })).json();
  answers.push(body);
  answers.push(await (await fetch(base, { method: 'POST', body: '{"events":[]}' })).json()); // an error envelope
});

after(() => emu?.child.kill('SIGTERM'));

const verdict = (schema, value) => {
  const b = browser[schema].safeParse(value);
  let z;
  try { z = zod[schema].safeParse(value); } catch (error) { z = { success: false, threw: String(error) }; }
  return { b, z };
};

function agree(schema, value, label) {
  const { b, z } = verdict(schema, value);
  assert.equal(b.success, z.success, `${schema} ${label}: browser ${b.success ? 'accepts' : 'refuses'}, zod ${z.success ? 'accepts' : 'refuses'} ${JSON.stringify(value)?.slice(0, 300)}`);
  if (b.success) assert.deepEqual(b.data, z.data, `${schema} ${label}: the same data`);
  if (!b.success) assert.ok(b.error.issues.length > 0 && b.error.issues.every((i) => Array.isArray(i.path) && typeof i.message === 'string'));
}

/** The value with the field at `path` replaced (`undefined`: removed). */
function withField(value, path, replacement) {
  if (!path.length) return replacement;
  const copy = Array.isArray(value) ? [...value] : { ...value };
  const [k, ...rest] = path;
  if (rest.length === 0 && replacement === undefined) {
    if (Array.isArray(copy)) copy.splice(k, 1);
    else delete copy[k];
  } else copy[k] = withField(value[k], rest, replacement);
  return copy;
}

function* paths(value, prefix = []) {
  yield prefix;
  if (value && typeof value === 'object') for (const k of Object.keys(value)) yield* paths(value[k], [...prefix, Array.isArray(value) ? Number(k) : k]);
}

const REPLACEMENTS = [undefined, null, 0, 1.5, -1, 2 ** 60, Infinity, NaN, '', 'x', 'a b', '<b>', true, false, [], [1], {}, { extra: 1 }, 'Variable'];

/** Each valid fixture for a schema, from the real answers. */
function fixtures() {
  const ok = answers.filter((a) => a.error === null);
  const data = ok.map((a) => a.data);
  const out = {
    ProfileResponseEnvelope: ok.concat([{ ...ok[0], handle: [{ type: 'state:store', payload: { entries: [] } }] }]),
    ErrorEnvelope: answers.filter((a) => a.error !== null),
    ProfileResponseData: data,
    Profile: data.map((d) => d.profile),
    Location: data.map((d) => d.profile.location),
    SessionStatistics: data.map((d) => d.profile.session),
    PageContext: data.map((d) => d.profile.session.landingPage),
    Query: data.map((d) => d.profile.session.landingPage.query),
    JsonObject: data.map((d) => d.profile.traits),
    SelectedOptimizations: data.map((d) => d.experiences),
    SelectedOptimization: data.flatMap((d) => d.experiences),
    Changes: data.map((d) => d.changes),
    Change: data.flatMap((d) => d.changes),
    OptimizationData: data.map((d) => ({ profile: d.profile, selectedOptimizations: d.experiences, changes: d.changes })),
    StateEntry: [{ key: 'kndctr_org_a', value: 'v', maxAge: 60, attrs: { SameSite: 'Lax' } }, { key: 'k' }],
    Handle: [{ type: 'state:store', payload: { entries: [{ key: 'k', value: 'v' }] } }, { type: 'other' }],
    ProfileId: [data[0].profile.id, 'a', 'A_b-9'],
    NamespaceId: ['main', 'org-1'],
  };
  return out;
}

test('the real Experience answers are valid for both', () => {
  const f = fixtures();
  for (const schema of SCHEMAS) {
    assert.ok(f[schema]?.length, `fixtures for ${schema}`);
    for (const value of f[schema]) {
      assert.equal(browser[schema].safeParse(value).success, true, `${schema} accepts a real answer`);
      agree(schema, value, 'real answer');
    }
  }
  assert.ok(f.Change.length > 0 && f.SelectedOptimization.length > 0, 'the demo space answers with selections and changes');
});

test('every field of every fixture, removed or replaced by another kind of value: the same verdicts', () => {
  const f = fixtures();
  let compared = 0;
  let refused = 0;
  for (const schema of SCHEMAS) {
    for (const value of f[schema]) {
      for (const path of paths(value)) {
        for (const r of REPLACEMENTS) {
          const mutated = withField(value, path, r);
          agree(schema, mutated, `${path.join('.') || '(root)'} = ${String(r)}`);
          compared++;
          if (!browser[schema].safeParse(mutated).success) refused++;
        }
      }
    }
  }
  assert.ok(compared > 5000, `${compared} mutations compared`);
  assert.ok(refused > compared / 4, `${refused} of them refused: the mutations reach the checks`);
});

test('the tampering values, raw and parsed as JSON: the same verdicts', () => {
  for (const schema of SCHEMAS) {
    for (const [name, raw] of tamper.TAMPER_VALUES) {
      agree(schema, raw, name);
      // Nested 100,000 levels deep: the browser refuses such JSON before any schema sees it
      // (suspectJson), and comparing its data would only overflow the test's own stack.
      if (raw.length > 100_000) continue;
      let parsed;
      try { parsed = JSON.parse(raw); } catch { continue; }
      agree(schema, parsed, `${name} (parsed)`);
    }
  }
});

test('values that are not from JSON (structured clones, defaults): sparse arrays, inherited keys, own undefined, odd objects', () => {
  const f = fixtures();
  const sel = f.SelectedOptimization[0];
  const inherited = Object.create(sel); // every key inherited, none own
  const cases = [
    ['SelectedOptimizations', [sel, , sel]], // eslint-disable-line no-sparse-arrays
    ['Changes', [, f.Change[0]]], // eslint-disable-line no-sparse-arrays
    ['SelectedOptimization', inherited],
    ['SelectedOptimization', { ...sel, sticky: undefined }],
    ['Profile', { ...f.Profile[0], traits: Object.create(null) }],
    ['Profile', { ...f.Profile[0], traits: new Date(0) }],
    ['Profile', { ...f.Profile[0], audiences: new Array(3) }],
    ['Query', new Map([['a', 'b']])],
    ['JsonObject', Object.assign(Object.create(null), { a: 1 })],
    ['StateEntry', { key: 'k', value: undefined }],
    ['ProfileId', new String('abc')],
    ['Location', { coordinates: { latitude: -0, longitude: 0 } }],
    ['Location', { coordinates: { latitude: NaN, longitude: 0 } }],
    ['SessionStatistics', { ...f.SessionStatistics[0], count: Infinity }],
  ];
  for (const [schema, value] of cases) agree(schema, value, 'non-JSON value');
});

test('__proto__ keys from JSON.parse never reach the output, and are not an own key of it', () => {
  const polluted = JSON.parse('{"__proto__":{"polluted":"yes"},"a":"b"}');
  for (const schema of ['Query', 'JsonObject']) {
    const r = browser[schema].safeParse(polluted);
    assert.equal(r.success, true);
    assert.deepEqual(Object.keys(r.data), ['a']);
    assert.equal(({}).polluted, undefined);
  }
  const profile = { ...fixtures().Profile[0] };
  Object.defineProperty(profile, '__proto__', { value: { polluted: 'yes' }, enumerable: true });
  const r = browser.Profile.safeParse(profile);
  assert.equal(r.success, true);
  assert.equal(Object.prototype.hasOwnProperty.call(r.data, '__proto__'), false);
});

test('random JSON values in place of each fixture and of each field: the same verdicts', () => {
  const f = fixtures();
  const targets = SCHEMAS.map((s) => [s, f[s][0]]);
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), fc.nat(), (json, pick) => {
    const [schema, value] = targets[pick % targets.length];
    agree(schema, json, 'random JSON');
    const all = [...paths(value)];
    agree(schema, withField(value, all[pick % all.length], json), 'a field replaced by random JSON');
  }), { numRuns: 3000, seed: 42 });
});
