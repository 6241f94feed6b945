/**
 * The emulator's data, one isolated namespace per organization + environment: profiles, the
 * userId → profile index, received Insights events and a digest of applied Experience events
 * (both de-duplicated by messageId).
 *
 * Every change goes through `putProfile`, `addInsights`, `addExperience` and `reset`, which also
 * hand a record to the optional persistence (see persistence.ts) and bump `version`; the in-memory
 * maps are the source of truth while running.
 *
 * Limits, per namespace: the event logs keep the newest MAX_INSIGHTS_PER_NAMESPACE Insights events
 * and MAX_EXPERIENCE_PER_NAMESPACE Experience digests. What the experiment results need of an
 * event that falls off a log — a visitor's first exposure per experience, its goal events, the
 * activity counts — is folded into the namespace's `dropped` summary first, so the figures do not
 * change when the logs roll over. The messageIds that make a resent event count once are
 * remembered apart from the logs, up to MAX_MESSAGE_IDS_PER_NAMESPACE per API (ten and five times
 * the logs). Past those caps the figures can be wrong, and `dropped` says by how many events.
 */
import type { InsightsEvent } from '../core/schemas.js';
import type { ProfileRecord } from './profiles.js';
import { entryEvent, trackEvent } from './results.js';

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

/** A visitor's first exposure to an experience among the events dropped from the log. */
export interface DroppedExposure { variant: number; start: number; knownAt: number; variants: number[] }
export interface DroppedActivity { views: number; clicks: number; hovers: number }
/** A goal event (client time, time received) kept for the results after it fell off the log. */
export interface DroppedTrack { at: number; knownAt: number }

/** What the results need of the events the log caps dropped, and how many were dropped. */
export interface DroppedSummary {
  insightsEvents: number;
  experienceEvents: number;
  /** messageIds forgotten past MAX_MESSAGE_IDS_PER_NAMESPACE: a resend of those events would count again. */
  forgottenMessageIds: number;
  /** Dropped events the summary had no room for (MAX_SUMMARY_ENTRIES): their figures are lost. */
  unsummarized: number;
  /** experienceId → profileId → the first exposure among dropped views. */
  exposures: Map<string, Map<string, DroppedExposure>>;
  /** experienceId → variant index → dropped views (distinct viewIds), clicks and hovers. */
  activity: Map<string, Map<number, DroppedActivity>>;
  /**
   * profileId → track event name → at most two dropped events: the first received (the earliest
   * the emulator knew of one) and the latest on the client's clock (a conversion exists iff it is
   * at or after the exposure).
   */
  tracks: Map<string, Map<string, DroppedTrack[]>>;
  /** Track event name → dropped events. */
  trackCounts: Map<string, number>;
  /** Map entries held above, against MAX_SUMMARY_ENTRIES. */
  entries: number;
}

export interface Namespace {
  organization: string;
  environment: string;
  profiles: Map<string, ProfileRecord>;
  users: Map<string, string>;
  insights: StoredInsightsEvent[];
  /** Insights messageIds taken, oldest first (also those whose events left the log). */
  messageIds: Set<string>;
  experience: StoredExperienceEvent[];
  /** Applied Experience events: messageId → the profile it went to, oldest first (also those whose digests left the log). */
  experienceIds: Map<string, string>;
  /** How many view / hover events in the Insights log share a key: a view counts once, when its last event leaves the log. */
  logKeys: Map<string, number>;
  dropped: DroppedSummary;
}

/** The serialized form of a namespace's `dropped` summary. */
export interface DroppedSnapshot {
  insightsEvents: number;
  experienceEvents: number;
  forgottenMessageIds: number;
  unsummarized: number;
  exposures: [string, [string, DroppedExposure][]][];
  activity: [string, [number, DroppedActivity][]][];
  tracks: [string, [string, DroppedTrack[]][]][];
  trackCounts: [string, number][];
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
    /** messageIds remembered for events no longer in `insights` / `experience`, oldest first (absent: none). */
    earlierMessageIds?: string[];
    earlierExperienceIds?: [string, string][];
    dropped?: DroppedSnapshot;
  }[];
}

/** Oldest Insights events leave the log beyond this many per namespace (into the `dropped` summary). */
export const MAX_INSIGHTS_PER_NAMESPACE = 50_000;
/** Oldest Experience event digests leave the log beyond this many per namespace (into the `dropped` summary). */
export const MAX_EXPERIENCE_PER_NAMESPACE = 100_000;
/** messageIds remembered per namespace and API, whether or not their events are still in the log. */
export const MAX_MESSAGE_IDS_PER_NAMESPACE = 500_000;
/** Visitor × experience exposures, visitor × goal events, activity rows and goal names the `dropped` summary holds per namespace. */
export const MAX_SUMMARY_ENTRIES = 500_000;

