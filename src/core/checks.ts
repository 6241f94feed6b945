/**
 * Small hand-written validators for what the browser reads (API answers, storage, the handoff,
 * configuration). They mirror the `zod/mini` kinds the server and the emulator use for the same
 * shapes (`wire-zod.ts`), with the same verdicts — a contract test runs one set of valid and invalid
 * fixtures through both — at a tenth of the script-tag bundle's bytes.
 *
 * `safeParse` answers like zod's: `{ success: true, data }` or `{ success: false, error: { issues } }`
 * with each issue's `path` and a message. Objects are copied: `object` drops unknown keys,
 * `looseObject` keeps them (a newer API never breaks an older bundle); `__proto__` keys are never
 * copied. Nothing here evaluates code, so it works under any Content-Security-Policy.
 */

export interface Issue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Result<T> = { success: true; data: T; error?: undefined } | { success: false; error: { issues: Issue[] }; data?: undefined };

/** A validator; `shape` lists an object's keys (for unknown-key reports). */
export interface Check<T> {
  safeParse(value: unknown): Result<T>;
  /** Internal: validate `value` at `path`, pushing issues; returns the output (meaningless once an issue was pushed). */
  run(value: unknown, path: (string | number)[], issues: Issue[]): T;
  readonly optional?: true;
  readonly shape?: Record<string, Check<unknown>>;
  /** A loose object: keys outside `shape` are kept, so they are not unknown. */
  readonly loose?: boolean;
}
export type Infer<C> = C extends Check<infer T> ? T : never;

function check<T>(run: Check<T>['run'], extra?: Partial<Check<T>>): Check<T> {
  return {
    run,
    safeParse(value) {
      const issues: Issue[] = [];
      const data = run(value, [], issues);
      return issues.length ? { success: false, error: { issues } } : { success: true, data };
    },
    ...extra,
  };
}

/** A value passing `test`, else one issue `message` ("expected string"). */
export const is = <T>(test: (v: unknown) => boolean, message: string): Check<T> =>
  check((v, path, issues) => {
    if (!test(v)) issues.push({ path, message });
    return v as T;
  });

export const string = (): Check<string> => is((v) => typeof v === 'string', 'expected string');
export const number = (): Check<number> => is((v) => typeof v === 'number' && Number.isFinite(v), 'expected number');
export const boolean = (): Check<boolean> => is((v) => typeof v === 'boolean', 'expected boolean');
export const unknown = <T = unknown>(): Check<T> => is(() => true, '');
export const fn = <T>(): Check<T> => is((v) => typeof v === 'function', 'expected a function');
export const isNull = (): Check<null> => is((v) => v === null, 'expected null');

/** A string matching `pattern` (it must not be global or sticky). */
export const matching = (pattern: RegExp, message = `must match ${pattern}`): Check<string> =>
  check((v, path, issues) => {
    if (typeof v !== 'string') issues.push({ path, message: 'expected string' });
    else if (!pattern.test(v)) issues.push({ path, message });
    return v as string;
  });

/** A safe integer ≥ `min`. */
export const integer = (min: number): Check<number> =>
  is((v) => Number.isSafeInteger(v) && (v as number) >= min, `expected an integer ≥ ${min}`);

/** A number > 0. */
export const positive = (): Check<number> => is((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'expected a number > 0');

/** A string of at most `max` characters. */
export const maxLength = (max: number): Check<string> =>
  is((v) => typeof v === 'string' && v.length <= max, `expected a string of at most ${max} characters`);

/** Exactly one of `values`. */
export const oneOf = <const T extends readonly string[]>(...values: T): Check<T[number]> =>
  is((v) => values.includes(v as T[number]), `expected one of ${values.join(', ')}`);

export const optional = <T>(inner: Check<T>): Check<T | undefined> =>
  check((v, path, issues) => (v === undefined ? undefined : inner.run(v, path, issues)), { optional: true, shape: inner.shape, loose: inner.loose });

export const array = <T>(item: Check<T>): Check<T[]> =>
  check((v, path, issues) => {
    if (!Array.isArray(v)) {
      issues.push({ path, message: 'expected array' });
      return [];
    }
    // By index, not map(): a hole of a sparse array is checked as `undefined`, as zod does.
    const out: T[] = [];
    for (let i = 0; i < v.length; i++) out.push(item.run(v[i], [...path, i], issues));
    return out;
  });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Shape = Record<string, Check<any>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
export type ObjectOf<S extends Shape> =
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

function obj<S extends Shape>(shape: S, loose: boolean): Check<ObjectOf<S>> {
  return check((v, path, issues) => {
    if (!isObject(v)) {
      issues.push({ path, message: 'expected object' });
      return {} as ObjectOf<S>;
    }
    const out: Record<string, unknown> = {};
    if (loose) for (const k of Object.keys(v)) if (k !== '__proto__') out[k] = v[k];
    for (const k of Object.keys(shape)) {
      // Read as zod reads a key (inherited ones too); a missing key of a required kind is named.
      const value = v[k];
      if (value === undefined && !shape[k]!.optional && !(k in v)) {
        issues.push({ path: [...path, k], message: 'required' });
        continue;
      }
      const parsed = shape[k]!.run(value, [...path, k], issues);
      if (parsed !== undefined || k in v) out[k] = parsed;
    }
    return out as ObjectOf<S>;
  }, { shape, loose });
}

/** An object with these keys; others are dropped. */
export const object = <S extends Shape>(shape: S) => obj(shape, false);
/** An object with these keys; others are kept. */
export const looseObject = <S extends Shape>(shape: S) => obj(shape, true);

const isPlainObject = (o: unknown): o is Record<PropertyKey, unknown> => {
  if (typeof o !== 'object' || o === null) return false;
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
};

/** A plain object with string keys (and, with `strings`, string values), copied without `__proto__`. */
export const record = <V>(strings: boolean): Check<Record<string, V>> =>
  check((v, path, issues) => {
    if (!isPlainObject(v)) {
      issues.push({ path, message: 'expected record' });
      return {};
    }
    const out: Record<string, V> = {};
    for (const key of Reflect.ownKeys(v)) {
      if (key === '__proto__' || !Object.prototype.propertyIsEnumerable.call(v, key)) continue;
      const value = v[key];
      if (typeof key !== 'string') issues.push({ path, message: 'expected string keys' });
      else if (strings && typeof value !== 'string') issues.push({ path: [...path, key], message: 'expected string' });
      else out[key] = value as V;
    }
    return out;
  });
