/**
 * Wire shapes the browser runtime reads: profiles, selected optimizations, changes, the response
 * envelopes and client-state entries. Declared once with `zod/mini` (the functional, tree-shakable
 * form) and shared by the browser SDK, the server entry and the emulator. Objects the hosted API may
 * extend are `looseObject`s: like the reference clients we accept extra keys, so a newer API never
 * breaks an older bundle.
 *
 * Request and event shapes, which only the emulator and the server validate, are in
 * `wire-events.ts`, so the script-tag bundle does not carry them. `schemas.ts` re-exports both.
 */
import * as z from 'zod/mini';

// zod compiles fast paths with `new Function` unless told not to. We never eval: that keeps the
// bundle working under a strict Content-Security-Policy without even a probe being reported.
z.config({ jitless: true });

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

export const JsonObject = z.record(z.string(), Json);
export type JsonObject = z.infer<typeof JsonObject>;

/**
 * A profile id as the Experience API issues it and as we accept it from a cookie or storage:
 * URL-safe, 1–128 characters. Anything else (markup, `; path=/x`, 10 KB of junk) is not an id.
 */
export const ProfileId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/));

/** Organization (client) and environment ids in the URL path. */
export const NamespaceId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));

const IsoTimestamp = z.string().check(z.minLength(1), z.maxLength(64));

export const Query = z.record(z.string(), z.string());

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
  key: z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,200}$/)),
  value: z.optional(z.string().check(z.maxLength(4096))),
  maxAge: z.optional(z.int().check(z.minimum(0))),
  attrs: z.optional(z.record(z.string(), z.string())),
});
export type StateEntry = z.infer<typeof StateEntry>;

export const StateStoreHandle = z.object({
  type: z.literal('state:store'),
  payload: z.array(StateEntry),
});
export type StateStoreHandle = z.infer<typeof StateStoreHandle>;

/** Any handle; we act on `state:store` and ignore other types. */
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
  variantIndex: z.int().check(z.minimum(0)),
  variants: z.record(z.string(), z.string()),
  sticky: z.optional(z.boolean()),
});
export type SelectedOptimization = z.infer<typeof SelectedOptimization>;
export const SelectedOptimizations = z.array(SelectedOptimization);

export const Change = z.looseObject({
  key: z.string(),
  type: z.literal('Variable'),
  value: z.nullable(Json),
  meta: z.looseObject({ experienceId: z.string(), variantIndex: z.int().check(z.minimum(0)) }),
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
  error: z.null(),
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

