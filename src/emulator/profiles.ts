/**
 * A profile as the emulator keeps it, how events change it, and what the API answers for it.
 *
 * Sessions: a request more than 30 minutes after the profile's last activity (emulator clock)
 * starts a new session; `isReturningVisitor` is true from the second session on. A request whose
 * `meta.state.entries` carry the profile's current session id continues that session (the client
 * still holds the 30-minute state entry), and a profile created with such an entry adopts its id.
 * Lengths are in seconds.
 */
import type { ExperienceEvent, JsonObject, Profile } from '../core/schemas.js';
import { ownCount, pageConditionsMatch, rulesMatch, type PageFacts } from './audiences.js';
import type { LocationData, SpaceModel } from './space.js';
import { maxVariantIndex } from './selection.js';

export const SESSION_IDLE_MS = 30 * 60 * 1000;

export type PageContextData = { path: string; query: Record<string, string>; referrer: string; search: string; url: string; [key: string]: unknown };

export interface SessionRecord {
  id: string;
  startedAt: number;
  lastActivityAt: number;
  landingPage: PageContextData;
}

export interface ProfileRecord {
  id: string;
  stableId: string;
  random: number;
  traits: JsonObject;
  userId: string | null;
  audiences: string[];
  location: LocationData;
  session: SessionRecord | null;
  sessionCount: number;
  /** Seconds spent in sessions that have ended. */
  pastSessionsLength: number;
  /** Page-rule key → number of page events that met the rule's conditions. */
  pageCounts: Record<string, number>;
  /** Track event name → count. */
  trackCounts: Record<string, number>;
  /** Sticky experience id → variant index recorded from a view. */
  sticky: Record<string, number>;
  /** Set when an identify moved this visitor onto another profile with the same userId. */
  mergedInto: string | null;
  createdAt: number;
  updatedAt: number;
}

export function newProfile(id: string, random: number, now: number): ProfileRecord {
  return {
    id, stableId: id, random, traits: {}, userId: null, audiences: [], location: {}, session: null,
    sessionCount: 0, pastSessionsLength: 0, pageCounts: {}, trackCounts: {}, sticky: {}, mergedInto: null,
    createdAt: now, updatedAt: now,
  };
}

/** Sets an own key, even `__proto__`, without touching prototypes. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Shallow merge that copies `__proto__` as data, never as a prototype. */
export function mergeOwn<T>(target: Record<string, T>, source: Record<string, T>): void {
  for (const key of Object.keys(source)) setOwn(target, key, source[key] as T);
}

const EMPTY_PAGE: PageContextData = { path: '', query: {}, referrer: '', search: '', url: '' };

function pageOf(event: ExperienceEvent): PageContextData {
  const props = event.type === 'page' ? event.properties : undefined;
  const ctx = event.context.page;
  return {
    path: props?.path ?? ctx?.path ?? '',
    query: props?.query ?? ctx?.query ?? {},
    referrer: props?.referrer ?? ctx?.referrer ?? '',
    search: props?.search ?? ctx?.search ?? '',
    url: props?.url ?? ctx?.url ?? '',
  };
}

function pageFacts(event: ExperienceEvent): PageFacts {
  const page = pageOf(event);
  const campaign: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.context.campaign ?? {})) if (typeof v === 'string') setOwn(campaign, k, v);
  const title = event.type === 'page' && typeof event.properties.title === 'string' ? event.properties.title : '';
  return { ...page, title, campaign };
}

/** Starts or continues the session for a request at `now`. */
export function touchSession(profile: ProfileRecord, now: number, firstEvent: ExperienceEvent | undefined,
  sessionEntry: string | undefined, newId: () => string): void {
  const current = profile.session;
  if (current && (now - current.lastActivityAt <= SESSION_IDLE_MS || sessionEntry === current.id)) {
    current.lastActivityAt = Math.max(current.lastActivityAt, now);
    return;
  }
  if (current) profile.pastSessionsLength += Math.max(0, current.lastActivityAt - current.startedAt) / 1000;
  profile.sessionCount += 1;
  const adopt = !current && sessionEntry !== undefined && /^[A-Za-z0-9_-]{1,128}$/.test(sessionEntry);
  profile.session = {
    id: adopt ? sessionEntry : newId(),
    startedAt: now,
    lastActivityAt: now,
    landingPage: firstEvent ? pageOf(firstEvent) : { ...EMPTY_PAGE },
  };
}

