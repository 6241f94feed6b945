// The suites' own deepEqual (test/helpers/assert.ts): a structural comparison that tells apart what
// JSON text cannot (undefined-valued keys, undefined and null, NaN and null, holes), so an
// expectation cannot pass by looking alike once serialized.
import { AssertionError, deepEqual, equal, ok } from '../helpers/assert.js';

const fails = (actual: unknown, expected: unknown): string => {
  try {
    deepEqual(actual, expected);
  } catch (error) {
    ok(error instanceof AssertionError, `an AssertionError, got ${String(error)}`);
    return error.message;
  }
  throw new AssertionError(`deepEqual(${String(actual)}, …) passed, expected a failure`);
};

describe('deepEqual (test helper)', () => {
  it('passes for structurally equal values, whatever the key order', () => {
    deepEqual({ a: 1, b: [1, 'x', { c: null }] }, { b: [1, 'x', { c: null }], a: 1 });
    deepEqual([], []);
    deepEqual(NaN, NaN);
    deepEqual({ a: undefined }, { a: undefined });
    deepEqual(new Date(5), new Date(5));
    deepEqual(new Map([['k', { v: 1 }]]), new Map([['k', { v: 1 }]]));
    deepEqual(new Set([1, { a: 2 }]), new Set([{ a: 2 }, 1]));
    deepEqual(Object.freeze({ a: 1 }), { a: 1 });
    deepEqual(Object.assign(Object.create(null), { a: 1 }), { a: 1 });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cyclic2: Record<string, unknown> = { a: 1 };
    cyclic2.self = cyclic2;
    deepEqual(cyclic, cyclic2);
  });

  it('fails where JSON text would look the same', () => {
    fails({ a: undefined }, {});
    fails({}, { a: undefined });
    fails([undefined], [null]);
    fails([null], [undefined]);
    fails(NaN, null);
    fails({ n: NaN }, { n: null });
    fails(Infinity, null);
    fails(-0, 0);
    fails([, 1], [undefined, 1]);
    fails(new Date(1), new Date(2));
    fails(new Date(1), new Date(1).toISOString());
    fails(new Map([['k', 1]]), new Map([['k', 2]]));
    fails(new Set([1]), new Set([2]));
    fails(new Map(), {});
    fails([1], { 0: 1 });
    fails(document.createElement('p'), document.createElement('p'));
  });

  it('fails for different values, lengths and keys', () => {
    fails(1, '1');
    fails([1, 2], [1]);
    fails({ a: 1 }, { a: 1, b: 2 });
    fails({ a: { b: [1, 2] } }, { a: { b: [1, 3] } });
    fails(new (class Point { x = 1 })(), { x: 1 });
  });

  it('names the values and where they first differ', () => {
    equal(fails({ a: undefined }, {}), 'expected {}, got {"a":undefined} (first difference: .a: expected no such key, got undefined)');
    equal(fails([undefined], [null]), 'expected [null], got [undefined] (first difference: [0]: expected null, got undefined)');
    equal(fails({ e: [{ x: NaN }] }, { e: [{ x: null }] }), 'expected {"e":[{"x":null}]}, got {"e":[{"x":NaN}]} (first difference: .e[0].x: expected null, got NaN)');
    equal(fails(1, 2), 'expected 2, got 1');
    equal(fails([1], []), 'expected [], got [1] (first difference: (top level): expected 0 item(s), got 1)');
    equal(fails({ list: [1] }, { list: [] }), 'expected {"list":[]}, got {"list":[1]} (first difference: .list: expected 0 item(s), got 1: expected [], got [1])');
    let message = '';
    try { deepEqual([1], [2], 'the list'); } catch (error) { message = (error as Error).message; }
    equal(message, 'the list: expected [2], got [1] (first difference: [0]: expected 2, got 1)');
  });
});
