/**
 * Wire shapes the browser runtime reads — profiles, selected optimizations, changes, the response
 * envelopes and client-state entries — with the small checks of `checks.ts`, so the script-tag
 * bundle carries no schema library. The `zod/mini` schemas of `wire-zod.ts` are the source of truth
 * (the server entry and the emulator use them); test/node/wire-contract.test.mjs runs the same valid
 * and invalid fixtures through both and requires the same verdicts. Objects the hosted API may
 * extend are loose: extra keys are kept, so a newer API never breaks an older bundle.
 */
import {
  array, boolean, integer, isNull, looseObject, matching, maxLength, number, object, oneOf, optional, record, string, unknown,
  type Infer,
} from './checks.js';

export { integer, matching, oneOf } from './checks.js';

/** JSON values: what traits, properties and Custom Flag values may hold. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** Taken as is: values come from `JSON.parse` (a response, storage, the handoff) or from the app (`defaults`), which sends them as given. */
export const Json = unknown<Json>();
export const JsonObject = record<Json>(false);
export type JsonObject = Record<string, Json>;

/**
 * A profile id as the Experience API issues it and as we accept it from a cookie or storage:
 * URL-safe, 1–128 characters. Anything else (markup, `; path=/x`, 10 KB of junk) is not an id.
 */
export const ProfileId = matching(/^[A-Za-z0-9_-]{1,128}$/, 'expected a profile id (1–128 of A–Z a–z 0–9 _ -)');

/** Organization (client) and environment ids in the URL path. */
export const NamespaceId = matching(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1–64 of A–Z a–z 0–9 _ -');

export const Query = record<string>(true);

export const PageContext = looseObject({ path: string(), query: Query, referrer: string(), search: string(), url: string() });

// Client-state protocol (state:store handles and meta.state.entries)

const StateKey = matching(/^[A-Za-z0-9_.-]{1,200}$/);
export const StateEntry = object({
  key: StateKey,
  value: optional(maxLength(4096)),
  maxAge: optional(integer(0)),
  attrs: optional(record<string>(true)),
});
export type StateEntry = Infer<typeof StateEntry>;

/** Any handle; entries of a `state:store` payload are validated one by one (a bad one is dropped, not the handle). */
export const Handle = looseObject({ type: string(), payload: optional(unknown()) });

// Experience API responses

export const Location = looseObject({
  coordinates: optional(looseObject({ latitude: number(), longitude: number() })),
  city: optional(string()),
  postalCode: optional(string()),
  region: optional(string()),
  regionCode: optional(string()),
  country: optional(string()),
  countryCode: optional(string()),
  continent: optional(string()),
  timezone: optional(string()),
});

export const SessionStatistics = looseObject({
  id: string(),
  isReturningVisitor: boolean(),
  count: number(),
  landingPage: PageContext,
  activeSessionLength: number(),
  averageSessionLength: number(),
});

export const Profile = looseObject({
  id: ProfileId,
  stableId: string(),
  random: number(),
  audiences: array(string()),
  traits: JsonObject,
  location: Location,
  session: SessionStatistics,
});
export type Profile = Infer<typeof Profile>;

export const SelectedOptimization = looseObject({
  experienceId: string(),
  variantIndex: integer(0),
  variants: record<string>(true),
  sticky: optional(boolean()),
});
export type SelectedOptimization = Infer<typeof SelectedOptimization>;
export const SelectedOptimizations = array(SelectedOptimization);

export const Change = looseObject({
  key: string(),
  type: oneOf('Variable'),
  value: Json, // any JSON value, null included
  meta: looseObject({ experienceId: string(), variantIndex: integer(0) }),
});
export type Change = Infer<typeof Change>;
export const Changes = array(Change);

export const ProfileResponseData = looseObject({ profile: Profile, experiences: SelectedOptimizations, changes: optional(Changes) });
export type ProfileResponseData = Infer<typeof ProfileResponseData>;

export const ErrorEnvelope = looseObject({ message: string(), data: unknown(), error: looseObject({ code: string() }) });

/** `{ data, message: "ok", error: null, handle? }` */
export const ProfileResponseEnvelope = looseObject({
  data: ProfileResponseData,
  message: string(),
  error: isNull(),
  handle: optional(array(Handle)),
});
export type ProfileResponseEnvelope = Infer<typeof ProfileResponseEnvelope>;

/** What the SDKs publish from one Experience response, and what a server hands to the browser. */
export const OptimizationData = object({ profile: Profile, selectedOptimizations: SelectedOptimizations, changes: Changes });
export type OptimizationData = Infer<typeof OptimizationData>;
