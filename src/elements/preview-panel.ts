/**
 * `<ctfl-preview-panel>`: see and override personalization on the live page.
 *
 * Opened with `?ctfl-preview` in the page URL (script-tag bundle) or `optimization.preview()`; it
 * is not part of the script-tag bundle: `optimization.preview.js` loads only then. It shows the
 * visitor's profile, consent, selected optimizations, flags, queues, blocked events and the last
 * Experience request, live, and lets a previewer force a variant per experience, a flag value or
 * an audience on or off. Overrides apply to the page's elements at once, in this tab only
 * (sessionStorage), and never reach an API, the visitor's stored state or another tab
 * (src/browser/overrides.ts). Closing the panel ends them.
 *
 * When the page's Experience API is the local emulator, it also shows the emulator's experiment
 * results for the experiences on the page (`GET /_emulator/results`, polled): visitors, views,
 * clicks, hovers, conversions per goal with their intervals. Against any other API the route does
 * not answer and the section stays hidden.
 *
 * Everything it shows from the profile, flags or the API is text (lit text bindings), never HTML.
 * Its styles are constructable stylesheets in its shadow root: no `<style>` element, so a strict
 * `style-src 'self'` Content-Security-Policy needs nothing more.
 */
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { ContentfulOptimization } from '../browser/optimization.js';
import type { OptimizationState } from '../browser/types.js';
import { onRuntime } from '../browser/registry.js';
import {
  catalogOf, choiceCount, endSession, forcedVariants, MAX_VALUE, noChoices, overridesFor, readChoices, variantsAt, writeChoices,
  type ExperienceInfo, type OverrideContext, type PreviewChoices,
} from '../browser/overrides.js';
import { DEFAULT_EXPERIENCE_URL } from '../core/api.js';
import { getFlag } from '../core/resolve.js';
import type { ExperienceResult, ResultsResponse } from '../emulator/results-types.js';
import { count, goalLine, srmText, tooFewText, variantLabel } from '../emulator/results-format.js';
import type { Json, SelectedOptimization } from '../core/wire.js';
import type { Unsubscribe } from '../core/store.js';

/** How often the panel looks again at what is not in the runtime's state: queue depth, the page's elements. */
const REFRESH_MS = 1000;
/** How often it asks the emulator for experiment results. */
const RESULTS_MS = 3000;
/** After a failed ask, the wait doubles up to this (an emulator that restarts is found again). */
const RESULTS_MAX_BACKOFF_MS = 60_000;

/**
 * `GET /_emulator/results` for this runtime's organization, or null when its API is the hosted one.
 * Relative to the base URL's path, as the runtime's own API paths are: a base behind a path prefix
 * (`https://dev.example/emulator/`) keeps it.
 */
