/**
 * The emulator's data, one isolated namespace per organization + environment: profiles, the
 * userId → profile index, and received Insights events (de-duplicated by messageId).
 *
 * Every change goes through `putProfile`, `addInsights` and `reset`, which also hand a record to
 * the optional persistence (see persistence.ts); the in-memory maps are the source of truth while
 * running.
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

export interface Namespace {
  organization: string;
  environment: string;
  profiles: Map<string, ProfileRecord>;
  users: Map<string, string>;
  insights: StoredInsightsEvent[];
  messageIds: Set<string>;
}

/** What persistence writes: full profile states, Insights events, resets. Replaying them in order rebuilds the store. */
export type StoreRecord =
  | { k: 'p'; o: string; e: string; r: ProfileRecord }
  | { k: 'i'; o: string; e: string; v: StoredInsightsEvent }
  | { k: 'r'; o: string | null };

export interface StoreSnapshot {
  namespaces: { organization: string; environment: string; profiles: ProfileRecord[]; insights: StoredInsightsEvent[] }[];
}

/** Oldest Insights events are dropped beyond this many per namespace. */
export const MAX_INSIGHTS_PER_NAMESPACE = 50_000;

export class Store {
  readonly namespaces = new Map<string, Namespace>();
  onRecord: ((record: StoreRecord) => void) | null = null;

  static key(organization: string, environment: string): string {
    return `${organization}\u0000${environment}`;
  }

  namespace(organization: string, environment: string): Namespace {
    const key = Store.key(organization, environment);
    let ns = this.namespaces.get(key);
    if (!ns) {
      ns = { organization, environment, profiles: new Map(), users: new Map(), insights: [], messageIds: new Set() };
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
    this.onRecord?.({ k: 'i', o: ns.organization, e: ns.environment, v: stored });
    return true;
  }

  /** Clears one organization (all its environments) or everything. */
  reset(organization: string | null): void {
    for (const [key, ns] of this.namespaces) {
      if (organization === null || ns.organization === organization) this.namespaces.delete(key);
    }
    this.onRecord?.({ k: 'r', o: organization });
  }

  /** Applies a persisted record without re-emitting it. */
  replay(record: StoreRecord): void {
    const emit = this.onRecord;
    this.onRecord = null;
    try {
      if (record.k === 'p') this.putProfile(this.namespace(record.o, record.e), record.r);
      else if (record.k === 'i') this.addInsights(this.namespace(record.o, record.e), record.v);
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
    }
  }

  profileCount(organization: string | null): number {
    let n = 0;
    for (const ns of this.namespaces.values()) if (organization === null || ns.organization === organization) n += ns.profiles.size;
    return n;
  }
}
