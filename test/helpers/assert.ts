// Minimal assertions for browser tests (no Node `assert` in the page). Messages show both values.
export class AssertionError extends Error {}

/**
 * A value as a reader compares it: JSON-like, keys sorted, but with what JSON hides spelled out —
 * undefined (also as an object's value or an array item), NaN, ±Infinity, -0, bigint, functions,
 * Dates, Maps, Sets, RegExps and Errors — so a failure never reads "expected {}, got {}".
 */
function show(v: unknown, seen: object[] = []): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'symbol') return String(v);
  if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
  if (v === null || typeof v !== 'object') return String(v);
  if (seen.includes(v)) return '[circular]';
  const inner = [...seen, v];
  const tag = Object.prototype.toString.call(v);
  if (tag === '[object Date]') return `Date(${Number.isNaN((v as Date).getTime()) ? 'invalid' : (v as Date).toISOString()})`;
  if (tag === '[object RegExp]') return String(v);
  if (v instanceof Error || tag === '[object Error]') return `${(v as Error).name}(${JSON.stringify((v as Error).message)})`;
  if (tag === '[object Map]') return `Map{${[...(v as Map<unknown, unknown>)].map(([k, x]) => `${show(k, inner)} => ${show(x, inner)}`).join(', ')}}`;
  if (tag === '[object Set]') return `Set{${[...(v as Set<unknown>)].map((x) => show(x, inner)).join(', ')}}`;
  if (Array.isArray(v)) return `[${Array.from({ length: v.length }, (_, i) => (i in v ? show(v[i], inner) : '<hole>')).join(',')}]`;
  if (tag !== '[object Object]' && tag !== '[object Arguments]' && !ArrayBuffer.isView(v)) return `[${tag.slice(8, -1)}]`; // a DOM node…
  const proto = Object.getPrototypeOf(v);
  const cls = ArrayBuffer.isView(v) ? tag.slice(8, -1) : proto && proto.constructor?.name !== 'Object' ? proto.constructor?.name ?? '' : '';
  const keys = Object.keys(v).sort();
  return `${cls}{${keys.map((k) => `${JSON.stringify(k)}:${show((v as Record<string, unknown>)[k], inner)}`).join(',')}}`;
}

export function ok(value: unknown, message = 'expected a truthy value'): asserts value {
  if (!value) throw new AssertionError(`${message} (got ${show(value)})`);
}

export function equal<T>(actual: T, expected: T, message = ''): void {
  if (!Object.is(actual, expected)) throw new AssertionError(`${message ? message + ': ' : ''}expected ${show(expected)}, got ${show(actual)}`);
}

export function notEqual<T>(actual: T, expected: T, message = ''): void {
  if (Object.is(actual, expected)) throw new AssertionError(`${message ? message + ': ' : ''}expected a value other than ${show(expected)}`);
}

const tagOf = (v: object) => Object.prototype.toString.call(v);
/** Plain objects (any realm, or without a prototype) are one kind; an instance of a class is its own. */
function kindOf(v: object): string {
  const proto = Object.getPrototypeOf(v);
  const name: string = proto === null ? 'Object' : (proto.constructor?.name || tagOf(v).slice(8, -1));
  if (Array.isArray(v)) return name === 'Array' ? 'array' : `${name} (an array)`;
  return name === 'Object' && tagOf(v) === '[object Object]' ? 'object' : name;
}
const isPlainKind = (tag: string) => tag === '[object Object]' || tag === '[object Arguments]';
const keysOf = (v: object) => [
  ...Object.keys(v),
  ...Object.getOwnPropertySymbols(v).filter((s) => Object.prototype.propertyIsEnumerable.call(v, s)),
];
const at = (path: string) => path || '(top level)';

/**
 * The first difference between `actual` and `expected`, as `path: reason`, or undefined when they
 * are deeply equal: primitives by Object.is (NaN equals NaN, -0 is not 0); arrays item by item
 * with their length; objects by their own enumerable keys (a key whose value is undefined counts,
 * so `{ a: undefined }` is not `{}`) and their kind (a class instance is not a plain object);
 * Dates by time, RegExps by source and flags, Errors by name and message (and own keys), Maps and
 * Sets by their entries; typed arrays by their items. Other objects (DOM nodes, …) only equal
 * themselves.
 */
