/**
 * Wire shapes the browser runtime reads — profiles, selected optimizations, changes, the response
 * envelopes and client-state entries — as `zod/mini` schemas: the source of truth for the server
 * entry's and the emulator's validation (with the request and event shapes of `wire-events.ts`;
 * `schemas.ts` re-exports both). The browser reads the same shapes through the hand-written checks
 * of `wire.ts`, which a contract test (test/node/wire-contract.test.mjs) holds to these: the same
 * valid and invalid fixtures get the same verdicts. Objects the hosted API may extend are
 * `looseObject`s: like the reference clients we accept extra keys, so a newer API never breaks an
 * older bundle.
 */
import * as z from 'zod/mini';

// zod compiles fast paths with `new Function` unless told not to. We never eval: that keeps the
// bundle working under a strict Content-Security-Policy without even a probe being reported.
z.config({ jitless: true });

// ---------------------------------------------------------------------------------------------
// Rules

/** An issue as zod's own checks report it (`path` and `message` are filled in by zod). */
type Issue = { code: string; [detail: string]: unknown };

/**
 * `schema` plus one hand-written rule. The script-tag bundle then carries zod's generic check
 * instead of one check or schema kind per rule (regex, int, comparisons, lengths, enum, literal,
 * null, custom): a smaller bundle. `problem` returns the issue the zod kind it replaces would
 * report (same code and details, so the same messages), or nothing when the value passes.
 */
export function rule<S extends z.ZodMiniType>(schema: S, problem: (value: z.output<S>) => Issue | undefined): S {
  return schema.check(z.check<z.output<S>>((payload) => {
    const issue = problem(payload.value);
    if (issue) payload.issues.push({ ...issue, input: payload.value } as never);
  }));
}

/** A string matching `pattern`, like `z.string().check(z.regex(pattern))`. */
export const matching = (pattern: RegExp) =>
  rule(z.string(), (s) => (pattern.test(s) ? undefined : { code: 'invalid_format', origin: 'string', format: 'regex', pattern: String(pattern) }));

/** A safe integer ≥ `min`, like `z.int().check(z.minimum(min))`. */
export const integer = (min: number) =>
  rule(z.number(), (n) => (!Number.isInteger(n) ? { code: 'invalid_type', expected: 'int', format: 'safeint' }
    : n > Number.MAX_SAFE_INTEGER ? { code: 'too_big', origin: 'int', maximum: Number.MAX_SAFE_INTEGER, inclusive: true }
      : n < min ? { code: 'too_small', origin: 'number', minimum: min, inclusive: true } : undefined));