const emptyDropped = (): DroppedSummary => ({
  insightsEvents: 0, experienceEvents: 0, forgottenMessageIds: 0, unsummarized: 0,
  exposures: new Map(), activity: new Map(), tracks: new Map(), trackCounts: new Map(), entries: 0,
});

/** The first of a Map's or Set's keys (insertion order): the oldest. */
const oldest = <K>(keys: IterableIterator<K>): K | undefined => keys.next().value;

function logKey(stored: StoredInsightsEvent): string | null {
  const e = entryEvent(stored);
  return e && e.kind !== 'click' ? `${e.kind}\u0000${e.experienceId}\u0000${e.variant}\u0000${e.key}` : null;
}

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
        experience: [], experienceIds: new Map(), logKeys: new Map(), dropped: emptyDropped(),
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
    if (ns.messageIds.size > MAX_MESSAGE_IDS_PER_NAMESPACE) {
      ns.messageIds.delete(oldest(ns.messageIds.values())!);
      ns.dropped.forgottenMessageIds++;
    }
    ns.insights.push(stored);
    const key = logKey(stored);
    if (key !== null) ns.logKeys.set(key, (ns.logKeys.get(key) ?? 0) + 1);
    if (ns.insights.length > MAX_INSIGHTS_PER_NAMESPACE) {
      for (const d of ns.insights.splice(0, ns.insights.length - MAX_INSIGHTS_PER_NAMESPACE)) this.#dropInsights(ns, d);
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
      if (ns.experienceIds.size > MAX_MESSAGE_IDS_PER_NAMESPACE) {
        ns.experienceIds.delete(oldest(ns.experienceIds.keys())!);
        ns.dropped.forgottenMessageIds++;
      }
      ns.experience.push(event);
      added.push(event);
    }
    if (ns.experience.length > MAX_EXPERIENCE_PER_NAMESPACE) {
      for (const d of ns.experience.splice(0, ns.experience.length - MAX_EXPERIENCE_PER_NAMESPACE)) this.#dropExperience(ns, d);
    }
    if (added.length === 0) return 0;
    this.version++;
    this.onRecord?.({ k: 'x', o: ns.organization, e: ns.environment, v: added });
    return added.length;
  }

  /** Folds an Insights event that leaves the log into the namespace's `dropped` summary. */
  #dropInsights(ns: Namespace, stored: StoredInsightsEvent): void {
    const d = ns.dropped;
    d.insightsEvents++;
    const e = entryEvent(stored);
    if (!e) return;
    if (e.kind === 'view') this.#foldExposure(ns, stored.profileId, e);
    // A view or hover whose other event (start or end) is still in the log is counted there.
    let last = true;
    if (e.kind !== 'click') {
      const key = logKey(stored)!;
      const left = (ns.logKeys.get(key) ?? 1) - 1;
      if (left > 0) ns.logKeys.set(key, left);
      else ns.logKeys.delete(key);
      last = left === 0;
    }
    if (!last) return;
    let perVariant = d.activity.get(e.experienceId);
    let act = perVariant?.get(e.variant);
    if (!act) {
      if (d.entries >= MAX_SUMMARY_ENTRIES) { d.unsummarized++; return; }
      if (!perVariant) d.activity.set(e.experienceId, (perVariant = new Map()));
      perVariant.set(e.variant, (act = { views: 0, clicks: 0, hovers: 0 }));
      d.entries++;
    }
    act[e.kind === 'click' ? 'clicks' : e.kind === 'hover' ? 'hovers' : 'views']++;
  }

  #foldExposure(ns: Namespace, profileId: string, e: NonNullable<ReturnType<typeof entryEvent>>): void {
    const d = ns.dropped;
    let perVisitor = d.exposures.get(e.experienceId);
    const seen = perVisitor?.get(profileId);
    if (!seen) {
      if (d.entries >= MAX_SUMMARY_ENTRIES) { d.unsummarized++; return; }
      if (!perVisitor) d.exposures.set(e.experienceId, (perVisitor = new Map()));
      perVisitor.set(profileId, { variant: e.variant, start: e.start, knownAt: e.knownAt, variants: [e.variant] });
      d.entries++;
      return;
    }
    // At most one more than an experience can have: enough to tell a crossover.
    if (!seen.variants.includes(e.variant) && seen.variants.length < 65) seen.variants.push(e.variant);
    if (e.start < seen.start) { seen.start = e.start; seen.variant = e.variant; }
    seen.knownAt = Math.min(seen.knownAt, e.knownAt);
  }

  /** Folds an Experience digest that leaves the log into the namespace's `dropped` summary. */
  #dropExperience(ns: Namespace, stored: StoredExperienceEvent): void {
    const d = ns.dropped;
    d.experienceEvents++;
    const t = trackEvent(stored);
    if (!t) return;
    if (!d.trackCounts.has(t.name)) {
      if (d.entries >= MAX_SUMMARY_ENTRIES) { d.unsummarized++; return; }
      d.entries++;
    }
    d.trackCounts.set(t.name, (d.trackCounts.get(t.name) ?? 0) + 1);
    let perGoal = d.tracks.get(stored.profileId);
    let list = perGoal?.get(t.name);
    if (!list) {
      if (d.entries >= MAX_SUMMARY_ENTRIES) { d.unsummarized++; return; }
      if (!perGoal) d.tracks.set(stored.profileId, (perGoal = new Map()));
      perGoal.set(t.name, (list = [{ at: t.at, knownAt: t.knownAt }]));
      d.entries++;
      return;
    }
    // [0]: the first received (digests leave the log in the order they came); [1]: the latest by the client's clock.
    const latest = list[1] ?? list[0]!;
    if (t.at > latest.at) list[1] = { at: t.at, knownAt: t.knownAt };
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
      namespaces: [...this.namespaces.values()].map((ns) => {
        const d = ns.dropped;
        // Remembered ids come first in insertion order, then those of the events still in the logs.
        const earlierIds = [...ns.messageIds].slice(0, Math.max(0, ns.messageIds.size - ns.insights.length));
        const earlierExperienceIds = [...ns.experienceIds].slice(0, Math.max(0, ns.experienceIds.size - ns.experience.length));
        const pairs = <V, W>(m: Map<string, Map<V, W>>) => [...m].map(([k, inner]) => [k, [...inner]] as [string, [V, W][]]);
        return {
          organization: ns.organization,
          environment: ns.environment,
          profiles: [...ns.profiles.values()],
          insights: ns.insights,
          experience: ns.experience,
          ...(earlierIds.length ? { earlierMessageIds: earlierIds } : {}),
          ...(earlierExperienceIds.length ? { earlierExperienceIds } : {}),
          ...(d.insightsEvents || d.experienceEvents || d.forgottenMessageIds ? {
            dropped: {
              insightsEvents: d.insightsEvents, experienceEvents: d.experienceEvents,
              forgottenMessageIds: d.forgottenMessageIds, unsummarized: d.unsummarized,
              exposures: pairs(d.exposures), activity: pairs(d.activity), tracks: pairs(d.tracks), trackCounts: [...d.trackCounts],
            },
          } : {}),
        };
      }),
    };
  }

  restore(snapshot: StoreSnapshot): void {
    for (const n of snapshot.namespaces) {
      const ns = this.namespace(n.organization, n.environment);
      for (const p of n.profiles) this.replay({ k: 'p', o: n.organization, e: n.environment, r: p });
      for (const id of n.earlierMessageIds ?? []) ns.messageIds.add(id);
      for (const [id, profileId] of n.earlierExperienceIds ?? []) ns.experienceIds.set(id, profileId);
      for (const i of n.insights) {
        if (ns.messageIds.has(i.event.messageId)) continue;
        ns.messageIds.add(i.event.messageId);
        ns.insights.push(i);
        const key = logKey(i);
        if (key !== null) ns.logKeys.set(key, (ns.logKeys.get(key) ?? 0) + 1);
      }
      for (const x of n.experience ?? []) {
        if (ns.experienceIds.has(x.messageId)) continue;
        ns.experienceIds.set(x.messageId, x.profileId);
        ns.experience.push(x);
      }
      if (n.dropped) {
        const d = n.dropped;
        const nested = <V, W>(list: [string, [V, W][]][]) => new Map(list.map(([k, inner]) => [k, new Map(inner)]));
        ns.dropped = {
          insightsEvents: d.insightsEvents, experienceEvents: d.experienceEvents,
          forgottenMessageIds: d.forgottenMessageIds, unsummarized: d.unsummarized,
          exposures: nested(d.exposures), activity: nested(d.activity), tracks: nested(d.tracks), trackCounts: new Map(d.trackCounts),
          entries: 0,
        };
        const x = ns.dropped;
        x.entries = x.trackCounts.size + [x.exposures, x.activity, x.tracks].reduce((s, m) => s + [...m.values()].reduce((t, inner) => t + inner.size, 0), 0);
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