/** Applies one non-identify event's effect on counters and sticky assignments. */
export function applyEvent(profile: ProfileRecord, event: ExperienceEvent, space: SpaceModel): void {
  switch (event.type) {
    case 'page': {
      const facts = pageFacts(event);
      for (const rule of space.pageRules) {
        if (pageConditionsMatch(facts, rule.conditions)) setOwn(profile.pageCounts, rule.key, ownCount(profile.pageCounts, rule.key) + 1);
      }
      break;
    }
    case 'track':
      setOwn(profile.trackCounts, event.event, ownCount(profile.trackCounts, event.event) + 1);
      break;
    case 'identify':
      mergeOwn(profile.traits, event.traits);
      break;
    case 'component': {
      const experience = event.experienceId ? space.experiences.find((e) => e.id === event.experienceId) : undefined;
      if (experience?.config.sticky && event.variantIndex <= maxVariantIndex(experience)
        && !Object.prototype.hasOwnProperty.call(profile.sticky, experience.id)) {
        setOwn(profile.sticky, experience.id, event.variantIndex);
      }
      break;
    }
    default:
      break;
  }
}

/** Folds an anonymous profile into the known profile an identify pointed at. */
export function mergeProfiles(into: ProfileRecord, from: ProfileRecord): void {
  const traits: JsonObject = {};
  mergeOwn(traits, from.traits);
  mergeOwn(traits, into.traits);
  into.traits = traits;
  for (const [k, v] of Object.entries(from.pageCounts)) setOwn(into.pageCounts, k, ownCount(into.pageCounts, k) + v);
  for (const [k, v] of Object.entries(from.trackCounts)) setOwn(into.trackCounts, k, ownCount(into.trackCounts, k) + v);
  for (const [k, v] of Object.entries(from.sticky)) {
    if (!Object.prototype.hasOwnProperty.call(into.sticky, k)) setOwn(into.sticky, k, v);
  }
  from.mergedInto = into.id;
}

export function evaluateAudiences(profile: ProfileRecord, space: SpaceModel): string[] {
  const subject = {
    traits: profile.traits,
    location: profile.location as Record<string, unknown>,
    isReturningVisitor: profile.sessionCount > 1,
    pageCounts: profile.pageCounts,
    trackCounts: profile.trackCounts,
  };
  return space.audiences.filter((a) => rulesMatch(a.rules, subject)).map((a) => a.id);
}

/** The location for a request: only when a feature asks for it; from `X-Force-IP` or the default. */
export function resolveLocation(space: SpaceModel, features: readonly string[], ip: string | undefined): LocationData {
  if (!features.includes('location') && !features.includes('ip-enrichment')) return {};
  const byIp = ip !== undefined && Object.prototype.hasOwnProperty.call(space.ipLookup, ip) ? space.ipLookup[ip] : undefined;
  return structuredClone(byIp ?? space.location ?? {});
}

const LOCALIZED_FIELDS = ['city', 'country', 'region', 'continent'] as const;

/** Location names in `locale` from the space's `emulator.locationNames` (exact locale, then language). */
export function localizeLocation(space: SpaceModel, location: LocationData, locale: string | null): LocationData {
  if (!locale) return location;
  const own = <T>(o: Record<string, T>, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
  const table = own(space.locationNames, locale) ?? own(space.locationNames, locale.split('-')[0] ?? '');
  if (!table) return location;
  const out: LocationData = { ...location };
  for (const field of LOCALIZED_FIELDS) {
    const value = location[field];
    const names = own(table, field);
    const localized = value !== undefined && names ? own(names, value) : undefined;
    if (localized !== undefined) out[field] = localized;
  }
  return out;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** The profile exactly as the Experience API answers it. */
export function toWireProfile(profile: ProfileRecord, space: SpaceModel, locale: string | null): Profile {
  const session = profile.session;
  const active = session ? Math.round(Math.max(0, session.lastActivityAt - session.startedAt) / 1000) : 0;
  const count = Math.max(1, profile.sessionCount);
  return {
    id: profile.id,
    stableId: profile.stableId,
    random: profile.random,
    audiences: [...profile.audiences],
    traits: profile.traits,
    location: localizeLocation(space, profile.location, locale),
    session: {
      id: session?.id ?? '',
      isReturningVisitor: profile.sessionCount > 1,
      count: profile.sessionCount,
      landingPage: session?.landingPage ?? { ...EMPTY_PAGE },
      activeSessionLength: active,
      averageSessionLength: round1((profile.pastSessionsLength + active) / count),
    },
  };
}
