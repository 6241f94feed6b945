// Resolvers (wire-format.md "Variant resolution", merge tags and Custom Flags): resolveEntry,
// getMergeTagValue and getFlag, from seeded state and from a real Experience response.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { addHandoff, clearBrowserState, createRuntime, destroyRuntimes, makeProfile, SPACE } from '../helpers/browser.js';
import type { SelectedOptimization } from '../../src/core/wire.js';

const sel = (experienceId: string, variantIndex: number, variants: Record<string, string>, sticky?: boolean): SelectedOptimization =>
  ({ experienceId, variantIndex, variants, ...(sticky === undefined ? {} : { sticky }) });

/** A baseline entry as the Contentful Delivery API returns it with `include`, linking one or more experiences. */
function baselineEntry(experiences: Array<{ id: string; variants: Array<{ id: string; hidden?: boolean }>; delivered: string[]; sticky?: boolean }>) {
  return {
    sys: { id: 'base-entry' },
    fields: {
      title: 'Baseline',
      nt_experiences: experiences.map((e) => ({
        sys: { id: e.id },
        fields: {
          nt_experience_id: e.id,
          nt_config: { traffic: 1, distribution: [0.5, 0.5], sticky: e.sticky, components: [
            { type: 'InlineVariable', key: 'unrelated', valueType: 'String', baseline: { value: 'a' }, variants: [{ value: 'b' }] },
            { baseline: { id: 'base-entry' }, variants: e.variants },
          ] },
          nt_variants: e.delivered.map((id) => ({ sys: { id }, fields: { title: `Variant ${id}` } })),
        },
      })),
    },
  };
}

