// The preview panel's pure logic (src/browser/overrides.ts) under node:test: the session record in
// sessionStorage and its validation, the content model read from nt_experience entries (the real
// exported space in ../shared/fixtures/ as a Delivery API client resolves it), the reference
// bucketing for an audience forced on, and the Overrides function the resolvers read. The browser
// suites (preview-panel.test.ts, preview-page-suite.ts) cover the same code through the panel.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../helpers/emulator.mjs';
import { importTs } from '../helpers/bundle-ts.mjs';

/** @type {any} */
let o;
/** @type {any} */
let bucketing;
/** @type {any} */
let murmur;
before(async () => {
  [o, bucketing, murmur] = await Promise.all([
    importTs('src/browser/overrides.ts'), importTs('src/core/bucketing.ts'), importTs('src/core/murmur3.ts'),
  ]);
});

// ---------------------------------------------------------------------------------------------
// Helpers

const KEY = 'ctfl-opt-preview';

/** A sessionStorage stand-in over a Map, optionally holding a raw record. */
function memoryStorage(/** @type {string | undefined} */ raw = undefined) {
  const items = new Map(raw === undefined ? [] : [[KEY, raw]]);
  return {
    items,
    getItem: (/** @type {string} */ k) => (items.has(k) ? items.get(k) : null),
    setItem: (/** @type {string} */ k, /** @type {string} */ v) => { items.set(k, String(v)); },
    removeItem: (/** @type {string} */ k) => { items.delete(k); },
  };
}
const throwing = {
  getItem() { throw new Error('SecurityError'); },
  setItem() { throw new Error('QuotaExceededError'); },
  removeItem() { throw new Error('SecurityError'); },
};

/** readChoices over a stored value (an object is stored as its JSON). */
const read = (/** @type {unknown} */ value) => o.readChoices(memoryStorage(typeof value === 'string' ? value : JSON.stringify(value)));
/** The choices as plain entries, for deepEqual. */
const plain = (c) => ({ variants: [...c.variants], flags: [...c.flags], audiences: [...c.audiences] });
const choices = ({ variants = {}, flags = {}, audiences = {} } = {}) => ({
  variants: new Map(Object.entries(variants)), flags: new Map(Object.entries(flags)), audiences: new Map(Object.entries(audiences)),
});

/** The reference bucketing written out a second way: the first cumulative range holding the roll, else 0. */
function expectedIndex(/** @type {string} */ experienceId, /** @type {readonly number[]} */ distribution, /** @type {string} */ stableId) {
  const r = murmur.roll('distribution-' + experienceId + '-' + stableId);
  let start = 0;
  for (let i = 0; i < distribution.length; i++) {
    const end = start + distribution[i];
    if (start <= r && r <= end) return i;
    start = end;
  }
  return 0;
}
/** The first of `s0`, `s1`, … that `pred` accepts (deterministic). */
function stableIdWhere(/** @type {(id: string) => boolean} */ pred) {
  for (let i = 0; i < 10000; i++) if (pred(`s${i}`)) return `s${i}`;
  throw new Error('no such stable id');
}

/** An nt_experience entry in the Delivery API's shape. */
function experience(id, { audience = undefined, distribution = [0.5, 0.5], components = [], sticky = undefined, name = undefined } = {}) {
  return {
    sys: { id: `entry-${id}`, type: 'Entry' },
    fields: {
      nt_experience_id: id, nt_name: name ?? `Experience ${id}`,
      ...(audience ? { nt_audience: { sys: { id: `entry-${audience}` }, fields: { nt_audience_id: audience, nt_name: `Audience ${audience}` } } } : {}),
      nt_config: { traffic: 1, distribution, components, ...(sticky === undefined ? {} : { sticky }) },
    },
  };
}
/** A state as the runtime hands it to Overrides (only what overrides.ts reads matters). */
const state = ({ profile = undefined, selectedOptimizations = undefined, changes = undefined } = {}) => ({
  profile, selectedOptimizations, changes, consent: true, persistenceConsent: true, blockedEvents: [], events: [], requestState: 'idle', online: true,
});
const ctxOf = (c, entries = [], templates = (/** @type {string} */ _baseline) => /** @type {string[]} */ ([])) =>
  ({ choices: c, catalog: o.catalogOf(entries), templates });

// ---------------------------------------------------------------------------------------------

