/**
 * Experiment results from what the emulator received: per experience and variant, visitors
 * exposed, views, clicks and hovers on the entry, and conversions for goals, with the statistics
 * of stats.ts. `GET /_emulator/results`, the dashboard and the preview panel all show this.
 *
 * Counting rules (what makes the figures honest under retries, reloads and beacons):
 * - Events arrive de-duplicated by messageId (store.ts), so a resent event is never seen twice.
 * - A visitor is a profile (followed through identify merges) and is *exposed* to an experience
 *   from its first Insights view (`component`, `componentType: "Entry"`) carrying that
 *   experienceId; it counts once, in the variant of that first view, even if it saw others later
 *   (`crossovers` counts those).
 * - Views are distinct `viewId`s (a view is reported as a start and an end event sharing one),
 *   hovers distinct `hoverId`s, clicks events; each in the variant the event names.
 * - A conversion is an exposed visitor with a `track` event named after the goal at or after the
 *   start of its first view. Both times are the client's own (`originalTimestamp`; a view started
 *   `viewDurationMs` before it was reported), so a conversion sent before a queued view is
 *   delivered still counts; events without a usable time use the time the emulator received them.
 * - A visitor whose first view names a variant index no experience can have (> MAX_VARIANT_INDEX)
 *   is counted apart (`outOfRangeVisitors`) and makes a sample-ratio mismatch: it is a tracking bug.
 * - Events the store's per-namespace caps dropped from its logs still count through the store's
 *   `dropped` summary (store.ts), which `totals.dropped` reports.
 */
import type { AudienceModel, SpaceModel } from './space.js';
import type { Namespace, Store, StoredExperienceEvent, StoredInsightsEvent } from './store.js';
import {
  assignmentShares, compareArms, enoughData, MIN_CONVERSIONS, MIN_VISITORS, sampleRatioMismatchShares, SRM_THRESHOLD,
  type SrmResult,
} from './stats.js';

export type { UnevaluableRule, VariantActivity, GoalVariant, SeriesPoint, GoalResult, ExperienceResult, ResultsResponse } from './results-types.js';
import type { UnevaluableRule, VariantActivity, GoalVariant, SeriesPoint, GoalResult, ExperienceResult, ResultsResponse } from './results-types.js';

export interface ResultsQuery {
  organization: string | null;
  environment: string | null;
  goals: readonly string[];
}

export const MAX_GOALS = 20;
export const MAX_GOAL_LENGTH = 256;
const MAX_AVAILABLE_GOALS = 100;
const MAX_SERIES_POINTS = 40;
/** A reported view duration longer than this is not believed when placing the view's start. */
const MAX_VIEW_DURATION_MS = 60 * 60 * 1000;
/** At most this many experiences that are not in the space are shown. */
export const MAX_EXTRA_EXPERIENCES = 20;
/** No experience has more variants: a higher index is a tracking bug, counted apart (`outOfRangeVisitors`). */
export const MAX_VARIANT_INDEX = 63;
/** The exposure variant of a visitor whose first view named an index past MAX_VARIANT_INDEX. */
const OUT_OF_RANGE = -1;

/** `a.unevaluable` as the space model will carry it, read defensively until it does. */
export function unevaluableOf(audience: AudienceModel | undefined): UnevaluableRule[] {
  const raw = (audience as (AudienceModel & { unevaluable?: unknown }) | undefined)?.unevaluable ?? [];
  if (!Array.isArray(raw)) return [];
  const out: UnevaluableRule[] = [];
  for (const item of raw as unknown[]) {
    if (!item || typeof item !== 'object') continue;
    const { code, why } = item as { code?: unknown; why?: unknown };
    if (typeof code !== 'string' && typeof why !== 'string') continue;
    out.push({ code: typeof code === 'string' ? code : '', why: typeof why === 'string' ? why : '' });
  }
  return out;
}

