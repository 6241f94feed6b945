/**
 * Preview overrides: what `<ctfl-preview-panel>` lets a previewer force in one tab — a variant per
 * experience, a Custom Flag value, an audience on or off — and how those choices become the
 * selected optimizations and changes the elements show.
 *
 * The choices live in sessionStorage (this tab only; validated on every read, bad values dropped
 * and removed). They reach the runtime as an `Overrides` function that only its resolvers read
 * (`resolveEntry`, `getFlag`): the visitor's stored profile, selections and changes, every request,
 * every event and the other tabs never see them.
 *
 * Experiences and audiences come from the content model when the page has it (`entry` properties
 * of `<ctfl-optimized-entry>` with `fields.nt_experiences`, or the panel's `experiences`
 * property), and otherwise from the visitor's selected optimizations and the page's variant
 * templates.
 */
import { cumulativeRanges, distributionRoll, pickRange } from '../core/bucketing.js';
import type { Change, Json, SelectedOptimization } from '../core/wire.js';
import type { OptimizationState, Overrides } from './optimization.js';

/** sessionStorage key of this tab's preview session: present while the panel is open. */
export const PREVIEW_SESSION_KEY = 'ctfl-opt-preview';
/** Variant indexes a choice may force (the content model allows far fewer). */
const MAX_VARIANT_INDEX = 99;
/** Longest id or key kept from storage, and the largest stored flag value (JSON characters). */
const MAX_ID = 256;
export const MAX_VALUE = 4096;

export interface PreviewChoices {
  /** experienceId → forced variant index (0 = baseline). */
  readonly variants: ReadonlyMap<string, number>;
  /** Custom Flag key → forced value. */
  readonly flags: ReadonlyMap<string, Json>;
  /** audience id → forced on (`true`) or off (`false`). */
  readonly audiences: ReadonlyMap<string, boolean>;
}

export const noChoices = (): PreviewChoices => ({ variants: new Map(), flags: new Map(), audiences: new Map() });
export const choiceCount = (c: PreviewChoices) => c.variants.size + c.flags.size + c.audiences.size;

const isId = (k: string) => k.length > 0 && k.length <= MAX_ID;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads this tab's preview session. `active` is false when there is none. Values that are not
 * what the panel writes (unparsable JSON, a variant that is not a small integer, a flag value too
 * large, an audience that is not a boolean, unknown keys) are dropped; `dropped` counts them, and
 * the caller writes the clean record back so they are removed.
 */
