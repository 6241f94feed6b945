/**
 * The emulator's data, one isolated namespace per organization + environment: profiles, the
 * userId → profile index, received Insights events and a digest of applied Experience events
 * (both de-duplicated by messageId).
 *
 * Every change goes through `putProfile`, `addInsights`, `addExperience` and `reset`, which also
 * hand a record to the optional persistence (see persistence.ts) and bump `version`; the in-memory
 * maps are the source of truth while running.
 */
import type { InsightsEvent } from '../core/schemas.js';
import type { ProfileRecord } from './profiles.js';

export interface StoredInsightsEvent {
  organization: string;
  environment: string;
  profileId: string;
  receivedAt: string;
  event: InsightsEvent;
}

/**
 * What the emulator keeps of an Experience API event it applied: enough to count conversions
 * (`track` names, when they happened) and to recognize a resent event by its messageId.
 */
export interface StoredExperienceEvent {
  /** The profile the event was applied to (an `anonymousId` for the server batch route). */
  profileId: string;
  messageId: string;
  type: string;
  /** `track` events: the event name. */
  name?: string;
  /** The client's `originalTimestamp` (else `timestamp`): orders a visitor's events on one clock. */
  at: string;
  receivedAt: string;
}

export interface Namespace {
  organization: string;
  environment: string;
  profiles: Map<string, ProfileRecord>;
  users: Map<string, string>;
  insights: StoredInsightsEvent[];
  messageIds: Set<string>;
  experience: StoredExperienceEvent[];
  /** Applied Experience events: messageId → the profile it went to. */
  experienceIds: Map<string, string>;
}

/** What persistence writes: full profile states, Insights events, resets. Replaying them in order rebuilds the store. */
export type StoreRecord =
  | { k: 'p'; o: string; e: string; r: ProfileRecord }
  | { k: 'i'; o: string; e: string; v: StoredInsightsEvent }
  | { k: 'x'; o: string; e: string; v: StoredExperienceEvent[] }
  | { k: 'r'; o: string | null };

export interface StoreSnapshot {
  namespaces: {
    organization: string; environment: string; profiles: ProfileRecord[]; insights: StoredInsightsEvent[];
    /** Absent in snapshots written before Experience events were kept. */
    experience?: StoredExperienceEvent[];
  }[];
}

/** Oldest Insights events are dropped beyond this many per namespace. */
export const MAX_INSIGHTS_PER_NAMESPACE = 50_000;
/** Oldest Experience event digests (and their messageIds) are dropped beyond this many per namespace. */
export const MAX_EXPERIENCE_PER_NAMESPACE = 100_000;

export class Store {
  readonly namespaces = new Map<string, Namespace>();
  onRecord: ((record: StoreRecord) => void) | null = null;
  /** Bumped on every change: answers derived from the store can be cached against it. */
  version = 0;

  static key(organization: string, environment: string): string {
    return `${organization}\u0000${environment}`;
  }

  namespace(organization: string, environment: string): Namespace {
    const key = Store.key(organization, environment);
    let ns = this.namespaces.get(key);
    if (!ns) {
      ns = {
        organization, environment, profiles: new Map(), users: new Map(), insights: [], messageIds: new Set(),
        experience: [], experienceIds: new Map(),
      };
      this.namespaces.set(key, ns);
    }
    return ns;
  }

  peek(organization: string, environment: string): Namespace | undefined {
    return this.namespaces.get(Store.key(organization, environment));
  }

  putProfile(ns: Namespace, profile: ProfileRecord): void {
    const previous = ns.profiles.get(profile.id);
    if (previous?.userId && previous.userId !== profile.userId && ns.users.get(previous.userId) === profile.id) {
      ns.users.delete(previous.userId);
    }
    ns.profiles.set(profile.id, profile);
    if (profile.userId && !profile.mergedInto) ns.users.set(profile.userId, profile.id);
    this.version++;
    this.onRecord?.({ k: 'p', o: ns.organization, e: ns.environment, r: profile });
  }

  /** Adds an event unless its messageId was seen in this namespace; returns whether it was added. */
  addInsights(ns: Namespace, stored: StoredInsightsEvent): boolean {
    if (ns.messageIds.has(stored.event.messageId)) return false;
    ns.messageIds.add(stored.event.messageId);
    ns.insights.push(stored);
    if (ns.insights.length > MAX_INSIGHTS_PER_NAMESPACE) {
      const dropped = ns.insights.splice(0, ns.insights.length - MAX_INSIGHTS_PER_NAMESPACE);
      for (const d of dropped) ns.messageIds.delete(d.event.messageId);
    }
    this.version++;
    this.onRecord?.({ k: 'i', o: ns.organization, e: ns.environment, v: stored });
    return true;
  }

  /** Keeps the digests of applied Experience events whose messageId is new here; returns how many. */
  addExperience(ns: Namespace, events: readonly StoredExperienceEvent[]): number {
    const added: StoredExperienceEvent[] = [];
    for (const event of events) {
      if (ns.experienceIds.has(event.messageId)) continue;
      ns.experienceIds.set(event.messageId, event.profileId);
      ns.experience.push(event);
      added.push(event);
    }
    if (ns.experience.length > MAX_EXPERIENCE_PER_NAMESPACE) {
      const dropped = ns.experience.splice(0, ns.experience.length - MAX_EXPERIENCE_PER_NAMESPACE);
      for (const d of dropped) ns.experienceIds.delete(d.messageId);
    }
    if (added.length === 0) return 0;
    this.version++;
    this.onRecord?.({ k: 'x', o: ns.organization, e: ns.environment, v: added });
    return added.length;
  }

  /** Clears one organization (all its environments) or everything. */
  reset(organization: string | null): void {
    for (const [key, ns] of this.namespaces) {
      if (organization === null || ns.organization === organization) this.namespaces.delete(key);
    }
    this.version++;
    this.onRecord?.({ k: 'r', o: organization });
  }

  /** Applies a persisted record without re-emitting it. */
  replay(record: StoreRecord): void {
    const emit = this.onRecord;
    this.onRecord = null;
    try {
      if (record.k === 'p') this.putProfile(this.namespace(record.o, record.e), record.r);
      else if (record.k === 'i') this.addInsights(this.namespace(record.o, record.e), record.v);
      else if (record.k === 'x') this.addExperience(this.namespace(record.o, record.e), record.v);
      else if (record.k === 'r') this.reset(record.o);
    } finally {
      this.onRecord = emit;
    }
  }

  snapshot(): StoreSnapshot {
    return {
      namespaces: [...this.namespaces.values()].map((ns) => ({
        organization: ns.organization,
        environment: ns.environment,
        profiles: [...ns.profiles.values()],
        insights: ns.insights,
        experience: ns.experience,
      })),
    };
  }

  restore(snapshot: StoreSnapshot): void {
    for (const n of snapshot.namespaces) {
      const ns = this.namespace(n.organization, n.environment);
      for (const p of n.profiles) this.replay({ k: 'p', o: n.organization, e: n.environment, r: p });
      for (const i of n.insights) {
        if (!ns.messageIds.has(i.event.messageId)) { ns.messageIds.add(i.event.messageId); ns.insights.push(i); }
      }
      for (const x of n.experience ?? []) {
        if (!ns.experienceIds.has(x.messageId)) { ns.experienceIds.set(x.messageId, x.profileId); ns.experience.push(x); }
      }
    }
    this.version++;
  }

  profileCount(organization: string | null): number {
    let n = 0;
    for (const ns of this.namespaces.values()) if (organization === null || ns.organization === organization) n += ns.profiles.size;
    return n;
  }
}
