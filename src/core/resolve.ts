/**
 * Resolvers: which variant of an entry this visitor sees, merge-tag values and Custom Flag values.
 * Pure functions of the selected optimizations, profile and changes.
 */
import type { Change, Json, Profile, SelectedOptimization } from './wire.js';

export interface EntryDecision {
  /** The baseline entry id this decision is for. */
  readonly baselineId: string;
  /** The entry id to render: the baseline, a variant, or `""` for an intentionally empty variant. */
  readonly entryId: string;
  readonly experienceId?: string;
  /** 0 is the baseline. */
  readonly variantIndex: number;
  /** An empty variant: render nothing, keep tracking. */
  readonly hidden: boolean;
  readonly sticky: boolean;
  /** For entry-JSON resolution: the resolved entry object (variant or baseline). */
  readonly entry?: ContentfulEntry;
}

export interface ContentfulEntry {
  sys: { id: string; [k: string]: unknown };
  fields?: Record<string, unknown>;
  [k: string]: unknown;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Resolve by baseline id from the `variants` maps of the selected optimizations. */
export function resolveByBaselineId(baselineId: string, selected: readonly SelectedOptimization[] | undefined): EntryDecision {
  for (const opt of selected ?? []) {
    if (!own(opt.variants, baselineId)) continue;
    const variantId = opt.variants[baselineId]!;
    return {
      baselineId,
      entryId: opt.variantIndex === 0 ? baselineId : variantId,
      experienceId: opt.experienceId,
      variantIndex: opt.variantIndex,
      hidden: opt.variantIndex !== 0 && variantId === '',
      sticky: opt.sticky === true,
    };
  }
  return { baselineId, entryId: baselineId, variantIndex: 0, hidden: false, sticky: false };
}

interface ExperienceLike {
  sys?: { id?: string };
  fields?: { nt_experience_id?: unknown; nt_config?: unknown; nt_variants?: unknown };
}

/**
 * Resolve a Contentful entry that links experiences in `fields.nt_experiences` (wire-format.md
 * "Variant resolution"): the first linked experience that is selected wins; index 0 is the
 * baseline; otherwise the EntryReplacement component whose baseline is this entry gives
 * `variants[variantIndex - 1]`; an id of `""` or `hidden` is an empty variant; a variant missing
 * from `nt_variants` falls back to the baseline but keeps the metadata.
 */
export function resolveEntryJson(entry: ContentfulEntry, selected: readonly SelectedOptimization[] | undefined): EntryDecision {
  const baselineId = entry.sys.id;
  const experiences = Array.isArray(entry.fields?.nt_experiences) ? (entry.fields!.nt_experiences as ExperienceLike[]) : [];
  for (const exp of experiences) {
    const id = typeof exp?.fields?.nt_experience_id === 'string' ? exp.fields.nt_experience_id : exp?.sys?.id;
    if (!id) continue;
    const opt = (selected ?? []).find((o) => o.experienceId === id);
    if (!opt) continue;
    const base = { baselineId, experienceId: id, variantIndex: opt.variantIndex, sticky: opt.sticky === true || (exp.fields?.nt_config as { sticky?: unknown } | undefined)?.sticky === true };
    if (opt.variantIndex === 0) return { ...base, entryId: baselineId, hidden: false, entry };
    const components = (exp.fields?.nt_config as { components?: unknown } | undefined)?.components;
    const component = Array.isArray(components)
      ? (components as Array<{ type?: string; baseline?: { id?: string }; variants?: Array<{ id?: string; hidden?: boolean }> }>)
          .find((c) => (c?.type === undefined || c.type === 'EntryReplacement') && c?.baseline?.id === baselineId)
      : undefined;
    const variant = component?.variants?.[opt.variantIndex - 1];
    if (!variant) return { ...base, entryId: baselineId, hidden: false, entry };
    if (variant.hidden === true || variant.id === '') return { ...base, entryId: '', hidden: true };
    const variants = Array.isArray(exp.fields?.nt_variants) ? (exp.fields!.nt_variants as ContentfulEntry[]) : [];
    const found = variants.find((v) => v?.sys?.id === variant.id);
    return found
      ? { ...base, entryId: variant.id!, hidden: false, entry: found }
      : { ...base, entryId: baselineId, hidden: false, entry };
  }
  return { baselineId, entryId: baselineId, variantIndex: 0, hidden: false, sticky: false, entry };
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A merge tag's value from the profile: `traits.firstname` or `traits_firstname`. Own properties
 * only; `__proto__`, `constructor` and `prototype` are refused; only string, number and boolean
 * values render — anything else gives the fallback.
 */
export function getMergeTagValue(path: string, profile: Profile | undefined, fallback?: string): string | undefined {
  if (!profile || typeof path !== 'string' || !path) return fallback;
  const value = path.includes('.') ? walk(profile, path.split('.'), '.') : walk(profile, path.split('_'), '_');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return fallback;
}

/**
 * Walks own properties. With `_` as separator a key may itself contain `_` (`traits_first_name`
 * can be `traits.first_name`), so the longest own key wins at each level.
 */
function walk(value: unknown, segments: string[], sep: string): unknown {
  if (!segments.length) return value;
  if (value === null || typeof value !== 'object') return undefined;
  const max = sep === '_' ? segments.length : 1;
  for (let n = max; n >= 1; n--) {
    const key = segments.slice(0, n).join(sep);
    if (FORBIDDEN.has(key) || !own(value, key)) continue;
    const found = walk((value as Record<string, unknown>)[key], segments.slice(n), sep);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A Custom Flag's value; `{value: X}` is unwrapped to `X`. Undefined when no change has the key. */
export function getFlag(key: string, changes: readonly Change[] | undefined): Json | null | undefined {
  const change = changes?.find((c) => c.key === key);
  if (!change) return undefined;
  const v = change.value;
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && own(v, 'value')) {
    return (v as { value: Json }).value;
  }
  return v;
}

export function getFlagChange(key: string, changes: readonly Change[] | undefined): Change | undefined {
  return changes?.find((c) => c.key === key);
}

/**
 * The variant of an entry — a baseline entry id, or a Contentful entry that links its experiences in
 * `fields.nt_experiences` — under these selected optimizations (the reference SDK's
 * `resolveOptimizedEntry`).
 */
export function resolveOptimizedEntry(entry: string | ContentfulEntry, selected: readonly SelectedOptimization[] | undefined): EntryDecision {
  return typeof entry === 'string' ? resolveByBaselineId(entry, selected) : resolveEntryJson(entry, selected);
}
