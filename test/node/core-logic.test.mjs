// The pure logic of src/core/ under node:test, without a browser: hashing and bucketing, variant
// resolution, merge tags and flags, the state store, the consent gate, the method contract and key
// suggestions. Browser suites cover the same code through the runtime; these pin each rule on its own.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { importTs } from '../helpers/bundle-ts.mjs';

let core;
before(async () => {
  const [murmur, bucketing, resolve, store, consent, payloads, text] = await Promise.all([
    importTs('src/core/murmur3.ts'), importTs('src/core/bucketing.ts'), importTs('src/core/resolve.ts'), importTs('src/core/store.ts'),
    importTs('src/core/consent.ts'), importTs('src/core/payloads.ts'), importTs('src/core/text.ts'),
  ]);
  core = { ...murmur, ...bucketing, ...resolve, ...store, ...consent, ...payloads, ...text };
});

/**
 * MurmurHash3 x86_32 written from the algorithm's description a second way (BigInt arithmetic,
 * one byte at a time), over the low byte of each UTF-16 code unit as murmurhash-js reads strings.
 */
function murmurReference(text, seed = 0) {
  const M = (1n << 32n) - 1n;
  const mul = (/** @type {bigint} */ a, /** @type {bigint} */ b) => (a * b) & M;
  const rotl = (x, r) => ((x << BigInt(r)) | (x >> BigInt(32 - r))) & M;
  const units = Array.from({ length: text.length }, (_, i) => BigInt(text.charCodeAt(i) & 0xff));
  let h = BigInt(seed) & M;
  const c1 = 0xcc9e2d51n;
  const c2 = 0x1b873593n;
  const blocks = Math.floor(units.length / 4);
  for (let b = 0; b < blocks; b++) {
    let k = units[4 * b] | (units[4 * b + 1] << 8n) | (units[4 * b + 2] << 16n) | (units[4 * b + 3] << 24n);
    k = mul(rotl(mul(k, c1), 15), c2);
    h = (mul(rotl(h ^ k, 13), 5n) + 0xe6546b64n) & M;
  }
  const tail = units.slice(blocks * 4);
  if (tail.length) {
    let k = 0n;
    tail.forEach((u, i) => { k |= u << BigInt(8 * i); });
    h ^= mul(rotl(mul(k, c1), 15), c2);
  }
  h ^= BigInt(units.length);
  h ^= h >> 16n; h = mul(h, 0x85ebca6bn);
  h ^= h >> 13n; h = mul(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  return Number(h);
}

describe('murmur3 and bucketing', () => {
  test('published MurmurHash3 x86_32 vectors', () => {
    // From the reference implementation's verification values and widely published test vectors.
    const vectors = [
      ['', 0, 0], ['', 1, 0x514e28b7], ['', 0xffffffff, 0x81f16f39], ['test', 0, 0xba6bd213], ['Hello, world!', 1234, 0xfaf6cdb3],
      ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723], ['abc', 0, 0xb3dd93fa], ['aaaa', 0x9747b28c, 0x5a97808a],
    ];
    for (const [text, seed, expected] of vectors) assert.equal(core.murmur3(text, seed), expected, `${JSON.stringify(text)} seed ${seed}`);
  });

  test('agrees with an independent implementation on random strings and seeds', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.nat(), (s, seed) => core.murmur3(s, seed) === murmurReference(s, seed)), { numRuns: 2000, seed: 7 });
  });

  test('rolls are the hash of the documented strings over 2^32 − 1', () => {
    const r = (t) => core.murmur3(t, 0) / 4294967295;
    assert.equal(core.trafficRoll('exp1', 'visitor'), r('traffic-exp1-visitor'));
    assert.equal(core.distributionRoll('exp1', 'visitor'), r('distribution-exp1-visitor'));
    assert.ok(core.trafficRoll('exp1', 'visitor') !== core.distributionRoll('exp1', 'visitor'));
  });

  test('cumulative ranges and the first range containing the roll', () => {
    assert.deepEqual(core.cumulativeRanges([0.5, 0.5]), [{ index: 0, start: 0, end: 0.5 }, { index: 1, start: 0.5, end: 1 }]);
    const ranges = core.cumulativeRanges([0, 0.25, 0.75]);
    assert.deepEqual([0, 0.1, 0.25, 0.26, 1].map((v) => core.pickRange(ranges, v)), [0, 1, 1, 2, 2]);
    assert.equal(core.pickRange(core.cumulativeRanges([0.2, 0.2]), 0.9), 0, 'beyond every range: the baseline');
  });
});