function resultsUrl(sdk: ContentfulOptimization): string | null {
  try {
    const base = new URL(sdk.config.experienceBaseUrl);
    if (base.origin === new URL(DEFAULT_EXPERIENCE_URL).origin) return null;
    const url = new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}/_emulator/results`);
    url.searchParams.set('organization', sdk.config.clientId);
    url.searchParams.set('environment', sdk.config.environment);
    return url.href;
  } catch {
    return null;
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number';
const isNumberOrNull = (v: unknown) => v === null || typeof v === 'number';

/** Just enough of the answer's shape to render it; anything else hides the section. */
function isResults(v: unknown): v is ResultsResponse {
  const r = v as ResultsResponse | null;
  return !!r && typeof r === 'object' && Array.isArray(r.goals) && r.goals.every((g) => typeof g === 'string')
    && !!r.method && isNumber(r.method.minVisitors) && isNumber(r.method.minConversions) && isNumber(r.method.srmThreshold)
    && Array.isArray(r.experiences) && r.experiences.every((e) => !!e && typeof e.id === 'string' && typeof e.name === 'string'
      && isNumber(e.visitors) && isNumber(e.crossovers) && Array.isArray(e.variants) && e.variants.every(isCounts)
      && !!e.srm && typeof e.srm.status === 'string' && Array.isArray(e.srm.expectedShares) && e.srm.expectedShares.every(isNumber)
      && isNumberOrNull(e.srm.chiSquare) && isNumberOrNull(e.srm.pValue) && (e.srm.unexpectedVisitors === undefined || isNumber(e.srm.unexpectedVisitors))
      && (e.audience === null || e.audience === undefined || (typeof e.audience === 'object' && typeof e.audience.name === 'string'))
      && Array.isArray(e.goals) && e.goals.every((g) => !!g && typeof g.goal === 'string' && typeof g.enoughData === 'boolean' && Array.isArray(g.variants)
        && g.variants.every((v) => !!v && isNumber(v.index) && isNumber(v.visitors) && isNumber(v.conversions)
          && [v.rate, v.difference, v.differenceLower, v.differenceUpper, v.probabilityToBeat].every(isNumberOrNull))));
}
const isCounts = (v: ExperienceResult['variants'][number]) => !!v
  && [v.index, v.visitors, v.views, v.clicks, v.hovers].every(isNumber);

interface OptimizedEntryLike extends HTMLElement {
  entryId?: string;
  entry?: { fields?: { nt_experiences?: unknown } };
}

const session = (): Storage | undefined => {
  try { return window.sessionStorage; } catch { return undefined; }
};

/** Any value as text: strings as they are, everything else as JSON. */
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '—' : JSON.stringify(v));
const consentText = (v: boolean | undefined) => (v === true ? 'granted' : v === false ? 'denied' : 'not decided');

/**
 * See and override personalization on the live page.
 *
 * @customElement ctfl-preview-panel
 * @summary A previewer's panel: the visitor's state, live, and overrides that only this tab shows.
 * @attr {boolean} collapsed - Only the header shows (its "Show details" button expands it).
 * @attr {'left' | 'right'} side - The corner of the viewport it sits in (default `right`; its "Move to the left" button moves it).
 * @prop {ContentfulOptimization | undefined} runtime - The runtime to preview (default: the page's).
 * @prop {unknown[]} experiences - `nt_experience` entries (Delivery API shape) for pages that render with `entry-id` only: names, audiences and variants of experiences the visitor is not in.
 */
export class PreviewPanelElement extends LitElement {
  static override properties = {
    runtime: { attribute: false },
    experiences: { attribute: false },
    collapsed: { type: Boolean, reflect: true },
    side: { type: String, reflect: true },
  };

  /**
   * Opens the page's panel (creating it at the end of `<body>` when there is none), bound to `sdk`,
   * and moves focus into it. `optimization.preview()` calls this.
   */
  static async open(sdk?: ContentfulOptimization): Promise<PreviewPanelElement> {
    if (!document.body) await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
    let panel = document.querySelector('ctfl-preview-panel');
    if (!panel) {
      panel = document.createElement('ctfl-preview-panel');
      document.body.append(panel);
    }
    if (sdk) panel.runtime = sdk;
    await panel.updateComplete;
    panel.focus();
    return panel;
  }

  declare runtime: ContentfulOptimization | undefined;
  declare experiences: unknown[] | undefined;
  /** Only the header shows. */
  declare collapsed: boolean;
  /** The bottom corner it sits in: `left` or `right` (the default). */
  declare side: 'left' | 'right';

  #registered: ContentfulOptimization | undefined;
  #sdk: ContentfulOptimization | undefined;
  #offRegistry: Unsubscribe | undefined;
  #offState: Unsubscribe | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #choices: PreviewChoices = noChoices();
  #catalog = new Map<string, ExperienceInfo>();
  #signature = '';
  /** Where focus was before the panel took it, to give it back on close. */
  #returnFocus: Element | null = null;
  #results: ResultsResponse | null = null;
  #resultsTimer: ReturnType<typeof setTimeout> | undefined;
  #resultsAbort: AbortController | undefined;

  constructor() {
    super();
    this.collapsed = false;
    this.side = 'right';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#offRegistry = onRuntime((sdk) => { this.#registered = sdk; this.#bind(); });
    this.#timer = setInterval(() => this.#refresh(), REFRESH_MS);
    this.#refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#offRegistry?.();
    clearInterval(this.#timer);
    // Without the panel nothing on the page says overrides are on: the page shows the visitor's
    // own decisions (the session record stays for a reload, unless the panel was closed).
    this.#release();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('runtime')) this.#bind();
    if (changed.has('experiences')) this.#refresh();
  }

  /** Moves focus to the panel's heading. */
  override focus(options?: FocusOptions): void {
    const active = document.activeElement;
    if (active && active !== this && active !== document.body) this.#returnFocus = active;
    this.renderRoot.querySelector<HTMLElement>('h2')?.focus(options);
  }

  /** Ends all overrides: the page shows the visitor's own decisions again; the panel stays open. */
  clearOverrides(): void {
    this.#choices = noChoices();
    this.#commit();
  }

  /**
   * Closes the panel: overrides end at once (also for later reloads of this tab), the panel leaves
   * the page and focus goes back where it was.
   */
  close(): void {
    this.#choices = noChoices();
    endSession(session());
    this.#release();
    const back = this.#returnFocus;
    const hadFocus = this.matches(':focus-within');
    this.remove();
    if (hadFocus && back instanceof HTMLElement && back.isConnected) back.focus();
  }

  // -------------------------------------------------------------------------------------------
  // Runtime and overrides

  #bind(): void {
    const sdk = this.runtime ?? this.#registered;
    if (sdk === this.#sdk || !this.isConnected) return;
    this.#release();
    this.#sdk = sdk;
    if (!sdk) return;
    const store = session();
    const { choices, dropped } = readChoices(store);
    if (dropped) {
      sdk._log.warn('E060', String(dropped));
    }
    this.#choices = choices;
    writeChoices(store, choices); // marks this tab's preview session; drops what was invalid
    this.#offState = sdk.subscribe(() => this.requestUpdate());
    this.#apply();
    const url = resultsUrl(sdk);
    if (url) void this.#pollResults(sdk, url);
  }

  /**
   * Asks the emulator for results every RESULTS_MS. A failed ask (no emulator there, or not yet,
   * or restarting) hides the section and is tried again later, each time waiting twice as long.
   */
  async #pollResults(sdk: ContentfulOptimization, url: string, failures = 0): Promise<void> {
    if (this.#sdk !== sdk) return;
    const abort = (this.#resultsAbort = new AbortController());
    let results: ResultsResponse | null = null;
    let next = RESULTS_MS;
    if (!document.hidden) {
      try {
        const res = await fetch(url, { credentials: 'omit', cache: 'no-store', signal: abort.signal });
        const json: unknown = res.ok ? await res.json() : null;
        results = isResults(json) ? json : null;
      } catch { /* not an emulator, or not reachable: no section */ }
      if (this.#sdk !== sdk || abort.signal.aborted) return;
      this.#results = results;
      this.requestUpdate();
      failures = results ? 0 : failures + 1;
      next = results ? RESULTS_MS : Math.min(RESULTS_MAX_BACKOFF_MS, RESULTS_MS * 2 ** Math.min(failures - 1, 10));
    }
    this.#resultsTimer = setTimeout(() => void this.#pollResults(sdk, url, failures), next);
  }

  #release(): void {
    clearTimeout(this.#resultsTimer);
    this.#resultsAbort?.abort();
    this.#results = null;
    this.#offState?.();
    this.#offState = undefined;
    this.#sdk?.setOverrides(undefined);
    this.#sdk = undefined;
  }

  #context(): OverrideContext {
    return { choices: this.#choices, catalog: this.#catalog, templates: templatesOf };
  }

  #apply(): void {
    this.#sdk?.setOverrides(overridesFor(this.#context()));
  }

  /** A choice changed: saved for this tab, applied to the page, shown. */
  #commit(): void {
    if (this.#sdk) writeChoices(session(), this.#choices);
    this.#apply();
    this.requestUpdate();
  }

  /** Looks at the page again: experiences from its entries, its variant templates, queue depth. */
  #refresh(): void {
    const entries: unknown[] = [...(Array.isArray(this.experiences) ? this.experiences : [])];
    const elements = [...document.getElementsByTagName('ctfl-optimized-entry')] as OptimizedEntryLike[];
    for (const el of elements) {
      const linked = el.entry?.fields?.nt_experiences;
      if (Array.isArray(linked)) entries.push(...linked);
    }
    const catalog = catalogOf(entries);
    const signature = JSON.stringify([
      [...catalog.values()].map((i) => [i.id, i.name, i.audience, i.distribution, [...i.entries], [...i.flags]]),
      elements.map((el) => [el.entryId ?? el.getAttribute('entry-id'), templatesOf(el.entryId ?? el.getAttribute('entry-id') ?? '')]),
    ]);
    if (signature !== this.#signature) {
      this.#signature = signature;
      this.#catalog = catalog;
      this.#apply();
    }
    this.requestUpdate();
  }

  #setVariant(id: string, value: string): void {
    const variants = this.#choices.variants as Map<string, number>;
    if (value === '') variants.delete(id);
    else variants.set(id, Number(value));
    this.#commit();
  }

  #setAudience(id: string, value: string): void {
    const audiences = this.#choices.audiences as Map<string, boolean>;
    if (value === '') audiences.delete(id);
    else audiences.set(id, value === 'on');
    this.#commit();
  }

  #setFlag(key: string, value: Json | undefined): void {
    const flags = this.#choices.flags as Map<string, Json>;
    if (value === undefined) flags.delete(key);
    else flags.set(key, value);
    this.#commit();
  }

  // -------------------------------------------------------------------------------------------
  // Rendering

  static override styles = css`
    :host {
      position: fixed; right: 0; bottom: 0; z-index: 2147483646;
      box-sizing: border-box; width: min(26rem, 100vw); max-height: min(85vh, 44rem);
      display: flex; font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1b1b1f;
    }
    :host([hidden]) { display: none; }
    :host([side='left']) { right: auto; left: 0; }
    * { box-sizing: border-box; }
    aside {
      display: flex; flex-direction: column; width: 100%; min-width: 0; background: #fff;
      border: 1px solid #6e6e80; border-right: 0; border-bottom: 0; border-radius: 8px 0 0 0;
      box-shadow: 0 0 24px rgb(0 0 0 / 0.25);
    }
    :host([side='left']) aside { border-right: 1px solid #6e6e80; border-left: 0; border-radius: 0 8px 0 0; }
    header { padding: 0.5rem 0.75rem; background: #f1f1f6; border-bottom: 1px solid #c8c8d2; border-radius: inherit; }
    h2 { font-size: 1rem; margin: 0; }
    h3 { font-size: 0.95rem; margin: 1rem 0 0.25rem; }
    h4 { font-size: 0.875rem; margin: 0.5rem 0 0.125rem; }
    .note { border-left: 4px solid #b35900; padding-left: 0.5rem; background: #fff8f0; }
    .lines li { border: 0; padding: 0.125rem 0; }
    p { margin: 0.25rem 0; }
    .count { font-weight: 600; }
    .count.on { color: #8a3b00; }
    .actions { display: flex; flex-wrap: wrap; gap: 0.25rem; margin-top: 0.375rem; }
    .body { overflow: auto; padding: 0 0.75rem 0.75rem; min-height: 0; }
    .body[hidden] { display: none; }
    button, select, input { font: inherit; min-height: 2rem; max-width: 100%; }
    button {
      padding: 0.125rem 0.625rem; border: 1px solid #4a4a57; border-radius: 4px; background: #fff; color: #1b1b1f; cursor: pointer;
    }
    button:hover { background: #ececf2; }
    button:disabled { color: #5c5c6b; border-color: #9a9aa8; cursor: default; background: #f7f7fa; }
    select, input { border: 1px solid #4a4a57; border-radius: 4px; background: #fff; color: #1b1b1f; padding: 0 0.25rem; }
    :focus-visible { outline: 3px solid #1a5fb4; outline-offset: 1px; }
    h2:focus { outline: none; }
    h2:focus-visible { outline: 3px solid #1a5fb4; }
    ul { list-style: none; margin: 0; padding: 0; }
    li { border-top: 1px solid #dcdce4; padding: 0.5rem 0; }
    li.override { border-left: 4px solid #b35900; padding-left: 0.5rem; background: #fff8f0; }
    label { font-weight: 600; display: block; overflow-wrap: anywhere; }
    .id, code { font-family: ui-monospace, 'SFMono-Regular', Menlo, monospace; font-size: 0.8rem; color: #45454f; overflow-wrap: anywhere; }
    .badge {
      display: inline-block; margin-left: 0.25rem; padding: 0 0.375rem; border-radius: 999px;
      background: #8a3b00; color: #fff; font-size: 0.75rem; font-weight: 600; vertical-align: middle;
    }
    .control { display: flex; flex-wrap: wrap; gap: 0.25rem; align-items: center; margin-top: 0.25rem; }
    .control input { flex: 1 1 8rem; min-width: 0; }
    dl { display: grid; grid-template-columns: minmax(0, max-content) minmax(0, 1fr); gap: 0.125rem 0.75rem; margin: 0; }
    dt { color: #45454f; overflow-wrap: anywhere; }
    dd { margin: 0; overflow-wrap: anywhere; }
    .empty { color: #45454f; font-style: italic; }
  `;

  protected override render(): TemplateResult {
    const sdk = this.#sdk;
    const state = sdk?.state;
    const count = choiceCount(this.#choices);
    return html`
      <aside aria-labelledby="title" @keydown=${this.#onKeydown}>
        <header>
          <h2 id="title" tabindex="-1">Personalization preview</h2>
          <p class="count ${count ? 'on' : ''}" role="status">
            ${count ? `${count} override${count === 1 ? '' : 's'} on — this tab only, never sent` : 'No overrides: the visitor\'s own decisions'}
          </p>
          <div class="actions">
            <button type="button" aria-expanded=${String(!this.collapsed)} aria-controls="details"
              @click=${() => { this.collapsed = !this.collapsed; }}>${this.collapsed ? 'Show details' : 'Hide details'}</button>
            <button type="button" @click=${() => { this.side = this.side === 'left' ? 'right' : 'left'; }}>${this.side === 'left' ? 'Move to the right' : 'Move to the left'}</button>
            <button type="button" ?disabled=${!count} @click=${() => this.clearOverrides()}>Clear overrides</button>
            <button type="button" @click=${() => this.close()}>Close</button>
          </div>
        </header>
        <div class="body" id="details" ?hidden=${this.collapsed}>
          ${sdk && state ? this.#details(sdk, state) : html`<p class="empty">No optimization runtime on this page.</p>`}
        </div>
      </aside>`;
  }

  #onKeydown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    event.preventDefault();
    this.close();
  };

  #details(sdk: ContentfulOptimization, state: OptimizationState): TemplateResult {
    const ctx = this.#context();
    const forced = forcedVariants(ctx, state);
    return html`
      ${this.#experiencesSection(state, ctx, forced)}
      ${this.#resultsSection(state)}
      ${this.#flagsSection(sdk, state)}
      ${this.#audiencesSection(state)}
      ${this.#profileSection(state)}
      ${this.#statusSection(sdk, state)}`;
  }

  /** The experiences on the page: the visitor's, the content model's, and those with a forced variant. */
  #pageExperiences(state: OptimizationState): string[] {
    const own = state.selectedOptimizations ?? [];
    return unique([...own.map((o) => o.experienceId), ...this.#catalog.keys(), ...this.#choices.variants.keys()]);
  }

  #resultsSection(state: OptimizationState): TemplateResult | typeof nothing {
    const r = this.#results;
    if (!r) return nothing;
    const ids = this.#pageExperiences(state);
    const shown = r.experiences.filter((e) => ids.includes(e.id));
    return html`
      <section aria-labelledby="h-results" class="results">
        <h3 id="h-results">Results from the emulator</h3>
        <p>${r.goals.length ? `Goals: ${r.goals.join(', ')}` : 'No goal: start the emulator with --goal NAME, or pick one on its dashboard (/_emulator/).'}</p>
        ${shown.length ? html`<ul>${shown.map((e) => this.#resultRow(r, e))}</ul>`
          : html`<p class="empty">No results for the experiences on this page.</p>`}
      </section>`;
  }

  #resultRow(r: ResultsResponse, e: ExperienceResult): TemplateResult {
    return html`
      <li data-experience-id=${e.id}>
        <h4>${e.name}</h4>
        <p>${count(e.visitors, 'visitor')} exposed${e.crossovers ? `, ${count(e.crossovers, 'visitor')} also saw another variant` : ''}</p>
        ${e.srm.status === 'mismatch' ? html`<p class="note" role="note">${srmText(e.srm, r.method.srmThreshold)}</p>` : nothing}
        ${e.audience?.unevaluable?.length ? html`<p class="note" role="note">Audience ${e.audience.name} has rules the emulator cannot evaluate: it may never match.</p>` : nothing}
        <dl>${e.variants.map((v) => html`<dt>${variantLabel(v.index)}</dt><dd>${count(v.visitors, 'visitor')}, ${count(v.views, 'view')}, ${count(v.clicks, 'click')}, ${count(v.hovers, 'hover')}</dd>`)}</dl>
        ${e.visitors ? e.goals.map((g) => html`
          <p><strong>Goal “${g.goal}”</strong></p>
          ${g.enoughData ? nothing : html`<p class="note">${tooFewText(r.method.minVisitors, r.method.minConversions)}</p>`}
          <ul class="lines">${g.variants.map((_, i) => html`<li>${goalLine(g, i)}</li>`)}</ul>`) : nothing}
      </li>`;
  }

  #experiencesSection(state: OptimizationState, ctx: OverrideContext, forced: Map<string, number | null>): TemplateResult {
    const own = state.selectedOptimizations ?? [];
    const ids = this.#pageExperiences(state);
    return html`
      <section aria-labelledby="h-experiences">
        <h3 id="h-experiences">Experiences</h3>
        ${ids.length ? html`<ul>${ids.map((id, i) => this.#experienceRow(id, i, own.find((o) => o.experienceId === id), ctx, forced))}</ul>`
          : html`<p class="empty">No selected optimizations yet.</p>`}
      </section>`;
  }

  #experienceRow(id: string, i: number, mine: SelectedOptimization | undefined, ctx: OverrideContext, forced: Map<string, number | null>): TemplateResult {
    const info = this.#catalog.get(id);
    const choice = this.#choices.variants.get(id);
    const effect = forced.get(id);
    const over = forced.has(id);
    let count = info ? info.variantCount : mine?.variantIndex ?? 0;
    if (!info) for (const baseline of Object.keys(mine?.variants ?? {})) count = Math.max(count, templatesOf(baseline).length);
    const label = (index: number) => {
      if (index === 0) return 'Baseline';
      const shown = Object.entries(variantsAt(ctx, id, index, mine)).filter(([b, v]) => v !== b).map(([, v]) => (v === '' ? 'empty' : v));
      return `Variant ${index}${shown.length ? ` (${shown.join(', ')})` : ''}`;
    };
    const audience = info?.audience;
    return html`
      <li class=${over ? 'override' : ''}>
        <label for="experience-${i}">${info?.name ?? id}${over ? html`<span class="badge">override</span>` : nothing}</label>
        ${info?.name ? html`<span class="id">${id}</span>` : nothing}
        <p>Visitor's own: ${mine ? label(mine.variantIndex) : 'not selected'}${mine?.sticky ? ' (sticky)' : ''}${audience ? ` · audience ${audience.name ?? audience.id}` : ''}</p>
        ${over && choice === undefined ? html`<p>Shown: ${effect === null || effect === undefined ? 'not selected (audience off)' : label(effect)}, from the audience override</p>` : nothing}
        <div class="control">
          <select id="experience-${i}" @change=${(e: Event) => this.#setVariant(id, (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${choice === undefined}>Visitor's own</option>
            ${range(Math.max(count, choice ?? 0) + 1).map((index) => html`<option value=${String(index)} ?selected=${choice === index}>${label(index)}</option>`)}
          </select>
        </div>
      </li>`;
  }

  #flagsSection(sdk: ContentfulOptimization, state: OptimizationState): TemplateResult {
    const catalogFlags = new Map<string, readonly Json[]>();
    for (const info of this.#catalog.values()) for (const [key, values] of info.flags) if (!catalogFlags.has(key)) catalogFlags.set(key, values);
    const keys = unique([
      ...(state.changes ?? []).map((c) => c.key), ...catalogFlags.keys(),
      ...[...document.getElementsByTagName('ctfl-flag')].map((el) => el.getAttribute('key') ?? ''),
      ...this.#choices.flags.keys(),
    ].filter(Boolean));
    return html`
      <section aria-labelledby="h-flags">
        <h3 id="h-flags">Flags</h3>
        ${keys.length ? html`<ul>${keys.map((key, i) => this.#flagRow(sdk, state, key, i, catalogFlags.get(key)))}</ul>`
          : html`<p class="empty">No flags.</p>`}
      </section>`;
  }

  #flagRow(sdk: ContentfulOptimization, state: OptimizationState, key: string, i: number, values: readonly Json[] | undefined): TemplateResult {
    const own = getFlag(key, state.changes);
    const shown = sdk.getFlag(key);
    const choice = this.#choices.flags.get(key);
    const over = this.#choices.flags.has(key) || JSON.stringify(shown) !== JSON.stringify(own);
    const boolean = typeof own === 'boolean' || typeof choice === 'boolean' || (!!values?.length && values.every((v) => typeof v === 'boolean'));
    const id = `flag-${i}`;
    return html`
      <li class=${over ? 'override' : ''}>
        <label for=${id}>${key}${over ? html`<span class="badge">override</span>` : nothing}</label>
        <p>Visitor's own: <code>${text(own)}</code>${over ? html` · shown: <code>${text(shown)}</code>` : nothing}</p>
        ${boolean ? html`
          <div class="control">
            <select id=${id} @change=${(e: Event) => { const v = (e.target as HTMLSelectElement).value; this.#setFlag(key, v === '' ? undefined : v === 'true'); }}>
              <option value="" ?selected=${choice === undefined}>Visitor's own</option>
              <option value="true" ?selected=${choice === true}>true</option>
              <option value="false" ?selected=${choice === false}>false</option>
            </select>
          </div>` : html`
          <form class="control" @submit=${(e: SubmitEvent) => this.#submitFlag(e, key)}>
            <input id=${id} name="value" autocomplete="off" spellcheck="false" maxlength=${MAX_VALUE - 2} aria-describedby="${id}-hint"
              .value=${choice === undefined ? '' : text(choice)}>
            <button type="submit">Set</button>
            ${choice !== undefined ? html`<button type="button" @click=${() => this.#setFlag(key, undefined)}>Visitor's own</button>` : nothing}
            <p class="id" id="${id}-hint">Text, or JSON (a number, an object…)</p>
          </form>`}
      </li>`;
  }

  #submitFlag(event: SubmitEvent, key: string): void {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('value') as HTMLInputElement;
    const raw = input.value;
    let value: Json = raw;
    try { value = JSON.parse(raw) as Json; } catch { /* plain text */ }
    this.#setFlag(key, raw === '' ? undefined : value);
  }

  #audiencesSection(state: OptimizationState): TemplateResult {
    const names = new Map<string, string | undefined>();
    const usedBy = new Map<string, string[]>();
    for (const info of this.#catalog.values()) {
      if (!info.audience) continue;
      if (!names.get(info.audience.id)) names.set(info.audience.id, info.audience.name);
      usedBy.set(info.audience.id, [...(usedBy.get(info.audience.id) ?? []), info.name ?? info.id]);
    }
    const mine = state.profile?.audiences ?? [];
    const ids = unique([...mine, ...names.keys(), ...this.#choices.audiences.keys()]);
    return html`
      <section aria-labelledby="h-audiences">
        <h3 id="h-audiences">Audiences</h3>
        ${ids.length ? html`<ul>${ids.map((id, i) => {
          const choice = this.#choices.audiences.get(id);
          const name = names.get(id);
          const experiences = usedBy.get(id);
          return html`
            <li class=${choice !== undefined ? 'override' : ''}>
              <label for="audience-${i}">${name ?? id}${choice !== undefined ? html`<span class="badge">override</span>` : nothing}</label>
              ${name ? html`<span class="id">${id}</span>` : nothing}
              <p>Visitor's own: ${mine.includes(id) ? 'in this audience' : 'not in this audience'}</p>
              <p>${experiences ? `Experiences: ${experiences.join(', ')}`
                : this.#catalog.size ? 'No experience on this page uses it.'
                  : 'Its experiences are not known here: the page has no content model (see the experiences property).'}</p>
              <div class="control">
                <select id="audience-${i}" @change=${(e: Event) => this.#setAudience(id, (e.target as HTMLSelectElement).value)}>
                  <option value="" ?selected=${choice === undefined}>Visitor's own</option>
                  <option value="on" ?selected=${choice === true}>On: its experiences apply</option>
                  <option value="off" ?selected=${choice === false}>Off: its experiences show the baseline</option>
                </select>
              </div>
            </li>`;
        })}</ul>` : html`<p class="empty">No audiences.</p>`}
      </section>`;
  }

  #profileSection(state: OptimizationState): TemplateResult {
    const p = state.profile;
    if (!p) {
      return html`<section aria-labelledby="h-profile"><h3 id="h-profile">Profile</h3><p class="empty">No profile yet.</p></section>`;
    }
    const s = p.session;
    return html`
      <section aria-labelledby="h-profile">
        <h3 id="h-profile">Profile</h3>
        <dl>
          <dt>Id</dt><dd><code>${p.id}</code></dd>
          <dt>Audiences</dt><dd>${p.audiences.length ? p.audiences.join(', ') : 'none'}</dd>
        </dl>
        <h4>Traits</h4>
        ${pairs(Object.entries(p.traits), 'No traits.')}
        <h4>Location</h4>
        ${pairs(Object.entries(p.location), 'No location.')}
        <h4>Session</h4>
        ${pairs([
          ['Id', s.id], ['Returning visitor', s.isReturningVisitor ? 'yes' : 'no'], ['Sessions', s.count],
          ['Landing page', s.landingPage?.url ?? s.landingPage?.path], ['Active length', s.activeSessionLength], ['Average length', s.averageSessionLength],
        ], '')}
      </section>`;
  }

  #statusSection(sdk: ContentfulOptimization, state: OptimizationState): TemplateResult {
    const r = state.requestState;
    const request = r.status === 'failed'
      ? `failed: ${r.reason}${r.httpStatus ? ` ${r.httpStatus}` : ''}${r.code ? ` ${r.code}` : ''} — ${r.message} (${r.at})`
      : r.status === 'success' ? `success (${r.at})` : r.status;
    const queued = sdk.queued;
    const blocked = state.blockedEvents;
    return html`
      <section aria-labelledby="h-status">
        <h3 id="h-status">Consent and delivery</h3>
        <dl>
          <dt>Event consent</dt><dd>${consentText(state.consent)}</dd>
          <dt>Persistence consent</dt><dd>${consentText(state.persistenceConsent)}</dd>
          <dt>Last Experience request</dt><dd>${request}</dd>
          <dt>Queued events</dt><dd>Experience ${queued.experience}, Insights ${queued.insights}</dd>
          <dt>Online</dt><dd>${state.online ? 'yes' : 'no'}</dd>
          <dt>Blocked events</dt><dd>${blocked.length}</dd>
        </dl>
        ${blocked.length ? html`<ul>${blocked.slice(-5).reverse().map((b) => html`<li>${b.method}() → ${b.eventType}: ${b.reason}, ${b.at}</li>`)}</ul>` : nothing}
      </section>`;
  }
}

/** The variant ids of the page's `<template data-variant-id>` for a baseline entry id, in order. */
function templatesOf(baselineId: string): string[] {
  const ids: string[] = [];
  if (!baselineId) return ids;
  for (const el of document.getElementsByTagName('ctfl-optimized-entry') as HTMLCollectionOf<OptimizedEntryLike>) {
    if ((el.entryId ?? el.getAttribute('entry-id')) !== baselineId) continue;
    for (const t of el.children) {
      const id = t instanceof HTMLTemplateElement ? t.dataset.variantId : undefined;
      if (id && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

function pairs(entries: Array<[string, unknown]>, empty: string): TemplateResult {
  const shown = entries.filter(([, v]) => v !== undefined);
  if (!shown.length) return html`<p class="empty">${empty}</p>`;
  return html`<dl>${shown.map(([k, v]) => html`<dt>${k}</dt><dd>${text(v)}</dd>`)}</dl>`;
}

const unique = (ids: string[]) => [...new Set(ids)];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

declare global {
  interface HTMLElementTagNameMap { 'ctfl-preview-panel': PreviewPanelElement }
}
