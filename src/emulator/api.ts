/**
 * The Experience API v2 and Insights API v1 operations, on top of the store.
 *
 * Mutations work on copies of the profiles they touch (a transaction) and write them back only at
 * the end — unless the request is a preflight (`?type=preflight`), which evaluates the same way and
 * then drops the copies, so nothing is stored.
 */
import {
  BatchRequestBody, ExperienceRequestBody, InsightsBatch, ProfileId,
  type ExperienceEvent, type ProfileResponseData, type StateStoreHandle,
} from '../core/schemas.js';
import { z } from 'zod/mini';
import { ApiError } from './errors.js';
import {
  applyEvent, evaluateAudiences, mergeProfiles, newProfile, resolveLocation, touchSession, toWireProfile,
  type ProfileRecord,
} from './profiles.js';
import { selectOptimizations } from './selection.js';
import type { SpaceModel } from './space.js';
import type { Namespace, Store } from './store.js';
import type { RandomSource } from './random.js';
import { parseOrThrow } from './validation.js';

export const BATCH_LIMITS = { events: 200, identify: 50, profiles: 50 } as const;
export const SESSION_MAX_AGE_S = 1800;

export interface ApiContext {
  space: SpaceModel;
  store: Store;
  random: RandomSource;
  now: () => number;
}

export interface RequestInfo {
  ns: Namespace;
  preflight: boolean;
  locale: string | null;
  ip: string | undefined;
}

/** Copies of the profiles one request works on. */
class Transaction {
  private readonly touched = new Map<string, ProfileRecord>();
  private readonly discarded = new Set<string>();
  constructor(private readonly ns: Namespace) {}

  get(id: string): ProfileRecord | undefined {
    let record = this.touched.get(id);
    if (!record) {
      const stored = this.ns.profiles.get(id);
      if (!stored) return undefined;
      record = structuredClone(stored);
      this.touched.set(id, record);
    }
    return record;
  }

  /** The profile for `id`, following identify merges. */
  resolve(id: string): ProfileRecord | undefined {
    let record = this.get(id);
    for (let hops = 0; record?.mergedInto && hops < 8; hops++) record = this.get(record.mergedInto) ?? record;
    return record;
  }

  add(record: ProfileRecord): ProfileRecord {
    this.touched.set(record.id, record);
    return record;
  }

  discard(id: string): void { this.discarded.add(id); }

  owner(userId: string): string | undefined {
    for (const record of this.touched.values()) if (record.userId === userId && !record.mergedInto) return record.id;
    return this.ns.users.get(userId);
  }

  commit(store: Store): void {
    for (const [id, record] of this.touched) if (!this.discarded.has(id)) store.putProfile(this.ns, record);
  }
}

function sessionEntryValue(body: { meta?: { state?: { entries?: { key: string; value?: string }[] } } }, org: string): string | undefined {
  const key = `kndctr_${org}_session`;
  return body.meta?.state?.entries?.find((e) => e.key === key)?.value;
}

/** Applies a request's events to one profile; returns the profile they ended on (an identify may move them). */
function applyEvents(ctx: ApiContext, tx: Transaction, start: ProfileRecord, events: readonly ExperienceEvent[],
  features: readonly string[], ip: string | undefined, sessionEntry: string | undefined): ProfileRecord {
  const now = ctx.now();
  const newId = () => ctx.random.id();
  let profile = start;
  touchSession(profile, now, events[0], sessionEntry, newId);
  for (const event of events) {
    if (event.type === 'identify' && event.userId) {
      const ownerId = tx.owner(event.userId);
      const owner = ownerId && ownerId !== profile.id ? tx.resolve(ownerId) : undefined;
      if (owner && owner.id !== profile.id) {
        mergeProfiles(owner, profile);
        touchSession(owner, now, event, undefined, newId);
        profile = owner;
      }
      profile.userId = event.userId;
    }
    applyEvent(profile, event, ctx.space);
  }
  profile.location = resolveLocation(ctx.space, features, ip);
  profile.audiences = evaluateAudiences(profile, ctx.space);
  profile.updatedAt = now;
  return profile;
}

export function profileData(ctx: ApiContext, profile: ProfileRecord, locale: string | null): ProfileResponseData & { changes: NonNullable<ProfileResponseData['changes']> } {
  const { experiences, changes } = selectOptimizations(ctx.space, profile);
  return { profile: toWireProfile(profile, ctx.space, locale), experiences, changes };
}

export function stateHandle(org: string, sessionId: string | null): StateStoreHandle[] {
  const payload: StateStoreHandle['payload'] = [];
  if (sessionId) payload.push({ key: `kndctr_${org}_session`, value: sessionId, maxAge: SESSION_MAX_AGE_S, attrs: { SameSite: 'Lax' } });
  payload.push({ key: `kndctr_${org}_consent_check`, value: '1' });
  return [{ type: 'state:store', payload }];
}

