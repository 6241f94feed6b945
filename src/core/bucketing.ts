/**
 * Deterministic bucketing, as the reference SDK's client-side evaluation does it (wire-format.md,
 * "Deterministic bucketing"): the emulator selects with it, and the preview panel uses it to pick the
 * variant of an experience whose audience it forces on.
 *
 *   traffic roll      r("traffic-" + experienceId + "-" + stableId)
 *   distribution roll r("distribution-" + experienceId + "-" + stableId)
 */
import { roll } from './murmur3.js';

export const trafficRoll = (experienceId: string, stableId: string): number => roll(`traffic-${experienceId}-${stableId}`);
export const distributionRoll = (experienceId: string, stableId: string): number =>
  roll(`distribution-${experienceId}-${stableId}`);

export interface DistributionRange { index: number; start: number; end: number }

/** `[0.5, 0.5]` → `[{index:0,start:0,end:0.5},{index:1,start:0.5,end:1}]` */
export function cumulativeRanges(distribution: readonly number[]): DistributionRange[] {
  let start = 0;
  return distribution.map((share, index) => {
    const range = { index, start, end: start + share };
    start += share;
    return range;
  });
}

/** The variant index of the first range with `start <= value <= end` (none → 0, the baseline). */
export function pickRange(ranges: readonly DistributionRange[], value: number): number {
  return ranges.find((r) => r.start <= value && value <= r.end)?.index ?? 0;
}