/** A plain object: what `JSON.parse` makes (`{}` or a null-prototype object), not an array or a class instance. */
function isPlainObject(o: unknown): o is Record<PropertyKey, unknown> {
  if (typeof o !== 'object' || o === null) return false;
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/**
 * An object with string keys, like `z.record(z.string(), z.string())` (`strings`) or
 * `z.record(z.string(), Json)`: a plain object, copied without `__proto__` keys, reporting what zod's
 * record reports (`expected record`, a key that is not a string, each value that is not a string).
 * zod's record kind is the largest piece of zod the bundle would otherwise carry.
 */
function record<V>(strings: boolean): z.ZodMiniType<Record<string, V>> {
  return z.unknown().check(z.check((payload) => {
    const input = payload.value;
    if (!isPlainObject(input)) {
      payload.issues.push({ code: 'invalid_type', expected: 'record', input } as never);
      return;
    }
    const copy: Record<string, unknown> = {};
    for (const key of Reflect.ownKeys(input)) {
      if (key === '__proto__' || !Object.prototype.propertyIsEnumerable.call(input, key)) continue;
      const value = input[key];
      if (typeof key !== 'string') payload.issues.push({ code: 'invalid_key', origin: 'record', issues: [], input: key, path: [key] } as never);
      else if (strings && typeof value !== 'string') payload.issues.push({ code: 'invalid_type', expected: 'string', input: value, path: [key] } as never);
      else copy[key] = value;
    }
    payload.value = copy;
  })) as never;
}

/** Exactly one of `values`, like `z.literal` or `z.enum`. */
export const oneOf = <const T extends readonly string[]>(...values: T) =>
  rule(z.unknown(), (v) => (values.includes(v as T[number]) ? undefined : { code: 'invalid_value', values })) as unknown as z.ZodMiniType<T[number]>;

// ---------------------------------------------------------------------------------------------
// Shared scalars

/** JSON values: what traits, properties and Custom Flag values may hold. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/**
 * JSON values (traits, properties, Custom Flag values). Everything validated here comes out of
 * `JSON.parse` (a response, storage, the handoff element), so any value is already JSON: the
 * schema accepts it as is instead of walking it again (and the bundle skips zod's recursive json type).
 */
export const Json = z.unknown() as unknown as z.ZodMiniType<Json>;

export const JsonObject = record<Json>(false);
export type JsonObject = Record<string, Json>;

/**
 * A profile id as the Experience API issues it and as we accept it from a cookie or storage:
 * URL-safe, 1–128 characters. Anything else (markup, `; path=/x`, 10 KB of junk) is not an id.
 */
export const ProfileId = matching(/^[A-Za-z0-9_-]{1,128}$/);

/** Organization (client) and environment ids in the URL path. */
export const NamespaceId = matching(/^[A-Za-z0-9_-]{1,64}$/);

export const Query = record<string>(true);

export const PageContext = z.looseObject({
  path: z.string(),
  query: Query,
  referrer: z.string(),
  search: z.string(),
  url: z.string(),
});

// ---------------------------------------------------------------------------------------------
// Client-state protocol (state:store handles and meta.state.entries)

export const StateEntry = z.object({
  key: matching(/^[A-Za-z0-9_.-]{1,200}$/),
  // At most 4096 characters (z.maxLength(4096)).
  value: z.optional(rule(z.string(), (s) => (s.length > 4096 ? { code: 'too_big', origin: 'string', maximum: 4096, inclusive: true } : undefined))),
  maxAge: z.optional(integer(0)),
  attrs: z.optional(record<string>(true)),
});
export type StateEntry = z.infer<typeof StateEntry>;

/**
 * Any handle; we act on `state:store` and ignore other types. Each entry of a `state:store` payload
 * is validated on its own (a malformed one is dropped, not the handle); `StateStoreHandle`, the
 * emulator's shape, is in wire-events.ts.
 */
export const Handle = z.looseObject({ type: z.string(), payload: z.optional(z.unknown()) });

// ---------------------------------------------------------------------------------------------
// Experience API responses

export const Location = z.looseObject({
  coordinates: z.optional(z.looseObject({ latitude: z.number(), longitude: z.number() })),
  city: z.optional(z.string()),
  postalCode: z.optional(z.string()),
  region: z.optional(z.string()),
  regionCode: z.optional(z.string()),
  country: z.optional(z.string()),
  countryCode: z.optional(z.string()),
  continent: z.optional(z.string()),
  timezone: z.optional(z.string()),
});

export const SessionStatistics = z.looseObject({
  id: z.string(),
  isReturningVisitor: z.boolean(),
  count: z.number(),
  landingPage: PageContext,
  activeSessionLength: z.number(),
  averageSessionLength: z.number(),
});

export const Profile = z.looseObject({
  id: ProfileId,
  stableId: z.string(),
  random: z.number(),
  audiences: z.array(z.string()),
  traits: JsonObject,
  location: Location,
  session: SessionStatistics,
});
export type Profile = z.infer<typeof Profile>;

export const SelectedOptimization = z.looseObject({
  experienceId: z.string(),
  variantIndex: integer(0),
  variants: record<string>(true),
  sticky: z.optional(z.boolean()),
});
export type SelectedOptimization = z.infer<typeof SelectedOptimization>;
export const SelectedOptimizations = z.array(SelectedOptimization);

export const Change = z.looseObject({
  key: z.string(),
  type: oneOf('Variable'),
  value: Json, // Json includes null
  meta: z.looseObject({ experienceId: z.string(), variantIndex: integer(0) }),
});
export type Change = z.infer<typeof Change>;
export const Changes = z.array(Change);

export const ProfileResponseData = z.looseObject({
  profile: Profile,
  experiences: SelectedOptimizations,
  changes: z.optional(Changes),
});
export type ProfileResponseData = z.infer<typeof ProfileResponseData>;

export const ErrorEnvelope = z.looseObject({
  message: z.string(),
  data: z.unknown(),
  error: z.looseObject({ code: z.string() }),
});

/** `{ data, message: "ok", error: null, handle? }` */
export const ProfileResponseEnvelope = z.looseObject({
  data: ProfileResponseData,
  message: z.string(),
  error: rule(z.unknown(), (v) => (v === null ? undefined : { code: 'invalid_type', expected: 'null' })) as unknown as z.ZodMiniType<null>,
  handle: z.optional(z.array(Handle)),
});
export type ProfileResponseEnvelope = z.infer<typeof ProfileResponseEnvelope>;

/** What the SDKs publish from one Experience response, and what a server hands to the browser. */
export const OptimizationData = z.object({
  profile: Profile,
  selectedOptimizations: SelectedOptimizations,
  changes: Changes,
});
export type OptimizationData = z.infer<typeof OptimizationData>;