describe('resolvers', () => {
  const selected = [
    { experienceId: 'e1', variantIndex: 1, variants: { base1: 'var1', base2: '' } },
    { experienceId: 'e2', variantIndex: 0, variants: { base3: 'var3' }, sticky: true },
  ];

  test('by baseline id: variant, empty variant, baseline index 0, not selected', () => {
    assert.deepEqual(core.resolveByBaselineId('base1', selected), { baselineId: 'base1', entryId: 'var1', experienceId: 'e1', variantIndex: 1, hidden: false, sticky: false });
    assert.deepEqual(core.resolveByBaselineId('base2', selected), { baselineId: 'base2', entryId: '', experienceId: 'e1', variantIndex: 1, hidden: true, sticky: false });
    assert.deepEqual(core.resolveByBaselineId('base3', selected), { baselineId: 'base3', entryId: 'base3', experienceId: 'e2', variantIndex: 0, hidden: false, sticky: true });
    assert.deepEqual(core.resolveByBaselineId('other', selected), { baselineId: 'other', entryId: 'other', variantIndex: 0, hidden: false, sticky: false });
    assert.equal(core.resolveByBaselineId('toString', selected).entryId, 'toString', 'own keys only');
  });

  test('entry JSON: first selected experience wins; missing variant falls back to the baseline with its metadata', () => {
    const variant = { sys: { id: 'v1' }, fields: { title: 'Variant' } };
    const exp = (id, variants, components) => ({ sys: { id }, fields: { nt_experience_id: id, nt_variants: variants, nt_config: { components } } });
    const entry = {
      sys: { id: 'base1' },
      fields: {
        nt_experiences: [
          exp('unselected', [], []),
          exp('e1', [variant], [{ baseline: { id: 'base1' }, variants: [{ id: 'v1' }] }]),
        ],
      },
    };
    const d = core.resolveEntryJson(entry, [{ experienceId: 'e1', variantIndex: 1, variants: {} }]);
    assert.deepEqual([d.entryId, d.experienceId, d.variantIndex, d.entry], ['v1', 'e1', 1, variant]);
    const missing = core.resolveEntryJson(entry, [{ experienceId: 'e1', variantIndex: 2, variants: {} }]);
    assert.deepEqual([missing.entryId, missing.experienceId, missing.variantIndex, missing.entry], ['base1', 'e1', 2, entry]);
    const hidden = core.resolveEntryJson({ ...entry, fields: { nt_experiences: [exp('e1', [], [{ baseline: { id: 'base1' }, variants: [{ id: 'v1', hidden: true }] }])] } },
      [{ experienceId: 'e1', variantIndex: 1, variants: {} }]);
    assert.deepEqual([hidden.entryId, hidden.hidden], ['', true]);
    const other = core.resolveEntryJson({ ...entry, fields: { nt_experiences: [exp('e1', [variant], [{ type: 'InlineVariable', key: 'k' }])] } },
      [{ experienceId: 'e1', variantIndex: 1, variants: {} }]);
    assert.equal(other.entryId, 'base1', 'only EntryReplacement components replace entries');
  });

  test('merge tags: dotted and underscore paths, own properties only, scalars only', () => {
    const profile = { traits: { firstname: 'Ada', first_name: 'Lovelace', age: 36, pro: true, nested: { a: 1 }, nan: NaN }, location: { city: 'Berlin' } };
    const v = (p, f) => core.getMergeTagValue(p, profile, f);
    assert.deepEqual([v('traits.firstname'), v('traits_firstname'), v('traits_first_name'), v('location_city')], ['Ada', 'Ada', 'Lovelace', 'Berlin']);
    assert.deepEqual([v('traits.age'), v('traits.pro')], ['36', 'true']);
    assert.deepEqual([v('traits.nested', 'fb'), v('traits.nan', 'fb'), v('traits.missing', 'fb'), v('traits.__proto__', 'fb'), v('traits.constructor', 'fb')],
      ['fb', 'fb', 'fb', 'fb', 'fb']);
    assert.equal(core.getMergeTagValue('traits.firstname', undefined, 'there'), 'there');
  });

  test('flags: {value: X} unwraps; null is a value; unknown key is undefined', () => {
    const change = (key, value) => ({ key, type: 'Variable', value, meta: { experienceId: 'e', variantIndex: 1 } });
    const changes = [change('a', { value: 'x' }), change('b', { value: 1, other: 2 }), change('c', null), change('d', [1])];
    assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((k) => core.getFlag(k, changes)), ['x', { value: 1, other: 2 }, null, [1], undefined]);
    assert.equal(core.getFlagChange('c', changes), changes[2]);
  });
});