const ok = <T>(data: T, handle?: StateStoreHandle[]) => ({ data, message: 'ok', error: null, ...(handle ? { handle } : {}) });

export function checkProfileId(id: string): string {
  if (!z.safeParse(ProfileId, id).success) {
    throw new ApiError(400, 'ERR_INVALID_DATA', 'profileId: expected 1–128 characters of A–Z, a–z, 0–9, "_" or "-"');
  }
  return id;
}

/** POST …/profiles (create, `profileId` null) and POST …/profiles/{id} (update). */
export function upsertProfile(ctx: ApiContext, req: RequestInfo, profileId: string | null, json: unknown) {
  const body = parseOrThrow(ExperienceRequestBody, json);
  const tx = new Transaction(req.ns);
  const now = ctx.now();
  let start: ProfileRecord;
  let fresh = false;
  if (profileId === null) {
    start = tx.add(newProfile(ctx.random.id(), ctx.random.profileRandom(), now));
    fresh = true;
  } else {
    const existing = tx.resolve(checkProfileId(profileId));
    fresh = !existing;
    start = existing ?? tx.add(newProfile(profileId, ctx.random.profileRandom(), now));
  }
  const features = body.options?.features ?? [];
  const profile = applyEvents(ctx, tx, start, body.events, features, req.ip, sessionEntryValue(body, req.ns.organization));
  if (fresh && profile !== start) tx.discard(start.id); // a new anonymous profile that identified as a known user
  if (!req.preflight) tx.commit(ctx.store);
  return ok(profileData(ctx, profile, req.locale), stateHandle(req.ns.organization, profile.session?.id ?? null));
}

/** GET …/profiles/{id} */
export function readProfile(ctx: ApiContext, req: RequestInfo, profileId: string) {
  let profile = req.ns.profiles.get(profileId);
  for (let hops = 0; profile?.mergedInto && hops < 8; hops++) profile = req.ns.profiles.get(profile.mergedInto) ?? profile;
  if (!profile) throw new ApiError(404, 'ERR_PROFILE_NOT_FOUND', `profile ${JSON.stringify(profileId.slice(0, 128))} not found`);
  return ok(profileData(ctx, profile, req.locale), stateHandle(req.ns.organization, profile.session?.id ?? null));
}

/** POST …/events: the server-side batch, one profile per `anonymousId`. */
export function upsertBatch(ctx: ApiContext, req: RequestInfo, json: unknown) {
  const body = parseOrThrow(BatchRequestBody, json);
  const groups = new Map<string, ExperienceEvent[]>();
  let identifies = 0;
  body.events.forEach((event, i) => {
    const id = event.anonymousId;
    if (!z.safeParse(ProfileId, id).success) {
      throw new ApiError(400, 'ERR_INVALID_DATA', `events[${i}].anonymousId: expected 1–128 characters of A–Z, a–z, 0–9, "_" or "-"`);
    }
    if (event.type === 'identify' && ++identifies > BATCH_LIMITS.identify) {
      throw new ApiError(400, 'ERR_INVALID_DATA', `events: at most ${BATCH_LIMITS.identify} identify events per batch`);
    }
    let group = groups.get(id);
    if (!group) {
      if (groups.size >= BATCH_LIMITS.profiles) {
        throw new ApiError(400, 'ERR_INVALID_DATA', `events: at most ${BATCH_LIMITS.profiles} distinct profiles (anonymousId) per batch`);
      }
      group = [];
      groups.set(id, group);
    }
    group.push(event);
  });
  const tx = new Transaction(req.ns);
  const features = body.options?.features ?? [];
  const results: ProfileRecord[] = [];
  for (const [id, events] of groups) {
    const start = tx.resolve(id) ?? tx.add(newProfile(id, ctx.random.profileRandom(), ctx.now()));
    const profile = applyEvents(ctx, tx, start, events, features, req.ip, undefined);
    if (!results.includes(profile)) results.push(profile);
  }
  if (!req.preflight) tx.commit(ctx.store);
  const only = results.length === 1 ? results[0]!.session?.id ?? null : null;
  return ok({ profiles: results.map((p) => toWireProfile(p, ctx.space, req.locale)) }, stateHandle(req.ns.organization, only));
}

/** POST /v1/…/events: Insights batches, de-duplicated by messageId. */
export function ingestInsights(ctx: ApiContext, req: RequestInfo, json: unknown) {
  const batch = parseOrThrow(InsightsBatch, json);
  const receivedAt = new Date(ctx.now()).toISOString();
  let accepted = 0;
  for (const item of batch) {
    for (const event of item.events) {
      const added = ctx.store.addInsights(req.ns, {
        organization: req.ns.organization, environment: req.ns.environment, profileId: item.profile.id, receivedAt, event,
      });
      if (added) accepted++;
    }
  }
  return { accepted, answer: { data: {}, message: 'ok', error: null } };
}