const time = (...candidates: (string | undefined)[]): number => {
  for (const c of candidates) {
    const t = c === undefined ? Number.NaN : Date.parse(c);
    if (Number.isFinite(t)) return t;
  }
  return 0;
};

interface Exposure { variant: number; start: number; knownAt: number; variants: Set<number> }
interface Activity { views: Set<string>; clicks: number; hovers: Set<string>; droppedViews: number; droppedHovers: number }

/** An Insights event on an entry, as the results read it: null for anything else (flag views, no experience). */
export interface EntryEvent {
  kind: 'view' | 'click' | 'hover';
  experienceId: string;
  variant: number;
  /** What makes a view or hover distinct: its viewId / hoverId, else the event's messageId. */
  key: string;
  /** When the view started (client clock; its report time less its duration). */
  start: number;
  /** When the emulator received it. */
  knownAt: number;
}

export function entryEvent(stored: StoredInsightsEvent): EntryEvent | null {
  const event = stored.event;
  if (event.componentType !== 'Entry' || typeof event.experienceId !== 'string' || event.experienceId === '') return null;
  const base = { experienceId: event.experienceId, variant: event.variantIndex, knownAt: time(stored.receivedAt) };
  if (event.type === 'component_click') return { ...base, kind: 'click', key: `m:${event.messageId}`, start: 0 };
  if (event.type === 'component_hover') return { ...base, kind: 'hover', key: event.hoverId ?? `m:${event.messageId}`, start: 0 };
  const duration = typeof event.viewDurationMs === 'number' ? Math.min(Math.max(0, event.viewDurationMs), MAX_VIEW_DURATION_MS) : 0;
  const start = time(event.originalTimestamp, event.timestamp, stored.receivedAt) - duration;
  return { ...base, kind: 'view', key: event.viewId ?? `m:${event.messageId}`, start };
}

/** A goal candidate: a `track` Experience event's name, client time and time received; null for other events. */
export function trackEvent(stored: StoredExperienceEvent): { name: string; at: number; knownAt: number } | null {
  if (stored.type !== 'track' || stored.name === undefined) return null;
  return { name: stored.name, at: time(stored.at, stored.receivedAt), knownAt: time(stored.receivedAt) };
}

/** Records one view of `visitor` in `perVisitor`: its first exposure is the earliest view on the client's clock. */
function expose(perVisitor: Map<string, Exposure>, visitor: string, view: { variant: number; start: number; knownAt: number }, variants: Iterable<number>): void {
  const seen = perVisitor.get(visitor);
  if (!seen) {
    perVisitor.set(visitor, { variant: view.variant, start: view.start, knownAt: view.knownAt, variants: new Set(variants) });
    return;
  }
  for (const v of variants) seen.variants.add(v);
  if (view.start < seen.start) { seen.start = view.start; seen.variant = view.variant; }
  seen.knownAt = Math.min(seen.knownAt, view.knownAt);
}

/** The profile a stored id stands for now, following identify merges. */
function resolveProfile(ns: Namespace, id: string): string {
  let current = id;
  for (let hops = 0; hops < 8; hops++) {
    const next = ns.profiles.get(current)?.mergedInto;
    if (!next) break;
    current = next;
  }
  return current;
}