function difference(actual: unknown, expected: unknown, path: string, pairs: Array<[object, object]>): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  const differ = () => `${at(path)}: expected ${show(expected)}, got ${show(actual)}`;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) return differ();
  // A cycle met again while comparing the same pair: equal so far.
  if (pairs.some(([a, e]) => a === actual && e === expected)) return undefined;
  const inner = [...pairs, [actual, expected] as [object, object]];
  const tag = tagOf(actual);
  if (tag !== tagOf(expected) || kindOf(actual) !== kindOf(expected)) return `${at(path)}: expected ${kindOf(expected)}${path ? ` ${show(expected)}` : ''}, got ${kindOf(actual)}${path ? ` ${show(actual)}` : ''}`;
  if (tag === '[object Date]') {
    return Object.is((actual as Date).getTime(), (expected as Date).getTime()) ? undefined : differ();
  }
  if (tag === '[object RegExp]') return String(actual) === String(expected) ? undefined : differ();
  if (Array.isArray(actual)) {
    const e = expected as unknown[];
    if (actual.length !== e.length) return `${at(path)}: expected ${e.length} item(s), got ${actual.length}${path ? `: expected ${show(e)}, got ${show(actual)}` : ''}`;
    for (let i = 0; i < e.length; i++) {
      if ((i in actual) !== (i in e)) return `${path}[${i}]: expected ${i in e ? show(e[i]) : 'a hole'}, got ${i in actual ? show(actual[i]) : 'a hole'}`;
      const d = difference(actual[i], e[i], `${path}[${i}]`, inner);
      if (d) return d;
    }
  } else if (ArrayBuffer.isView(actual)) {
    const a = actual as unknown as ArrayLike<unknown>;
    const e = expected as unknown as ArrayLike<unknown>;
    if (a.length !== e.length || Array.from(a).some((x, i) => !Object.is(x, e[i]))) return differ();
    return undefined;
  } else if (tag === '[object Map]') {
    const a = actual as Map<unknown, unknown>;
    const e = expected as Map<unknown, unknown>;
    if (a.size !== e.size) return `${at(path)}: expected ${e.size} entr(y/ies), got ${a.size}${path ? `: expected ${show(e)}, got ${show(a)}` : ''}`;
    for (const [k, v] of e) {
      if (!a.has(k)) return `${path}.get(${show(k)}): expected ${show(v)}, got no such key`;
      const d = difference(a.get(k), v, `${path}.get(${show(k)})`, inner);
      if (d) return d;
    }
    return undefined;
  } else if (tag === '[object Set]') {
    const a = [...(actual as Set<unknown>)];
    const e = [...(expected as Set<unknown>)];
    if (a.length !== e.length) return differ();
    // Members that are objects match structurally, each actual member at most once.
    const left = [...a];
    for (const x of e) {
      const i = left.findIndex((y) => !difference(y, x, path, inner));
      if (i < 0) return `${at(path)}: no member like ${show(x)}${path ? `: expected ${show(expected)}, got ${show(actual)}` : ''}`;
      left.splice(i, 1);
    }
    return undefined;
  } else if (actual instanceof Error || tag === '[object Error]') {
    const a = actual as Error;
    const e = expected as Error;
    if (a.name !== e.name || a.message !== e.message) return differ();
  } else if (!isPlainKind(tag)) {
    // A platform object (a DOM node, a DOMRect…) has no structure of its own to compare: only itself.
    return `${at(path)}: expected this very ${kindOf(expected)}, got another one`;
  }
  const aKeys = keysOf(actual);
  const eKeys = keysOf(expected);
  const index = (k: PropertyKey) => Array.isArray(actual) && typeof k === 'string' && /^\d+$/.test(k);
  const name = (k: PropertyKey) => (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${show(k)}]`);
  for (const k of eKeys) {
    if (index(k)) continue;
    if (!Object.prototype.hasOwnProperty.call(actual, k)) return `${name(k)}: expected ${show((expected as Record<PropertyKey, unknown>)[k])}, got no such key`;
  }
  for (const k of aKeys) {
    if (index(k)) continue;
    if (!Object.prototype.propertyIsEnumerable.call(expected, k)) return `${name(k)}: expected no such key, got ${show((actual as Record<PropertyKey, unknown>)[k])}`;
  }
  for (const k of eKeys) {
    if (index(k)) continue;
    const d = difference((actual as Record<PropertyKey, unknown>)[k], (expected as Record<PropertyKey, unknown>)[k], name(k), inner);
    if (d) return d;
  }
  return undefined;
}

/** Structural deep equality (see `difference`); the message names where the values first differ. */
export function deepEqual(actual: unknown, expected: unknown, message = ''): void {
  const d = difference(actual, expected, '', []);
  if (!d) return;
  const whole = `expected ${show(expected)}, got ${show(actual)}`;
  // Where they first differ, unless that is the whole value.
  const where = d === `${at('')}: ${whole}` ? '' : ` (first difference: ${d})`;
  throw new AssertionError(`${message ? message + ': ' : ''}${whole}${where}`);
}

export async function rejects(fn: () => unknown, pattern: RegExp, message = ''): Promise<void> {
  try {
    await fn();
  } catch (error) {
    const text = String((error as Error)?.message ?? error);
    if (!pattern.test(text)) throw new AssertionError(`${message ? message + ': ' : ''}error "${text}" does not match ${pattern}`);
    return;
  }
  throw new AssertionError(`${message ? message + ': ' : ''}expected an error matching ${pattern}`);
}

export const throws = rejects;

export function match(text: unknown, pattern: RegExp, message = ''): void {
  if (typeof text !== 'string' || !pattern.test(text)) throw new AssertionError(`${message ? message + ': ' : ''}${show(text)} does not match ${pattern}`);
}

/** Runs `fn` and returns what it threw (failing when it did not throw). */
export function thrown(fn: () => unknown, message = 'expected an exception'): any {
  try { fn(); } catch (error) { return error; }
  throw new AssertionError(message);
}
