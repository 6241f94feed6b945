/**
 * Server rendering of `<ctfl-optimized-entry>`: the variant chosen from the Experience response is
 * the element's first content, so the first paint already shows it, and the templates the browser
 * element needs come after it.
 *
 * Trust boundary: `baseline` and `variants` are the application's own trusted markup (its
 * templates, with any content already escaped by the application). API data never becomes markup:
 * the selected optimizations only choose which of those strings is used, and the ids written into
 * attributes are escaped.
 */
import { resolveByBaselineId, type EntryDecision } from '../core/resolve.js';
import type { SelectedOptimization } from '../core/schemas.js';
import { OptimizationError } from '../core/log.js';
import { escapeHtml } from '../core/text.js';

export { escapeHtml };

const ATTRIBUTE_NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export interface RenderOptimizedEntryOptions {
  /** The baseline entry id (`entry-id`). */
  entryId: string;
  /** Trusted markup of the baseline. */
  baseline: string;
  /** Trusted markup per variant entry id. */
  variants?: Readonly<Record<string, string>>;
  /** The Experience response this page renders from (also pass it to `serializeOptimizationData`). Without it, the baseline is rendered and the browser decides. */
  data?: { readonly selectedOptimizations: readonly SelectedOptimization[] } | null;
  /** More attributes for the element (`class`, `live`, `timeout`, …): `true` writes a bare attribute, `false`/`undefined` none. */
  attributes?: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

export interface RenderedEntry {
  readonly html: string;
  /** What the data decided, or undefined without data. `entryId` is what was rendered. */
  readonly decision: EntryDecision | undefined;
}

/**
 * The decision and markup for one entry. With `data`, the element carries what the browser element
 * would set once decided (`data-ctfl-entry-id`, `data-ctfl-experience-id`,
 * `data-ctfl-variant-index`) plus `data-ctfl-prerendered`, and — when the rendered content is not
 * the baseline — the baseline as `<template data-variant-id="BASELINE_ID" data-ctfl-baseline>`.
 * A selected variant without markup here falls back to the baseline and keeps the experience
 * metadata, as the browser element does. Throws `OptimizationError` E070 when `entryId` or
 * `baseline` is not a string, E071 for an attribute name it does not write.
 */
export function renderEntry(options: RenderOptimizedEntryOptions): RenderedEntry {
  const { entryId, baseline, variants = {}, data, attributes = {} } = options ?? ({} as RenderOptimizedEntryOptions);
  if (typeof entryId !== 'string' || !entryId) throw new OptimizationError('E070', `entryId: ${entryId === '' ? 'an empty string' : typeof entryId}`);
  if (typeof baseline !== 'string') throw new OptimizationError('E070', `baseline: ${baseline === null ? 'null' : typeof baseline}`);

  let decision: EntryDecision | undefined = data ? resolveByBaselineId(entryId, data.selectedOptimizations) : undefined;
  let content = baseline;
  if (decision?.hidden) content = '';
  else if (decision && decision.variantIndex > 0 && decision.entryId !== entryId) {
    if (own(variants, decision.entryId) && typeof variants[decision.entryId] === 'string') content = variants[decision.entryId]!;
    else decision = { ...decision, entryId };
  }

  let attrs = ` entry-id="${escapeHtml(entryId)}"`;
  if (decision) {
    attrs += ` data-ctfl-entry-id="${escapeHtml(decision.entryId)}"`;
    if (decision.experienceId) attrs += ` data-ctfl-experience-id="${escapeHtml(decision.experienceId)}"`;
    attrs += ` data-ctfl-variant-index="${decision.variantIndex}" data-ctfl-prerendered`;
  }
  for (const [name, value] of Object.entries(attributes)) {
    if (!ATTRIBUTE_NAME.test(name) || /^(entry-id|data-ctfl-)/i.test(name)) {
      throw new OptimizationError('E071', JSON.stringify(name).slice(0, 60));
    }
    if (value === true) attrs += ` ${name}`;
    else if (value !== false && value !== null && value !== undefined) attrs += ` ${name}="${escapeHtml(String(value))}"`;
  }

  let templates = '';
  for (const [id, markup] of Object.entries(variants)) {
    if (!id || id === entryId || typeof markup !== 'string') continue;
    templates += `<template data-variant-id="${escapeHtml(id)}">${markup}</template>`;
  }
  const baselineShown = !decision || (!decision.hidden && decision.entryId === entryId);
  // The baseline's own template (keyed by its entry id, so elements never mistake it for content).
  if (!baselineShown) templates += `<template data-variant-id="${escapeHtml(entryId)}" data-ctfl-baseline>${baseline}</template>`;
  return { html: `<ctfl-optimized-entry${attrs}>${content}${templates}</ctfl-optimized-entry>`, decision };
}

/** `renderEntry(options).html`: the markup of one `<ctfl-optimized-entry>`. */
export function renderOptimizedEntry(options: RenderOptimizedEntryOptions): string {
  return renderEntry(options).html;
}