describe('state store', () => {
  test('one frozen snapshot per set, shared by every subscriber; select notifies only on its field', () => {
    const s = core.createStore({ a: 1, b: { c: 1 } });
    const seen = [];
    const seenB = [];
    s.subscribe((v) => seen.push(v));
    s.subscribe((v) => seen.push(v));
    s.select('b').subscribe((v) => seenB.push(v));
    s.set({ a: 2 });
    s.set({ a: 2 }); // no change: no notification
    s.set({ b: { c: 2 } });
    assert.equal(seen.length, 6);
    assert.equal(seen[2], seen[3], 'the same snapshot object for both subscribers');
    assert.ok(Object.isFrozen(seen[4].b), 'deeply frozen');
    assert.deepEqual(seenB, [{ c: 1 }, { c: 2 }]);
  });

  test('a throwing subscriber is reported and the others still run', () => {
    const errors = [];
    const s = core.createStore({ a: 1 }, (e) => errors.push(e));
    const got = [];
    s.subscribe(() => { throw new Error('bug'); });
    s.subscribe((v) => got.push(v.a));
    s.set({ a: 2 });
    assert.deepEqual(got, [1, 2]);
    assert.equal(errors.length, 2);
  });

  test('unsubscribe stops notifications', () => {
    const s = core.createStore({ a: 1 });
    const got = [];
    const off = s.select('a').subscribe((v) => got.push(v));
    off();
    s.set({ a: 2 });
    assert.deepEqual(got, [1]);
  });
});

describe('consent gate', () => {
  test('only explicit true opens every method; otherwise the allow-list decides, per method', () => {
    const methods = Object.keys(core.METHOD_EVENT_TYPES);
    for (const consent of [undefined, false]) {
      assert.deepEqual(methods.filter((m) => core.isMethodAllowed(m, consent, ['identify', 'page'])), ['page', 'identify']);
      assert.deepEqual(methods.filter((m) => core.isMethodAllowed(m, consent, [])), []);
      assert.deepEqual(methods.filter((m) => core.isMethodAllowed(m, consent, ['flag'])), ['trackFlagView']);
      assert.deepEqual(methods.filter((m) => core.isMethodAllowed(m, consent, ['component'])), ['trackView', 'trackFlagView']);
    }
    assert.deepEqual(methods.filter((m) => core.isMethodAllowed(m, true, [])), methods);
  });

  test('a built event passes the gate of the method that made it (a flag view is a Variable component)', () => {
    assert.equal(core.isEventAllowed({ type: 'component', componentType: 'Variable' }, undefined, ['flag']), true);
    assert.equal(core.isEventAllowed({ type: 'component', componentType: 'Entry' }, undefined, ['flag']), false);
    assert.equal(core.isEventAllowed({ type: 'track' }, false, ['page']), false);
    assert.equal(core.isEventAllowed({ type: 'track' }, true, []), true);
  });

  test('every allowable event type is a wire event type or flag', async () => {
    const { EVENT_TYPES } = await importTs('src/core/wire-events.ts');
    assert.deepEqual([...core.ALLOWABLE_EVENT_TYPES], [...EVENT_TYPES, 'flag']);
  });
});

describe('method contract and key suggestions', () => {
  test('the right forms pass; payloadProblem names the method and the form', () => {
    assert.equal(core.payloadProblem('page', undefined), undefined);
    assert.equal(core.payloadProblem('track', { event: 'x', properties: { a: 1 } }), undefined);
    assert.equal(core.payloadProblem('identify', { traits: { a: 1 } }), undefined);
    assert.equal(core.payloadProblem('trackClick', { componentId: 'c', viewId: 'v' }), undefined, 'a sibling method’s key is tolerated');
    assert.match(core.payloadProblem('track', 'x'), /^track\(\) takes \{ event, properties\? \}, not the string "x": call track\(\{ event: "x" \}\)$/);
    assert.match(core.payloadProblem('trackFlagView', { componentId: 'c', key: 'k' }), /unknown key "key"/);
    assert.match(core.payloadProblem('trackView', { componentId: 'c', variantIndex: 1.5 }), /"variantIndex" must be an integer ≥ 0/);
    assert.equal(core.formOf('trackView'), '{ componentId, experienceId?, variantIndex?, viewId?, viewDurationMs?, sticky? }');
  });

  test('nearest: typos within a third of the length, prefixes, case; nothing for unrelated keys', () => {
    const keys = ['defaults', 'allowedEventTypes', 'experienceBaseUrl', 'logLevel'];
    assert.equal(core.nearest('defualts', keys), 'defaults');
    assert.equal(core.nearest('allowedEventType', keys), 'allowedEventTypes');
    assert.equal(core.nearest('EXPERIENCEBASEURL', keys), 'experienceBaseUrl');
    assert.equal(core.nearest('loglevel', keys), 'logLevel');
    assert.equal(core.nearest('colour', keys), undefined);
    assert.equal(core.nearest('x', []), undefined);
  });
});
