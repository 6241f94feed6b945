/**
 * The shapes of `GET /_emulator/results`, apart from the code that computes them (results.ts, which
 * reads the space and the store from disk): the preview panel in the browser reads these too.
 */
import type { SrmResult } from './stats.js';

/** A rule the emulator cannot evaluate: `code` is the table's (`E105`), `why` names the rule and the problem. */
export interface UnevaluableRule { code: string; why: string }

export interface VariantActivity {
  index: number;
  visitors: number;
  views: number;
  clicks: number;
  hovers: number;
}

export interface GoalVariant {
  index: number;
  visitors: number;
  conversions: number;
  rate: number | null;
  rateLower: number | null;
  rateUpper: number | null;
  /** Variant − baseline; null for the baseline and when either has no visitors. */
  difference: number | null;
  differenceLower: number | null;
  differenceUpper: number | null;
  probabilityToBeat: number | null;
}

export interface SeriesPoint {
  at: string;
  /** Cumulative, per variant index. */
  visitors: number[];
  conversions: number[];
}

export interface GoalResult {
  goal: string;
  enoughData: boolean;
  variants: GoalVariant[];
  series: SeriesPoint[];
}

export interface ExperienceResult {
  id: string;
  name: string;
  type: string;
  /** In the space file (false: only seen in events). */
  inSpace: boolean;
  audience: { id: string; name: string; unevaluable: UnevaluableRule[] } | null;
  traffic: number | null;
  distribution: number[];
  sticky: boolean;
  visitors: number;
  /** Exposed visitors who later saw another variant too (they count in their first). */
  crossovers: number;
  variants: VariantActivity[];
  /** Exposed visitors whose first view named a variant index past MAX_VARIANT_INDEX (in no variant's figures). */
  outOfRangeVisitors: number;
  srm: SrmResult;
  goals: GoalResult[];
}

export interface ResultsResponse {
  generatedAt: string;
  scope: { organization: string | null; environment: string | null };
  goals: string[];
  /** Track event names received in this scope, most frequent first, with how many events. */
  availableGoals: { name: string; events: number }[];
  method: {
    confidence: number;
    rateInterval: string;
    differenceInterval: string;
    probabilityToBeat: string;
    minVisitors: number;
    minConversions: number;
    srmTest: string;
    srmThreshold: number;
  };
  totals: {
    profiles: number;
    /** Events in the logs now (the newest, up to the store's caps per namespace). */
    insightsEvents: number;
    experienceEvents: number;
    /** What the per-namespace caps dropped from the logs (see store.ts); the figures still count these events unless `unsummarizedEvents`. */
    dropped: { insightsEvents: number; experienceEvents: number; forgottenMessageIds: number; unsummarizedEvents: number };
  };
  experiences: ExperienceResult[];
  unevaluableAudiences: { audienceId: string; audienceName: string; code: string; why: string }[];
}