export function computeResults(space: SpaceModel, store: Store, query: ResultsQuery, now: number): ResultsResponse {
  const namespaces = [...store.namespaces.values()].filter((ns) =>
    (query.organization === null || ns.organization === query.organization)
    && (query.environment === null || ns.environment === query.environment));
  const goals = [...new Set(query.goals)];
  const exposures = new Map<string, Map<string, Exposure>>();
  const activity = new Map<string, Map<number, Activity>>();
  /** visitor → goal → conversion times (client clock, and when the emulator had it). */
  const conversions = new Map<string, Map<string, { at: number; knownAt: number }[]>>();
  const goalCounts = new Map<string, number>();
  const totals: ResultsResponse['totals'] = {
    profiles: 0, insightsEvents: 0, experienceEvents: 0,
    dropped: { insightsEvents: 0, experienceEvents: 0, forgottenMessageIds: 0, unsummarizedEvents: 0 },
  };
  const exposuresOf = (experienceId: string) => {
    let perVisitor = exposures.get(experienceId);
    if (!perVisitor) exposures.set(experienceId, (perVisitor = new Map()));
    return perVisitor;
  };
  const activityOf = (experienceId: string, variant: number) => {
    let perVariant = activity.get(experienceId);
    if (!perVariant) activity.set(experienceId, (perVariant = new Map()));
    let act = perVariant.get(variant);
    if (!act) perVariant.set(variant, (act = { views: new Set(), clicks: 0, hovers: new Set(), droppedViews: 0, droppedHovers: 0 }));
    return act;
  };
  // Out-of-range indexes share one exposure variant, and have no activity row.
  const exposureVariant = (variant: number) => (variant > MAX_VARIANT_INDEX ? OUT_OF_RANGE : variant);
  const convert = (visitor: string, name: string, at: number, knownAt: number) => {
    if (!goals.includes(name)) return;
    let perGoal = conversions.get(visitor);
    if (!perGoal) conversions.set(visitor, (perGoal = new Map()));
    let list = perGoal.get(name);
    if (!list) perGoal.set(name, (list = []));
    list.push({ at, knownAt });
  };

  for (const ns of namespaces) {
    totals.profiles += ns.profiles.size;
    totals.insightsEvents += ns.insights.length;
    totals.experienceEvents += ns.experience.length;
    const d = ns.dropped;
    totals.dropped.insightsEvents += d.insightsEvents;
    totals.dropped.experienceEvents += d.experienceEvents;
    totals.dropped.forgottenMessageIds += d.forgottenMessageIds;
    totals.dropped.unsummarizedEvents += d.unsummarized;
    const nsKey = `${ns.organization}\u0000${ns.environment}`;
    const visitorOf = (profileId: string) => `${nsKey}\u0000${resolveProfile(ns, profileId)}`;

    // What the caps dropped from the logs, as the store summarized it.
    for (const [experienceId, perProfile] of d.exposures) {
      const perVisitor = exposuresOf(experienceId);
      for (const [profileId, e] of perProfile) {
        expose(perVisitor, visitorOf(profileId), { ...e, variant: exposureVariant(e.variant) }, e.variants.map(exposureVariant));
      }
    }
    for (const [experienceId, perVariant] of d.activity) {
      for (const [variant, counts] of perVariant) {
        if (variant > MAX_VARIANT_INDEX) continue;
        const act = activityOf(experienceId, variant);
        act.droppedViews += counts.views;
        act.clicks += counts.clicks;
        act.droppedHovers += counts.hovers;
      }
    }
    for (const [name, n] of d.trackCounts) goalCounts.set(name, (goalCounts.get(name) ?? 0) + n);
    for (const [profileId, perName] of d.tracks) {
      for (const [name, list] of perName) for (const t of list) convert(visitorOf(profileId), name, t.at, t.knownAt);
    }

    for (const stored of ns.insights) {
      const e = entryEvent(stored);
      if (!e) continue;
      if (e.kind === 'view') {
        const variant = exposureVariant(e.variant);
        expose(exposuresOf(e.experienceId), visitorOf(stored.profileId), { variant, start: e.start, knownAt: e.knownAt }, [variant]);
      }
      if (e.variant > MAX_VARIANT_INDEX) continue;
      const act = activityOf(e.experienceId, e.variant);
      if (e.kind === 'click') act.clicks++;
      else (e.kind === 'hover' ? act.hovers : act.views).add(`${nsKey}\u0000${e.key}`);
    }
    for (const stored of ns.experience) {
      const t = trackEvent(stored);
      if (!t) continue;
      goalCounts.set(t.name, (goalCounts.get(t.name) ?? 0) + 1);
      convert(visitorOf(stored.profileId), t.name, t.at, t.knownAt);
    }
  }

  const audiences = new Map(space.audiences.map((a) => [a.id, a]));
  const spaceIds = new Set(space.experiences.map((e) => e.id));
  // Experiences only events name (not in the space): the most visited few, so that events naming
  // thousands of made-up ids cannot bury the space's own.
  const seenOnly = [...new Set([...exposures.keys(), ...activity.keys()])].filter((id) => !spaceIds.has(id))
    .sort((a, b) => (exposures.get(b)?.size ?? 0) - (exposures.get(a)?.size ?? 0) || (a < b ? -1 : 1))
    .slice(0, MAX_EXTRA_EXPERIENCES);
  const models = [
    ...space.experiences.map((e) => ({ id: e.id, model: e })),
    ...seenOnly.map((id) => ({ id, model: undefined })),
  ];

  const experiences = models.map(({ id, model }): ExperienceResult => {
    const perVisitor = exposures.get(id) ?? new Map<string, Exposure>();
    const perVariant = activity.get(id) ?? new Map<number, Activity>();
    const distribution = model ? [...model.config.distribution] : [];
    let variantCount = Math.max(1, distribution.length, ...[...perVariant.keys()].map((i) => i + 1));
    for (const exposure of perVisitor.values()) variantCount = Math.max(variantCount, exposure.variant + 1);
    for (const component of model?.config.components ?? []) variantCount = Math.max(variantCount, component.variants.length + 1);
    variantCount = Math.min(variantCount, MAX_VARIANT_INDEX + 1);
    const visitors = Array.from({ length: variantCount }, () => 0);
    let crossovers = 0;
    let outOfRangeVisitors = 0;
    for (const exposure of perVisitor.values()) {
      if (exposure.variant === OUT_OF_RANGE) outOfRangeVisitors++;
      else visitors[exposure.variant]!++;
      if (exposure.variants.size > 1) crossovers++;
    }
    const variants = visitors.map((count, index): VariantActivity => {
      const act = perVariant.get(index);
      return {
        index, visitors: count, views: (act?.views.size ?? 0) + (act?.droppedViews ?? 0), clicks: act?.clicks ?? 0,
        hovers: (act?.hovers.size ?? 0) + (act?.droppedHovers ?? 0),
      };
    });
    // Expected shares as the emulator's own assignment (pickRange over the experience's ranges) gives them.
    const srm: SrmResult = model
      ? sampleRatioMismatchShares(visitors, assignmentShares(model.ranges), { outOfRange: outOfRangeVisitors })
      : { status: 'not-applicable', chiSquare: null, df: null, pValue: null, expectedShares: [], unexpectedVisitors: outOfRangeVisitors };
    const goalResults = goals.map((goal) => goalResult(goal, perVisitor, conversions, variantCount));
    const audienceModel = model?.audienceId ? audiences.get(model.audienceId) : undefined;
    return {
      id,
      name: model?.name ?? id,
      type: model?.type ?? 'unknown',
      inSpace: !!model,
      audience: model?.audienceId
        ? { id: model.audienceId, name: audienceModel?.name ?? model.audienceId, unevaluable: unevaluableOf(audienceModel) }
        : null,
      traffic: model ? model.config.traffic : null,
      distribution,
      sticky: model?.config.sticky === true,
      visitors: perVisitor.size,
      crossovers,
      variants,
      outOfRangeVisitors,
      srm,
      goals: goalResults,
    };
  });

  const unevaluableAudiences = space.audiences.flatMap((a) =>
    unevaluableOf(a).map((u) => ({ audienceId: a.id, audienceName: a.name, code: u.code, why: u.why })));
  const availableGoals = [...goalCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_AVAILABLE_GOALS).map(([name, events]) => ({ name, events }));

  return {
    generatedAt: new Date(now).toISOString(),
    scope: { organization: query.organization, environment: query.environment },
    goals,
    availableGoals,
    method: {
      confidence: 0.95,
      rateInterval: 'Wilson score',
      differenceInterval: 'Newcombe hybrid score (method 10)',
      probabilityToBeat: 'Beta(1, 1) priors, exact posterior P(variant > baseline)',
      minVisitors: MIN_VISITORS,
      minConversions: MIN_CONVERSIONS,
      srmTest: 'Pearson chi-square goodness of fit against the shares nt_config.distribution assigns (the baseline takes what the ranges leave)',
      srmThreshold: SRM_THRESHOLD,
    },
    totals,
    experiences,
    unevaluableAudiences,
  };
}