export function readChoices(storage: Pick<Storage, 'getItem'> | undefined): { active: boolean; choices: PreviewChoices; dropped: number } {
  const choices = noChoices();
  let raw: string | null = null;
  try { raw = storage?.getItem(PREVIEW_SESSION_KEY) ?? null; } catch { /* storage unavailable */ }
  if (raw === null) return { active: false, choices, dropped: 0 };
  let data: unknown;
  try { data = JSON.parse(raw); } catch { return { active: true, choices, dropped: 1 }; }
  if (!isObject(data)) return { active: true, choices, dropped: 1 };
  let dropped = 0;
  /** Keeps the entries of `value` (an object) that `valid` accepts, counting the others. */
  const keep = <V>(value: unknown, into: Map<string, V>, valid: (v: unknown) => boolean) => {
    if (value === undefined) return;
    if (!isObject(value)) { dropped++; return; }
    for (const [key, v] of Object.entries(value)) {
      if (isId(key) && valid(v)) into.set(key, v as V);
      else dropped++;
    }
  };
  keep(data.variants, choices.variants as Map<string, number>,
    (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_VARIANT_INDEX);
  keep(data.flags, choices.flags as Map<string, Json>, (v) => v !== undefined && JSON.stringify(v).length <= MAX_VALUE);
  keep(data.audiences, choices.audiences as Map<string, boolean>, (v) => typeof v === 'boolean');
  for (const key of Object.keys(data)) if (key !== 'variants' && key !== 'flags' && key !== 'audiences') dropped++;
  return { active: true, choices, dropped };
}

/** Writes the session record (an empty one keeps the session, and the panel, across reloads). */
export function writeChoices(storage: Pick<Storage, 'setItem'> | undefined, c: PreviewChoices): void {
  const obj = <V>(m: ReadonlyMap<string, V>) => Object.fromEntries(m);
  try {
    storage?.setItem(PREVIEW_SESSION_KEY, JSON.stringify({ variants: obj(c.variants), flags: obj(c.flags), audiences: obj(c.audiences) }));
  } catch { /* storage full or unavailable: the choices still apply to this page */ }
}

export function endSession(storage: Pick<Storage, 'removeItem'> | undefined): void {
  try { storage?.removeItem(PREVIEW_SESSION_KEY); } catch { /* storage unavailable */ }
}

// ---------------------------------------------------------------------------------------------
// The content model

/** What the page's content model says about one experience. */
export interface ExperienceInfo {
  readonly id: string;
  readonly name?: string;
  readonly audience?: { readonly id: string; readonly name?: string };
  readonly sticky?: boolean;
  /** `nt_config.distribution`: the share of each variant index (0 = baseline). */
  readonly distribution: readonly number[];
  /** EntryReplacement components: baseline id → variant entry ids by index − 1 (`""`: an empty variant). */
  readonly entries: ReadonlyMap<string, readonly string[]>;
  /** InlineVariable components: flag key → values by index (0 = baseline). */
  readonly flags: ReadonlyMap<string, readonly Json[]>;
  /** Variants besides the baseline. */
  readonly variantCount: number;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * An `nt_experience` entry as a Delivery API client resolves it (`fields.nt_experience_id`,
 * `nt_name`, `nt_audience`, `nt_config`), or undefined when it is not one.
 */
export function parseExperience(entry: unknown): ExperienceInfo | undefined {
  if (!isObject(entry)) return undefined;
  const fields = isObject(entry.fields) ? entry.fields : {};
  const sys = isObject(entry.sys) ? entry.sys : {};
  const id = str(fields.nt_experience_id) ?? str(sys.id);
  if (!id) return undefined;
  const config = isObject(fields.nt_config) ? fields.nt_config : {};
  const distribution = Array.isArray(config.distribution) ? config.distribution.filter((n): n is number => typeof n === 'number' && n >= 0) : [];
  const entries = new Map<string, string[]>();
  const flags = new Map<string, Json[]>();
  let count = Math.max(0, distribution.length - 1);
  for (const c of Array.isArray(config.components) ? config.components : []) {
    if (!isObject(c) || !isObject(c.baseline)) continue;
    const variants = Array.isArray(c.variants) ? c.variants.filter(isObject) : [];
    count = Math.max(count, variants.length);
    if (c.type === undefined || c.type === 'EntryReplacement') {
      const baseline = str(c.baseline.id);
      if (baseline) entries.set(baseline, variants.map((v) => (v.hidden === true ? '' : str(v.id) ?? baseline)));
    } else if (c.type === 'InlineVariable' && str(c.key)) {
      flags.set(c.key as string, [c.baseline.value as Json, ...variants.map((v) => v.value as Json)]);
    }
  }
  const audience = isObject(fields.nt_audience) ? fields.nt_audience : undefined;
  const audienceFields = isObject(audience?.fields) ? audience.fields : {};
  const audienceId = str(audienceFields.nt_audience_id) ?? (isObject(audience?.sys) ? str(audience.sys.id) : undefined);
  return {
    id,
    name: str(fields.nt_name),
    audience: audienceId ? { id: audienceId, name: str(audienceFields.nt_name) } : undefined,
    sticky: config.sticky === true,
    distribution,
    entries,
    flags,
    variantCount: count,
  };
}

/** Experiences by id from a list of `nt_experience` entries (the first of each id wins). */
export function catalogOf(experiences: Iterable<unknown>): Map<string, ExperienceInfo> {
  const out = new Map<string, ExperienceInfo>();
  for (const e of experiences) {
    const info = parseExperience(e);
    if (info && !out.has(info.id)) out.set(info.id, info);
  }
  return out;
}

/**
 * The variant index an experience gives this visitor once it applies, the way the reference SDK
 * and the emulator pick it: the cumulative `distribution` range holding
 * `roll("distribution-" + experienceId + "-" + stableId)`. Without a distribution: the first variant.
 */
export function distributionIndex(info: ExperienceInfo, stableId: string): number {
  if (!info.distribution.length) return info.variantCount > 0 ? 1 : 0;
  return pickRange(cumulativeRanges(info.distribution), distributionRoll(info.id, stableId));
}

// ---------------------------------------------------------------------------------------------
// From choices to what the elements show

export interface OverrideContext {
  readonly choices: PreviewChoices;
  readonly catalog: ReadonlyMap<string, ExperienceInfo>;
  /** The variant ids of the page's `<template data-variant-id>` for a baseline entry id, in order. */
  readonly templates: (baselineId: string) => readonly string[];
}

/**
 * Where each experience ends up: a forced variant index, `null` when it is forced out (its audience
 * off), or no entry when the visitor's own decision stands. An explicit variant wins over an
 * audience choice; an audience forced on keeps the visitor's own variant when the API already
 * selected the experience.
 */
export function forcedVariants(ctx: OverrideContext, own: Pick<OptimizationState, 'selectedOptimizations' | 'profile'>): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const [id, info] of ctx.catalog) {
    const on = info.audience ? ctx.choices.audiences.get(info.audience.id) : undefined;
    if (on === false) out.set(id, null);
    else if (on === true && !own.selectedOptimizations?.some((o) => o.experienceId === id)) {
      out.set(id, distributionIndex(info, own.profile?.stableId ?? own.profile?.id ?? ''));
    }
  }
  for (const [id, index] of ctx.choices.variants) out.set(id, index);
  return out;
}

