/**
 * Which experiences a profile sees, and the Custom Flag changes they carry — computed the way the
 * reference SDK's client-side evaluation does (wire-format.md, "Deterministic bucketing"):
 *
 *   traffic roll      r("traffic-" + experienceId + "-" + stableId)
 *   distribution roll r("distribution-" + experienceId + "-" + stableId)
 *
 * An experience matches when `traffic > trafficRoll` and it has no audience or the profile is in
 * it; the first cumulative range with `start <= roll <= end` gives the variant index (none → 0).
 * A sticky experience the profile has viewed keeps the recorded variant, whatever rolls and
 * audiences say later.
 */
import { distributionRoll, pickRange, trafficRoll } from '../core/bucketing.js';
import type { Change, Json, SelectedOptimization } from '../core/schemas.js';
import type { ExperienceModel, SpaceModel } from './space.js';

export interface SelectionSubject {
  stableId: string;
  audiences: readonly string[];
  /** experienceId → variant index recorded by a view of a sticky experience. */
  sticky: Readonly<Record<string, number>>;
}

export function isExperienceMatch(experience: ExperienceModel, subject: SelectionSubject): boolean {
  const inTraffic = experience.config.traffic > trafficRoll(experience.id, subject.stableId);
  const inAudience = experience.audienceId === null || subject.audiences.includes(experience.audienceId);
  return inTraffic && inAudience;
}

/** `variants` of one selected optimization: baseline id → variant id, `""` for a hidden variant. */
export function variantsFor(experience: ExperienceModel, variantIndex: number): Record<string, string> {
  const variants: Record<string, string> = {};
  for (const component of experience.config.components) {
    if (component.type === 'InlineVariable') continue;
    const baseline = component.baseline;
    const chosen = variantIndex === 0 ? baseline : (component.variants[variantIndex - 1] ?? baseline);
    Object.defineProperty(variants, baseline.id, {
      value: chosen.hidden ? '' : chosen.id, enumerable: true, writable: true, configurable: true,
    });
  }
  return variants;
}

export function changesFor(experience: ExperienceModel, variantIndex: number): Change[] {
  const changes: Change[] = [];
  for (const component of experience.config.components) {
    if (component.type !== 'InlineVariable') continue;
    const variant = variantIndex === 0 ? component.baseline : (component.variants[variantIndex - 1] ?? component.baseline);
    changes.push({
      key: component.key,
      type: 'Variable',
      value: variant.value as Json | null,
      meta: { experienceId: experience.id, variantIndex },
    });
  }
  return changes;
}

/** The largest variant index an experience can answer with. */
export const maxVariantIndex = (experience: ExperienceModel): number => Math.max(0, experience.ranges.length - 1);

export function selectOptimizations(space: SpaceModel, subject: SelectionSubject): {
  experiences: SelectedOptimization[];
  changes: Change[];
} {
  const experiences: SelectedOptimization[] = [];
  const changes: Change[] = [];
  for (const experience of space.experiences) {
    const sticky = experience.config.sticky === true;
    const recorded = sticky && Object.prototype.hasOwnProperty.call(subject.sticky, experience.id)
      ? subject.sticky[experience.id]
      : undefined;
    let variantIndex: number;
    if (recorded !== undefined) {
      variantIndex = recorded;
    } else if (isExperienceMatch(experience, subject)) {
      variantIndex = pickRange(experience.ranges, distributionRoll(experience.id, subject.stableId));
    } else {
      continue;
    }
    experiences.push({ experienceId: experience.id, variantIndex, variants: variantsFor(experience, variantIndex), sticky });
    changes.push(...changesFor(experience, variantIndex));
  }
  return { experiences, changes };
}