function goalResult(goal: string, perVisitor: Map<string, Exposure>,
  conversions: Map<string, Map<string, { at: number; knownAt: number }[]>>, variantCount: number): GoalResult {
  const arms = Array.from({ length: variantCount }, () => ({ visitors: 0, conversions: 0 }));
  const timeline: { t: number; variant: number; kind: 'visitor' | 'conversion' }[] = [];
  for (const [visitor, exposure] of perVisitor) {
    if (exposure.variant === OUT_OF_RANGE) continue;
    arms[exposure.variant]!.visitors++;
    timeline.push({ t: exposure.knownAt, variant: exposure.variant, kind: 'visitor' });
    let converted: number | null = null;
    for (const c of conversions.get(visitor)?.get(goal) ?? []) {
      if (c.at < exposure.start) continue;
      const knownAt = Math.max(c.knownAt, exposure.knownAt);
      converted = converted === null ? knownAt : Math.min(converted, knownAt);
    }
    if (converted !== null) {
      arms[exposure.variant]!.conversions++;
      timeline.push({ t: converted, variant: exposure.variant, kind: 'conversion' });
    }
  }
  const compared = compareArms(arms);
  const variants = arms.map((arm, index): GoalVariant => {
    const c = compared[index]!;
    return {
      index,
      visitors: arm.visitors,
      conversions: arm.conversions,
      rate: c.rate,
      rateLower: c.rateInterval?.lower ?? null,
      rateUpper: c.rateInterval?.upper ?? null,
      difference: c.vsBaseline?.difference ?? null,
      differenceLower: c.vsBaseline?.lower ?? null,
      differenceUpper: c.vsBaseline?.upper ?? null,
      probabilityToBeat: c.vsBaseline?.probabilityToBeat ?? null,
    };
  });
  // Only variants someone was exposed to take part in the "enough data" rule, the baseline always.
  const readable = enoughData(arms.filter((a, i) => i === 0 || a.visitors > 0));
  return { goal, enoughData: readable, variants, series: series(timeline, variantCount) };
}

/** Cumulative visitors and conversions per variant at up to MAX_SERIES_POINTS evenly spaced times. */
function series(timeline: { t: number; variant: number; kind: 'visitor' | 'conversion' }[], variantCount: number): SeriesPoint[] {
  if (timeline.length === 0) return [];
  timeline.sort((a, b) => a.t - b.t);
  const first = timeline[0]!.t;
  const last = timeline[timeline.length - 1]!.t;
  const steps = last > first ? Math.min(MAX_SERIES_POINTS, timeline.length) : 1;
  const visitors = Array.from({ length: variantCount }, () => 0);
  const conversions = Array.from({ length: variantCount }, () => 0);
  const points: SeriesPoint[] = [];
  let next = 0;
  for (let step = 1; step <= steps; step++) {
    const until = step === steps ? last : first + ((last - first) * step) / steps;
    while (next < timeline.length && timeline[next]!.t <= until) {
      const item = timeline[next++]!;
      (item.kind === 'visitor' ? visitors : conversions)[item.variant]!++;
    }
    points.push({ at: new Date(until).toISOString(), visitors: [...visitors], conversions: [...conversions] });
  }
  return points;
}