/**
 * `variants` of a selected optimization at `index`: from the content model when the page has it;
 * otherwise the visitor's own selection at that index, the baseline for 0, or — for another
 * index — the `index`-th variant template of each baseline the selection names (the page's
 * templates are taken to be in variant order).
 */
export function variantsAt(ctx: OverrideContext, id: string, index: number, mine: SelectedOptimization | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (baseline: string, variant: string) => Object.defineProperty(out, baseline, { value: variant, enumerable: true });
  const info = ctx.catalog.get(id);
  if (info?.entries.size) {
    for (const [baseline, variants] of info.entries) put(baseline, index === 0 ? baseline : variants[index - 1] ?? baseline);
    return out;
  }
  if (mine && mine.variantIndex === index) return { ...mine.variants };
  for (const baseline of Object.keys(mine?.variants ?? {})) put(baseline, index === 0 ? baseline : ctx.templates(baseline)[index - 1] ?? baseline);
  return out;
}

/**
 * The `Overrides` for the runtime: the visitor's own selections and changes with the choices
 * applied. Memoized per state snapshot (elements call it on every update).
 */
export function overridesFor(ctx: OverrideContext): Overrides | undefined {
  if (!choiceCount(ctx.choices)) return undefined;
  let last: OptimizationState | undefined;
  let result: ReturnType<Overrides> = {};
  return (own) => {
    if (own === last) return result;
    last = own;
    try {
      result = apply(ctx, own);
    } catch {
      result = {}; // never let a preview break what the page shows
    }
    return result;
  };
}

function apply(ctx: OverrideContext, own: OptimizationState): ReturnType<Overrides> {
  let selected = [...(own.selectedOptimizations ?? [])];
  let changes = [...(own.changes ?? [])];
  for (const [id, index] of forcedVariants(ctx, own)) {
    const at = selected.findIndex((o) => o.experienceId === id);
    const mine = selected[at];
    if (index === null) {
      // Not in its audience: not selected, and none of its flag values.
      selected = selected.filter((o) => o.experienceId !== id);
      changes = changes.filter((c) => c.meta.experienceId !== id);
      continue;
    }
    const forced: SelectedOptimization = {
      experienceId: id, variantIndex: index, variants: variantsAt(ctx, id, index, mine),
      sticky: mine?.sticky ?? ctx.catalog.get(id)?.sticky ?? false,
    };
    if (at >= 0) selected[at] = forced;
    else selected.unshift(forced);
    for (const [key, values] of ctx.catalog.get(id)?.flags ?? []) {
      // A variant's value may be JSON null (the API answers it so); only a missing one is the baseline's.
      const value = values[index];
      changes = setChange(changes, key, value !== undefined ? value : values[0] ?? null, { experienceId: id, variantIndex: index });
    }
  }
  for (const [key, value] of ctx.choices.flags) {
    changes = setChange(changes, key, value, changes.find((c) => c.key === key)?.meta ?? { experienceId: '', variantIndex: 0 });
  }
  return { selectedOptimizations: Object.freeze(selected), changes: Object.freeze(changes) };
}

function setChange(changes: Change[], key: string, value: Json | null, meta: Change['meta']): Change[] {
  const change: Change = { key, type: 'Variable', value, meta };
  const at = changes.findIndex((c) => c.key === key);
  return at >= 0 ? changes.map((c, i) => (i === at ? change : c)) : [change, ...changes];
}