describe('the session record', () => {
  test('no session: active is false, nothing chosen, nothing dropped', () => {
    for (const storage of [undefined, memoryStorage()]) {
      const r = o.readChoices(storage);
      assert.equal(r.active, false);
      assert.equal(r.dropped, 0);
      assert.deepEqual(plain(r.choices), { variants: [], flags: [], audiences: [] });
    }
  });

  test('unparsable JSON, or a record that is not an object, is one dropped value of an active session', () => {
    for (const raw of ['{', 'not json', '', 'null', '[]', '[1,2]', '"text"', '42', 'true']) {
      const r = read(raw);
      assert.deepEqual({ active: r.active, dropped: r.dropped, count: o.choiceCount(r.choices) }, { active: true, dropped: 1, count: 0 }, JSON.stringify(raw));
    }
  });

  test('a variant index that is not an integer from 0 to 99 is dropped', () => {
    const r = read({ variants: { a: 0, b: 1, c: 99, d: 100, e: -1, f: 1.5, g: '1', h: null, i: true, j: 1e21, k: [1], l: { i: 1 } } });
    assert.deepEqual([...r.choices.variants], [['a', 0], ['b', 1], ['c', 99]]);
    assert.equal(r.dropped, 9);
    assert.equal(r.active, true);
  });

  test('a flag value of more than MAX_VALUE JSON characters is dropped; one of exactly MAX_VALUE is kept', () => {
    assert.equal(o.MAX_VALUE, 4096);
    const fits = 'x'.repeat(o.MAX_VALUE - 2); // "xxx…" is MAX_VALUE characters of JSON
    const over = 'x'.repeat(o.MAX_VALUE - 1);
    const r = read({ flags: { fits, over, n: null, obj: { a: [1, 'b'] }, big: Array.from({ length: 1000 }, () => 12345) } });
    assert.deepEqual([...r.choices.flags], [['fits', fits], ['n', null], ['obj', { a: [1, 'b'] }]]);
    assert.equal(r.dropped, 2);
  });

  test('an audience that is not a boolean is dropped', () => {
    const r = read({ audiences: { on: true, off: false, s: 'true', n: 1, z: 0, u: null, o: {} } });
    assert.deepEqual([...r.choices.audiences], [['on', true], ['off', false]]);
    assert.equal(r.dropped, 5);
  });

  test('unknown keys and sections that are not objects are dropped, one each', () => {
    const r = read({ variants: [1, 2], flags: 'x', audiences: { a: true }, extra: 1, other: { b: 1 } });
    assert.deepEqual(plain(r.choices), { variants: [], flags: [], audiences: [['a', true]] });
    assert.equal(r.dropped, 4);
  });

  test('ids and keys longer than 256 characters (or empty) are dropped, in every section', () => {
    const id256 = 'i'.repeat(256);
    const id257 = 'i'.repeat(257);
    const r = read({
      variants: { [id256]: 1, [id257]: 1, '': 1 },
      flags: { [id256]: 'v', [id257]: 'v', '': 'v' },
      audiences: { [id256]: true, [id257]: true, '': true },
    });
    assert.deepEqual(plain(r.choices), { variants: [[id256, 1]], flags: [[id256, 'v']], audiences: [[id256, true]] });
    assert.equal(r.dropped, 6);
  });

  test('writeChoices → readChoices gives back the same choices, nothing dropped (prototype-like keys too)', () => {
    const storage = memoryStorage();
    const c = choices({
      variants: { exp1: 2, exp2: 0, __proto__x: 99 },
      flags: { price: 10, banner: { title: 'Hi', tags: ['a'] }, off: false, none: null },
      audiences: { aud1: true, aud2: false },
    });
    c.variants.set('__proto__', 1);
    c.flags.set('constructor', 'c');
    o.writeChoices(storage, c);
    assert.deepEqual(JSON.parse(storage.items.get(KEY)), {
      variants: JSON.parse('{"exp1":2,"exp2":0,"__proto__x":99,"__proto__":1}'),
      flags: { price: 10, banner: { title: 'Hi', tags: ['a'] }, off: false, none: null, constructor: 'c' },
      audiences: { aud1: true, aud2: false },
    });
    const r = o.readChoices(storage);
    assert.equal(r.active, true);
    assert.equal(r.dropped, 0);
    assert.deepEqual(plain(r.choices), plain(c));
    assert.equal(o.choiceCount(r.choices), 11);
  });

  test('an empty record keeps the session active; endSession ends it', () => {
    const storage = memoryStorage();
    o.writeChoices(storage, o.noChoices());
    assert.equal(storage.items.get(KEY), '{"variants":{},"flags":{},"audiences":{}}');
    assert.deepEqual({ ...o.readChoices(storage), choices: undefined }, { active: true, dropped: 0, choices: undefined });
    o.endSession(storage);
    assert.equal(storage.items.has(KEY), false);
    assert.equal(o.readChoices(storage).active, false);
  });

  test('storage that throws (or is not there) never throws out', () => {
    const r = o.readChoices(throwing);
    assert.deepEqual({ active: r.active, dropped: r.dropped, count: o.choiceCount(r.choices) }, { active: false, dropped: 0, count: 0 });
    assert.equal(o.writeChoices(throwing, choices({ variants: { a: 1 } })), undefined);
    assert.equal(o.endSession(throwing), undefined);
    assert.equal(o.writeChoices(undefined, choices({ variants: { a: 1 } })), undefined);
    assert.equal(o.endSession(undefined), undefined);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the content model', () => {
  test('what is not an nt_experience entry gives undefined', () => {
    for (const e of [undefined, null, 'x', 1, [], {}, { fields: {} }, { sys: { id: '' }, fields: { nt_experience_id: '' } }, { sys: { id: 5 } }]) {
      assert.equal(o.parseExperience(e), undefined, JSON.stringify(e));
    }
  });

  test('EntryReplacement and InlineVariable components, audience, sticky and the variant count', () => {
    const info = o.parseExperience(experience('e1', {
      audience: 'a1', distribution: [0.25, 0.25, 0.5], sticky: true, name: 'Spring',
      components: [
        { baseline: { id: 'hero' }, variants: [{ id: 'hero-v1' }, { id: 'x', hidden: true }] },
        { type: 'EntryReplacement', baseline: { id: 'cta' }, variants: [{ id: '' }] },
        { type: 'InlineVariable', key: 'price', valueType: 'Number', baseline: { value: 10 }, variants: [{ value: 20 }, { value: { a: 1 } }] },
        { type: 'InlineVariable', key: '', baseline: { value: 1 }, variants: [] },
        { type: 'Other', baseline: { id: 'skip' }, variants: [] },
        { baseline: 'not an object', variants: [] },
      ],
    }));
    assert.deepEqual({ ...info, entries: [...info.entries], flags: [...info.flags] }, {
      id: 'e1', name: 'Spring', audience: { id: 'a1', name: 'Audience a1' }, sticky: true, distribution: [0.25, 0.25, 0.5],
      entries: [['hero', ['hero-v1', '']], ['cta', ['cta']]],
      flags: [['price', [10, 20, { a: 1 }]]],
      variantCount: 2,
    });
  });

  test('the id falls back to sys.id; an audience link without fields gives the audience its sys.id', () => {
    const info = o.parseExperience({ sys: { id: 'sysid' }, fields: { nt_audience: { sys: { type: 'Link', linkType: 'Entry', id: 'aud-link' } } } });
    assert.deepEqual({ id: info.id, audience: info.audience, distribution: info.distribution, variantCount: info.variantCount, sticky: info.sticky },
      { id: 'sysid', audience: { id: 'aud-link', name: undefined }, distribution: [], variantCount: 0, sticky: false });
  });

  test('catalogOf: experiences by id, the first of each id wins, what is not one is skipped', () => {
    const cat = o.catalogOf([experience('a', { name: 'first' }), null, { fields: {} }, experience('b'), experience('a', { name: 'second' })]);
    assert.deepEqual([...cat.keys()], ['a', 'b']);
    assert.equal(cat.get('a').name, 'first');
  });
});

// ---------------------------------------------------------------------------------------------

describe('distributionIndex', () => {
  test('agrees with the reference bucketing of "distribution-" + experienceId + "-" + stableId', () => {
    for (const distribution of [[0.5, 0.5], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3], [0, 1], [0.1, 0.1]]) {
      const info = o.parseExperience(experience('exp-42', { distribution }));
      const seen = new Set();
      for (let i = 0; i < 300; i++) {
        const stableId = `visitor-${i}`;
        const roll = murmur.roll('distribution-exp-42-' + stableId);
        assert.equal(bucketing.distributionRoll('exp-42', stableId), roll);
        const expected = expectedIndex('exp-42', distribution, stableId);
        assert.equal(bucketing.pickRange(bucketing.cumulativeRanges(distribution), roll), expected);
        assert.equal(o.distributionIndex(info, stableId), expected, `${JSON.stringify(distribution)} ${stableId}`);
        seen.add(expected);
      }
      // Each share that is not 0 is reached; [0.1, 0.1] leaves 80 % to the baseline.
      const reached = distribution.map((share, i) => (share > 0 || i === 0 ? i : -1)).filter((i) => i >= 0);
      assert.deepEqual([...seen].sort(), distribution[0] === 0 ? [1] : reached, JSON.stringify(distribution));
    }
  });

  test('without a distribution: the first variant when there is one, else the baseline', () => {
    const withVariant = o.parseExperience(experience('e', { distribution: [], components: [{ baseline: { id: 'b' }, variants: [{ id: 'v' }] }] }));
    const none = o.parseExperience(experience('e', { distribution: [] }));
    assert.deepEqual([withVariant.variantCount, none.variantCount], [1, 0]);
    assert.equal(o.distributionIndex(withVariant, 'anyone'), 1);
    assert.equal(o.distributionIndex(none, 'anyone'), 0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('forcedVariants', () => {
  const entries = () => [experience('A', { audience: 'aud-a' }), experience('A2', { audience: 'aud-a' }), experience('B', { audience: 'aud-b' }), experience('C')];

  test('no choices: every visitor decision stands', () => {
    assert.deepEqual([...o.forcedVariants(ctxOf(o.noChoices(), entries()), state())], []);
  });

  test('an audience forced off takes out its experiences (null); an explicit variant beats it', () => {
    const ctx = ctxOf(choices({ audiences: { 'aud-a': false, 'aud-b': false }, variants: { B: 1, unknown: 3 } }), entries());
    assert.deepEqual([...o.forcedVariants(ctx, state({ selectedOptimizations: [{ experienceId: 'A', variantIndex: 1, variants: {} }] }))],
      [['A', null], ['A2', null], ['B', 1], ['unknown', 3]]);
  });

  test('an audience forced on keeps the API\'s variant of a selected experience, else buckets profile.stableId ?? profile.id', () => {
    const dist = [0.5, 0.5];
    const s1 = stableIdWhere((id) => expectedIndex('A', dist, id) === 1 && expectedIndex('A2', dist, id) === 0);
    const s0 = stableIdWhere((id) => expectedIndex('A', dist, id) === 0 && expectedIndex('A2', dist, id) === 1);
    const ctx = ctxOf(choices({ audiences: { 'aud-a': true } }), entries());
    const selectedA = [{ experienceId: 'A', variantIndex: 0, variants: {} }];
    assert.deepEqual([...o.forcedVariants(ctx, state({ profile: { id: s0, stableId: s1 }, selectedOptimizations: selectedA }))], [['A2', 0]]);
    assert.deepEqual([...o.forcedVariants(ctx, state({ profile: { id: s0, stableId: s1 } }))], [['A', 1], ['A2', 0]]);
    assert.deepEqual([...o.forcedVariants(ctx, state({ profile: { id: s0 } }))], [['A', 0], ['A2', 1]]);
    assert.deepEqual([...o.forcedVariants(ctx, state())], [['A', expectedIndex('A', dist, '')], ['A2', expectedIndex('A2', dist, '')]]);
    // An explicit variant still wins over the audience forced on.
    const explicit = ctxOf(choices({ audiences: { 'aud-a': true }, variants: { A: 0 } }), entries());
    assert.deepEqual(o.forcedVariants(explicit, state({ profile: { id: s0, stableId: s1 } })).get('A'), 0);
  });
});

// ---------------------------------------------------------------------------------------------

describe('variantsAt', () => {
  const model = experience('M', { components: [
    { baseline: { id: 'hero' }, variants: [{ id: 'hero-1' }, { id: 'hero-2', hidden: true }] },
    { baseline: { id: 'cta' }, variants: [{ id: 'cta-1' }] },
  ] });

  test('from the content model: baseline at 0, the variant (empty when hidden), the baseline past the last', () => {
    const ctx = ctxOf(o.noChoices(), [model], () => { throw new Error('templates are not read'); });
    const mine = { experienceId: 'M', variantIndex: 1, variants: { other: 'x' } };
    assert.deepEqual(o.variantsAt(ctx, 'M', 0, mine), { hero: 'hero', cta: 'cta' });
    assert.deepEqual(o.variantsAt(ctx, 'M', 1, mine), { hero: 'hero-1', cta: 'cta-1' });
    assert.deepEqual(o.variantsAt(ctx, 'M', 2, mine), { hero: '', cta: 'cta' });
    assert.deepEqual(o.variantsAt(ctx, 'M', 7, undefined), { hero: 'hero', cta: 'cta' });
  });

  test('without a content model: the visitor\'s own selection at its index (a copy), else the templates in order', () => {
    /** @type {string[]} */
    const asked = [];
    const templates = (/** @type {string} */ b) => { asked.push(b); return b === 'hero' ? ['t-hero-1', 't-hero-2'] : []; };
    const ctx = ctxOf(o.noChoices(), [experience('N', { components: [] })], templates);
    const mine = { experienceId: 'N', variantIndex: 1, variants: { hero: 'api-hero-1', cta: 'api-cta-1' } };
    const same = o.variantsAt(ctx, 'N', 1, mine);
    assert.deepEqual(same, { hero: 'api-hero-1', cta: 'api-cta-1' });
    assert.notEqual(same, mine.variants);
    assert.deepEqual(asked, []);
    assert.deepEqual(o.variantsAt(ctx, 'N', 0, mine), { hero: 'hero', cta: 'cta' });
    assert.deepEqual(o.variantsAt(ctx, 'N', 2, mine), { hero: 't-hero-2', cta: 'cta' });
    assert.deepEqual(o.variantsAt(ctx, 'unknown', 3, mine), { hero: 'hero', cta: 'cta' });
    assert.deepEqual(o.variantsAt(ctx, 'unknown', 1, undefined), {});
  });

  test('a baseline named __proto__ is an own key of the result', () => {
    const mine = { experienceId: 'N', variantIndex: 0, variants: JSON.parse('{"__proto__":"v0"}') };
    const out = o.variantsAt(ctxOf(o.noChoices(), [], () => ['t1']), 'N', 1, mine);
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, 't1');
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});

// ---------------------------------------------------------------------------------------------

describe('overridesFor', () => {
  const flagged = experience('F', { audience: 'aud-f', distribution: [0.5, 0.5], sticky: true, components: [
    { baseline: { id: 'hero' }, variants: [{ id: 'hero-f1' }] },
    { type: 'InlineVariable', key: 'price', valueType: 'Number', baseline: { value: 10 }, variants: [{ value: 20 }] },
    { type: 'InlineVariable', key: 'label', valueType: 'String', baseline: { value: 'base' }, variants: [{ value: 'v1' }] },
  ] });
  const own = () => state({
    profile: { id: 'p', stableId: 'p' },
    selectedOptimizations: [
      { experienceId: 'F', variantIndex: 1, variants: { hero: 'hero-f1' }, sticky: true },
      { experienceId: 'G', variantIndex: 1, variants: { banner: 'banner-g1' }, sticky: false },
    ],
    changes: [
      { key: 'price', type: 'Variable', value: 20, meta: { experienceId: 'F', variantIndex: 1 } },
      { key: 'label', type: 'Variable', value: 'v1', meta: { experienceId: 'F', variantIndex: 1 } },
      { key: 'color', type: 'Variable', value: 'red', meta: { experienceId: 'G', variantIndex: 1 } },
    ],
  });

  test('no choices: undefined (the visitor\'s own state is shown)', () => {
    assert.equal(o.overridesFor(ctxOf(o.noChoices(), [flagged])), undefined);
  });

  test('memoized per state snapshot: the same object for the same state, a new one for a new state', () => {
    let reads = 0;
    const ctx = ctxOf(choices({ variants: { G: 2 } }), [], (b) => { reads++; return [`${b}-t1`, `${b}-t2`]; });
    const overrides = o.overridesFor(ctx);
    const s = own();
    const first = overrides(s);
    assert.equal(overrides(s), first);
    assert.equal(reads, 1);
    assert.deepEqual(first.selectedOptimizations[1], { experienceId: 'G', variantIndex: 2, variants: { banner: 'banner-t2' }, sticky: false });
    const next = overrides(own());
    assert.notEqual(next, first);
    assert.deepEqual(next, first);
    assert.equal(reads, 2);
  });

  test('an audience forced off removes its experience and its flag values, nothing else', () => {
    const s = own();
    const before = JSON.stringify(s);
    const r = o.overridesFor(ctxOf(choices({ audiences: { 'aud-f': false } }), [flagged]))(s);
    assert.deepEqual(r, {
      selectedOptimizations: [{ experienceId: 'G', variantIndex: 1, variants: { banner: 'banner-g1' }, sticky: false }],
      changes: [{ key: 'color', type: 'Variable', value: 'red', meta: { experienceId: 'G', variantIndex: 1 } }],
    });
    assert.equal(Object.isFrozen(r.selectedOptimizations) && Object.isFrozen(r.changes), true);
    assert.equal(JSON.stringify(s), before, 'the visitor\'s own state is not touched');
  });

  test('a forced variant replaces the selection in place and sets its experience\'s flag values', () => {
    const r = o.overridesFor(ctxOf(choices({ variants: { F: 0 } }), [flagged]))(own());
    assert.deepEqual(r.selectedOptimizations.map((x) => x.experienceId), ['F', 'G']);
    assert.deepEqual(r.selectedOptimizations[0], { experienceId: 'F', variantIndex: 0, variants: { hero: 'hero' }, sticky: true });
    assert.deepEqual(r.changes, [
      { key: 'price', type: 'Variable', value: 10, meta: { experienceId: 'F', variantIndex: 0 } },
      { key: 'label', type: 'Variable', value: 'base', meta: { experienceId: 'F', variantIndex: 0 } },
      { key: 'color', type: 'Variable', value: 'red', meta: { experienceId: 'G', variantIndex: 1 } },
    ]);
  });

  test('an experience forced in that the visitor is not in comes first, with its sticky and flag values', () => {
    const r = o.overridesFor(ctxOf(choices({ variants: { F: 1 } }), [flagged]))(state({ changes: [] }));
    assert.deepEqual(r, {
      selectedOptimizations: [{ experienceId: 'F', variantIndex: 1, variants: { hero: 'hero-f1' }, sticky: true }],
      changes: [
        { key: 'label', type: 'Variable', value: 'v1', meta: { experienceId: 'F', variantIndex: 1 } },
        { key: 'price', type: 'Variable', value: 20, meta: { experienceId: 'F', variantIndex: 1 } },
      ],
    });
  });

  test('forced flag values: an existing key keeps its meta, a new key comes first with an empty meta', () => {
    const r = o.overridesFor(ctxOf(choices({ flags: { price: 99, fresh: { on: true } } }), [flagged]))(own());
    assert.deepEqual(r.selectedOptimizations, own().selectedOptimizations);
    assert.deepEqual(r.changes, [
      { key: 'fresh', type: 'Variable', value: { on: true }, meta: { experienceId: '', variantIndex: 0 } },
      { key: 'price', type: 'Variable', value: 99, meta: { experienceId: 'F', variantIndex: 1 } },
      { key: 'label', type: 'Variable', value: 'v1', meta: { experienceId: 'F', variantIndex: 1 } },
      { key: 'color', type: 'Variable', value: 'red', meta: { experienceId: 'G', variantIndex: 1 } },
    ]);
  });

  test('a forced variant whose InlineVariable value is null shows null, as the API answers it', () => {
    // nt_config allows `value: null` (wire-events.ts InlineVariableComponent); the emulator's changesFor gives it as is.
    const nulls = experience('Z', { components: [
      { type: 'InlineVariable', key: 'promo', valueType: 'Object', baseline: { value: { text: 'base' } }, variants: [{ value: null }] },
    ] });
    const r = o.overridesFor(ctxOf(choices({ variants: { Z: 1 } }), [nulls]))(state());
    assert.deepEqual(r.changes, [{ key: 'promo', type: 'Variable', value: null, meta: { experienceId: 'Z', variantIndex: 1 } }]);
  });

  test('a context that throws gives {} instead of throwing', () => {
    const badCatalog = { choices: choices({ variants: { F: 1 } }), catalog: { [Symbol.iterator]() { throw new Error('boom'); }, get() { throw new Error('boom'); } }, templates: () => [] };
    assert.deepEqual(o.overridesFor(badCatalog)(own()), {});
    const badTemplates = ctxOf(choices({ variants: { G: 2 } }), [], () => { throw new Error('boom'); });
    const overrides = o.overridesFor(badTemplates);
    const s = own();
    const r = overrides(s);
    assert.deepEqual(r, {});
    assert.equal(overrides(s), r);
  });
});

// ---------------------------------------------------------------------------------------------
// The real exported space, as a Delivery API client would hand its entries to the panel

const fixture = join(root, '..', 'shared', 'fixtures', 'contentful-space-easy-hr.json');
const skip = existsSync(fixture) ? false : `the real space ${fixture} is not there (a clone without ../shared): these tests did not run`;
if (skip) console.log(`skipped: ${skip}`);
const space = skip ? { entries: [], locales: [] } : JSON.parse(readFileSync(fixture, 'utf8'));
const locale = (space.locales.find((l) => l.default) ?? space.locales[0])?.code;
const byId = new Map(space.entries.map((e) => [e.sys.id, e]));
const ofType = (type) => space.entries.filter((e) => e.sys.contentType?.sys.id === type);

/**
 * An exported entry as the Delivery API gives it with `include`: fields in the default locale, entry
 * links replaced by the linked entries (`depth` levels; deeper ones stay links, as past `include`).
 */
function deliver(entry, depth = 2) {
  const resolve = (v) => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v?.sys?.type === 'Link' && v.sys.linkType === 'Entry' && depth > 0 && byId.has(v.sys.id)) return deliver(byId.get(v.sys.id), depth - 1);
    return v;
  };
  const fields = Object.fromEntries(Object.entries(entry.fields).map(([k, v]) => [k, resolve(v[locale])]));
  return { sys: { id: entry.sys.id, type: 'Entry', contentType: entry.sys.contentType }, fields };
}
const summary = (info) => ({ ...info, entries: Object.fromEntries(info.entries), flags: Object.fromEntries(info.flags) });

describe('the real space (../shared/fixtures/contentful-space-easy-hr.json)', { skip }, () => {
  test('its 14 nt_experience entries, resolved, parse with the ids, audiences and distributions of the export', () => {
    const raw = ofType('nt_experience');
    assert.equal(raw.length, 14);
    const catalog = o.catalogOf(raw.map((e) => deliver(e)));
    assert.deepEqual([...catalog.keys()], [
      '44jIanEK8sjH9SoJ5AOa7m', '3nVQTua2mO8h24jW7Ys2ga', '6ZbWjihD33P0ZQDi1NBPNj', '1fOaEZdwvoUCt4ODSfn9QP', 'CHLlJkxjtvr5xHgGCme8R',
      '4RcJ9uBkBuK5DtlQn8RTL8', '31ywFPATXKsR6quIjlU4t2', '1YjFMh5409sdAxHBf3Na5P', '2ZM65PCq3xLCpbyJXeKGPj', '1z8mHTv2Z57dJcD6CPwg7R',
      '3xYlmUaVqxwctTZRQUu7SJ', '7maiYu3ahIrCFqh1EhT4Ll', '6I2DJ44yM0v5rzHVa1f1GM', '2kT7B3F1GH3sDBo2glpywy',
    ]);
    assert.deepEqual([...catalog.values()].map((i) => `${i.audience.id} ${i.audience.name}`), [
      '64ducOq8OgG6N0zK3SuRnq All Visitors', '64ducOq8OgG6N0zK3SuRnq All Visitors', '64ducOq8OgG6N0zK3SuRnq All Visitors',
      '5vo1mRVcaJdTu6a52m7EB6 Lite Plan Customers', '6jlfnsz75fz0oE0mPj982O North America Visitors', '3J7mWqRRJAwi3su6C49014 Has Registered',
      '4IBSwLRvM1gdBidtnsh4h Enterprise', '7IRVaTD9GpZVprP7A8tSiE Pricing Intent', '6PWkVDirbFw7HL60QlAOc3 Startup',
      '4IIDZzApcl5foY7KAWznUc TikTok Visitor', '2oVAttk4iWnscOyhDRT8Yl Returning Visitor', 'CGZHilDIs8l5srntsiyTG Lifecycle Stage: Customer',
      '9dD2bUqMKGEu5piomilr7 Lifecycle Stage: Opportunity', '51AL1dMNXkvx1BkQd3wPR1 Europe Visitors',
    ]);
    for (const info of catalog.values()) {
      assert.deepEqual(info.distribution, info.id === '3nVQTua2mO8h24jW7Ys2ga' ? [0.5, 0.5] : [0, 1], info.id);
      assert.equal(info.sticky, false, info.id);
      assert.equal(info.variantCount, 1, info.id);
      assert.equal(info.flags.size, 0, `${info.id}: the space has no InlineVariable component`);
    }
    assert.deepEqual(summary(catalog.get('44jIanEK8sjH9SoJ5AOa7m')), {
      id: '44jIanEK8sjH9SoJ5AOa7m', name: '[AB Test] No heroes', audience: { id: '64ducOq8OgG6N0zK3SuRnq', name: 'All Visitors' },
      sticky: false, distribution: [0, 1], variantCount: 1, flags: {},
      entries: { '4WFNEIlY8bzmZcjmjCCUOm': [''], '3hEE5YUWF8xJg6XIH1xafP': [''], '4mahmSaVUyMjv25Uk8sFZ4': [''], '7yMEGUwVFS2vssCPaTBmoR': [''] },
    });
    assert.deepEqual(summary(catalog.get('3nVQTua2mO8h24jW7Ys2ga')).entries, {});
    assert.equal(catalog.get('3nVQTua2mO8h24jW7Ys2ga').name, '[AB Test] Alternative hero image');
    assert.deepEqual(summary(catalog.get('CHLlJkxjtvr5xHgGCme8R')).entries,
      { '4WFNEIlY8bzmZcjmjCCUOm': ['4FdPCWWD58oukIl67f2Nkj'], '577YVyImM1CsOEIQR4YIQS': ['22OpsJaPzrmr4dB7ozuic3'] });
    assert.deepEqual(summary(catalog.get('31ywFPATXKsR6quIjlU4t2')).entries, {
      '74PjP6eFEOxD66R88LrL76': ['5j5A3xDwlFFXMxZN7OhS8e'], '4WFNEIlY8bzmZcjmjCCUOm': ['4DoKMyWRkbqUDIT7MVBDQY'],
      '577YVyImM1CsOEIQR4YIQS': ['4fjQC8WAZSZ8HkF4yU5iHs'], '4LIbcbuqUx6wtfJIvHnyON': ['5yZPH2PEkcpujAeymska8l'],
      'I7OkpULw8zHHU4NddPjDQ': ['4bpm5661anebFyhZaBAi5O'],
    });
  });

  test('each parsed experience matches its own nt_config in the export, component by component', () => {
    for (const e of ofType('nt_experience')) {
      const config = e.fields.nt_config[locale];
      const info = o.parseExperience(deliver(e));
      assert.equal(info.id, e.fields.nt_experience_id[locale]);
      assert.equal(info.name, e.fields.nt_name[locale]);
      assert.deepEqual(info.distribution, config.distribution);
      assert.deepEqual(Object.fromEntries(info.entries),
        Object.fromEntries(config.components.map((c) => [c.baseline.id, c.variants.map((v) => (v.hidden ? '' : v.id))])), info.id);
    }
  });

  test('the catalog a page gets from the home hero\'s nt_experiences', () => {
    const hero = deliver(byId.get('4WFNEIlY8bzmZcjmjCCUOm'));
    assert.equal(hero.sys.contentType.sys.id, 'hero');
    const catalog = o.catalogOf(hero.fields.nt_experiences);
    assert.deepEqual([...catalog.keys()], [
      '44jIanEK8sjH9SoJ5AOa7m', '6I2DJ44yM0v5rzHVa1f1GM', '31ywFPATXKsR6quIjlU4t2', '2ZM65PCq3xLCpbyJXeKGPj', '1z8mHTv2Z57dJcD6CPwg7R',
      '4RcJ9uBkBuK5DtlQn8RTL8', '1YjFMh5409sdAxHBf3Na5P', '2kT7B3F1GH3sDBo2glpywy', 'CHLlJkxjtvr5xHgGCme8R',
    ]);
    assert.deepEqual([...catalog.values()].map((i) => i.entries.get('4WFNEIlY8bzmZcjmjCCUOm')), [
      [''], ['16TXkQBOhl2Nc7fQDLODbv'], ['4DoKMyWRkbqUDIT7MVBDQY'], ['4r8AcwE76mRE7AcAi9ynES'], ['1mL1HaDoThz2hjoMEzHaSW'],
      ['z6ErFxDOCoCBEmxMBvVek'], ['5dZwTMZneNgXrkmBb7xdvl'], ['6v6IuRsAR2AZoAnISXH8oP'], ['4FdPCWWD58oukIl67f2Nkj'],
    ]);
    // One include level: the experiences are resolved, their audiences stay links (sys.id, no name).
    const shallow = o.catalogOf(deliver(byId.get('4WFNEIlY8bzmZcjmjCCUOm'), 1).fields.nt_experiences);
    assert.deepEqual(shallow.get('CHLlJkxjtvr5xHgGCme8R').audience, { id: '6jlfnsz75fz0oE0mPj982O', name: undefined });
  });

  test('an unresolved export entry (fields keyed by locale) is not read as its Delivery API shape', () => {
    const info = o.parseExperience(byId.get('CHLlJkxjtvr5xHgGCme8R'));
    assert.deepEqual(summary(info), {
      id: 'CHLlJkxjtvr5xHgGCme8R', name: undefined, audience: undefined, sticky: false, distribution: [], entries: {}, flags: {}, variantCount: 0,
    });
  });

  test('All Visitors forced on: its three experiences apply with the variants their distributions give this visitor', () => {
    const catalog = o.catalogOf(ofType('nt_experience').map((e) => deliver(e)));
    const ab = catalog.get('3nVQTua2mO8h24jW7Ys2ga');
    const v0 = stableIdWhere((id) => expectedIndex(ab.id, [0.5, 0.5], id) === 0);
    const v1 = stableIdWhere((id) => expectedIndex(ab.id, [0.5, 0.5], id) === 1);
    assert.deepEqual([o.distributionIndex(ab, v0), o.distributionIndex(ab, v1)], [0, 1]);
    for (let i = 0; i < 200; i++) assert.equal(o.distributionIndex(catalog.get('6ZbWjihD33P0ZQDi1NBPNj'), `v${i}`), 1, 'distribution [0, 1]');
    const ctx = { choices: choices({ audiences: { '64ducOq8OgG6N0zK3SuRnq': true } }), catalog, templates: () => [] };
    const r = o.overridesFor(ctx)(state({ profile: { id: 'p', stableId: v1 }, selectedOptimizations: [], changes: [] }));
    assert.deepEqual(r.selectedOptimizations, [
      { experienceId: '6ZbWjihD33P0ZQDi1NBPNj', variantIndex: 1, variants: { '74PjP6eFEOxD66R88LrL76': '2ow3EkPI5jKevWoTT2BVG8' }, sticky: false },
      // No EntryReplacement components in the model and no templates: nothing to replace.
      { experienceId: '3nVQTua2mO8h24jW7Ys2ga', variantIndex: 1, variants: {}, sticky: false },
      { experienceId: '44jIanEK8sjH9SoJ5AOa7m', variantIndex: 1, variants: {
        '4WFNEIlY8bzmZcjmjCCUOm': '', '3hEE5YUWF8xJg6XIH1xafP': '', '4mahmSaVUyMjv25Uk8sFZ4': '', '7yMEGUwVFS2vssCPaTBmoR': '',
      }, sticky: false },
    ]);
    assert.deepEqual(r.changes, []);
    // Off: the API's greeting goes, the visitor's other experiences stay.
    const own = state({ profile: { id: 'p', stableId: v0 }, changes: [], selectedOptimizations: [
      { experienceId: '6ZbWjihD33P0ZQDi1NBPNj', variantIndex: 1, variants: { '74PjP6eFEOxD66R88LrL76': '2ow3EkPI5jKevWoTT2BVG8' }, sticky: false },
      { experienceId: '2kT7B3F1GH3sDBo2glpywy', variantIndex: 1, variants: { '4WFNEIlY8bzmZcjmjCCUOm': '6v6IuRsAR2AZoAnISXH8oP' }, sticky: false },
    ] });
    const off = o.overridesFor({ ...ctx, choices: choices({ audiences: { '64ducOq8OgG6N0zK3SuRnq': false } }) })(own);
    assert.deepEqual(off.selectedOptimizations.map((x) => x.experienceId), ['2kT7B3F1GH3sDBo2glpywy']);
  });
});