describe('resolvers', () => {
  beforeEach(clearBrowserState);
  afterEach(destroyRuntimes);

  describe('resolveEntry by baseline id (selected optimizations’ variants maps)', () => {
    const sdk = () => createRuntime({ defaults: { selectedOptimizations: [
      sel('exp-variant', 1, { 'base-a': 'variant-a' }, true),
      sel('exp-baseline', 0, { 'base-b': 'base-b' }),
      sel('exp-hidden', 1, { 'base-c': '' }),
    ] } });

    it('a selected variant resolves to the variant entry with its metadata', () => {
      deepEqual(sdk().resolveEntry('base-a'), { baselineId: 'base-a', entryId: 'variant-a', experienceId: 'exp-variant', variantIndex: 1, hidden: false, sticky: true });
    });

    it('variantIndex 0 resolves to the baseline', () => {
      const d = sdk().resolveEntry('base-b');
      equal(d.entryId, 'base-b');
      equal(d.variantIndex, 0);
      equal(d.experienceId, 'exp-baseline');
    });

    it('an empty variant ("") is hidden: render nothing, keep the metadata for tracking', () => {
      const d = sdk().resolveEntry('base-c');
      equal(d.hidden, true);
      equal(d.entryId, '');
      equal(d.experienceId, 'exp-hidden');
    });

    it('an entry no selection mentions resolves to itself', () => {
      deepEqual(sdk().resolveEntry('unknown'), { baselineId: 'unknown', entryId: 'unknown', variantIndex: 0, hidden: false, sticky: false });
    });

    it('an entry id like "__proto__" or "constructor" is not found through the prototype', () => {
      const d = sdk().resolveEntry('constructor');
      equal(d.entryId, 'constructor');
      equal(d.experienceId, undefined);
    });

    it('selections from a real Experience response resolve the demo space’s hero for a pricing visitor', async () => {
      const rt = createRuntime();
      await rt.page({ properties: { path: '/pricing' } });
      const d = rt.resolveEntry(SPACE.heroBaseline);
      equal(d.entryId, SPACE.heroVariant);
      equal(d.experienceId, SPACE.heroExperience);
    });
  });

  describe('resolveEntry from entry JSON (nt_experiences / nt_config)', () => {
    const resolve = (variantIndex: number, variants: Array<{ id: string; hidden?: boolean }>, delivered: string[]) =>
      createRuntime({ defaults: { selectedOptimizations: [sel('exp-1', variantIndex, {})] } })
        .resolveEntry(baselineEntry([{ id: 'exp-1', variants, delivered }]));

    it('a selected variant resolves to the variant entry from nt_variants', () => {
      const d = resolve(1, [{ id: 'var-1' }], ['var-1']);
      equal(d.entryId, 'var-1');
      equal(d.entry?.fields?.title, 'Variant var-1');
      equal(d.variantIndex, 1);
      equal(d.experienceId, 'exp-1');
    });

    it('variantIndex 0 resolves to the baseline entry', () => {
      const d = resolve(0, [{ id: 'var-1' }], ['var-1']);
      equal(d.entryId, 'base-entry');
      equal(d.entry?.fields?.title, 'Baseline');
    });

    it('a hidden variant resolves to an empty variant', () => {
      const d = resolve(1, [{ id: 'var-1', hidden: true }], ['var-1']);
      equal(d.hidden, true);
      equal(d.entryId, '');
      equal(d.entry, undefined);
    });

    it('a variant missing from nt_variants falls back to the baseline, keeping the metadata', () => {
      const d = resolve(1, [{ id: 'var-1' }], []);
      equal(d.entryId, 'base-entry');
      equal(d.entry?.fields?.title, 'Baseline');
      equal(d.experienceId, 'exp-1');
      equal(d.variantIndex, 1);
      equal(d.hidden, false);
    });

    it('the first linked experience that is selected wins', () => {
      const rt = createRuntime({ defaults: { selectedOptimizations: [sel('exp-2', 1, {}), sel('exp-3', 1, {})] } });
      const d = rt.resolveEntry(baselineEntry([
        { id: 'exp-1', variants: [{ id: 'v1' }], delivered: ['v1'] },
        { id: 'exp-3', variants: [{ id: 'v3' }], delivered: ['v3'] },
        { id: 'exp-2', variants: [{ id: 'v2' }], delivered: ['v2'] },
      ]));
      equal(d.entryId, 'v3');
    });

    it('an entry without a selected experience resolves to itself', () => {
      const d = createRuntime().resolveEntry(baselineEntry([{ id: 'exp-1', variants: [{ id: 'v1' }], delivered: ['v1'] }]));
      equal(d.entryId, 'base-entry');
      equal(d.variantIndex, 0);
    });
  });

  describe('getMergeTagValue', () => {
    const profile = { ...makeProfile('mt'), location: { city: 'Berlin' } };
    const traits = { firstname: 'Ada', first_name: 'Grace', age: 36, zero: 0, vip: true, off: false, obj: { a: 1 }, list: ['x'], nothing: null };
    const rt = () => createRuntime({ defaults: { profile: { ...profile, traits } } });

    it('traits.firstname reads the active profile', () => {
      equal(rt().getMergeTagValue('traits.firstname', 'there'), 'Ada');
      equal(rt().getMergeTagValue('location.city'), 'Berlin');
    });

    it('traits_firstname: "_" may stand for "."; the longest own key wins', () => {
      equal(rt().getMergeTagValue('traits_firstname'), 'Ada');
      equal(rt().getMergeTagValue('traits_first_name'), 'Grace');
    });

    it('numbers and booleans render as text', () => {
      const r = rt();
      deepEqual(['traits.age', 'traits.zero', 'traits.vip', 'traits.off'].map((p) => r.getMergeTagValue(p, 'fb')), ['36', '0', 'true', 'false']);
    });

    it('objects, arrays and null render the fallback', () => {
      const r = rt();
      deepEqual(['traits.obj', 'traits.list', 'traits.nothing', 'traits', 'location'].map((p) => r.getMergeTagValue(p, 'fb')), ['fb', 'fb', 'fb', 'fb', 'fb']);
    });

    it('__proto__, constructor and prototype are refused', () => {
      // A handoff written by a server goes through JSON.parse, which makes "__proto__" an own key.
      addHandoff(`{"profile": ${JSON.stringify(makeProfile('p')).replace('"traits":{}', '"traits":{"__proto__":{"polluted":"yes"},"constructor":"own"}')}, "selectedOptimizations": [], "changes": []}`);
      const r = createRuntime();
      ok(r.state.profile, 'handoff profile loaded');
      for (const path of ['traits.__proto__.polluted', 'traits___proto___polluted', 'traits.constructor', 'constructor.name', 'traits.constructor.name', 'prototype', 'traits.toString', '__proto__']) {
        equal(r.getMergeTagValue(path, 'fb'), 'fb', path);
      }
      equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    });

    it('without a profile or a matching path the fallback renders (undefined without one)', () => {
      equal(createRuntime().getMergeTagValue('traits.firstname', 'there'), 'there');
      equal(rt().getMergeTagValue('traits.missing'), undefined);
      equal(rt().getMergeTagValue('', 'fb'), 'fb');
    });

    it('reads traits sent with identify() back from the Experience API', async () => {
      const r = createRuntime();
      await r.identify({ userId: 'ada', traits: { firstname: 'Ada' } });
      equal(r.getMergeTagValue('traits.firstname', 'there'), 'Ada');
    });
  });

  describe('getFlag', () => {
    const change = (key: string, value: unknown) => ({ key, type: 'Variable' as const, value: value as never, meta: { experienceId: 'e', variantIndex: 1 } });
    const rt = () => createRuntime({ defaults: { changes: [
      change('wrapped', { value: 42 }), change('plain', 'Buy now'), change('object', { value: 1, other: 2 }),
      change('json', { flag: true }), change('nullish', null), change('falsy', false),
    ] } });

    it('a value of the form { value: X } is unwrapped to X', () => {
      equal(rt().getFlag('wrapped'), 42);
    });

    it('other values are returned as they are', () => {
      const r = rt();
      equal(r.getFlag('plain'), 'Buy now');
      deepEqual(r.getFlag('object'), { value: 1, other: 2 });
      deepEqual(r.getFlag('json'), { flag: true });
      equal(r.getFlag('nullish', 'fb'), null);
      equal(r.getFlag('falsy', true), false);
    });

    it('an unknown key gives the fallback', () => {
      equal(rt().getFlag('nope', 'default'), 'default');
      equal(rt().getFlag('nope'), undefined);
    });

    it('reads the changes of a real Experience response', async () => {
      const r = createRuntime();
      const { data } = await r.page();
      const change = data!.changes.find((c) => c.key === 'hero-cta');
      ok(change, 'the demo space has a hero-cta flag');
      equal(r.getFlag('hero-cta', 'fallback'), change.value);
    });
  });
});
