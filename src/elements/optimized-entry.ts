/**
 * `<ctfl-optimized-entry entry-id="BASELINE_ID">`: shows the variant selected for this visitor.
 *
 * Children are the baseline; each variant is a `<template data-variant-id="VARIANT_ID">` child. The
 * chosen content is rendered in the light DOM so page CSS applies. Variant markup comes from the
 * page author's templates; API data is only ever compared with `data-variant-id`, never parsed.
 *
 * No flicker: when a decision is already known (server handoff, defaults or cached selections) it is
 * applied as the element upgrades, and baseline nodes the parser adds later are moved out of the
 * document in the same microtask (MutationObserver callbacks run before the next paint). While the
 * first decision is pending the element is `visibility: hidden` (it keeps its box: no layout shift)
 * for at most `timeout` ms, then the baseline shows.
 */
import { ReactiveElement } from '@lit/reactive-element';
import { uuid } from '../core/events.js';
import type { ContentfulEntry, EntryDecision } from '../core/resolve.js';
import type { Unsubscribe } from '../core/store.js';
import type { ContentfulOptimization } from '../browser/optimization.js';
import { onRuntime } from '../browser/registry.js';

/**
 * 2000 ms: long enough for a first Experience response on a slow mobile connection (the API answers
 * in ~100 ms; a 3G round trip adds 300–600 ms twice), short enough that a visitor whose request
 * stalls sees content well inside the 2.5 s Largest Contentful Paint "good" threshold. After it the
 * baseline stays for this page view (unless `live`), so what the visitor saw is what is tracked.
 */
export const DEFAULT_ANTI_FLICKER_TIMEOUT_MS = 2000;
const VIEW_DWELL_MS = 1000;
const VIEW_RATIO = 0.1;
const HOVER_DWELL_MS = 1000;
const CLICKABLE = 'a,button,input[type=submit],input[type=button],summary,[role=button],[role=link],[data-ctfl-clickable]';

interface Dwell { id: string; started: number; sent: boolean; timer?: ReturnType<typeof setTimeout> }

export interface EntryResolvedDetail extends EntryDecision {
  /** `true` when the baseline was shown because no decision arrived within the timeout. */
  readonly timedOut: boolean;
}

/**
 * Shows the variant of a Contentful entry selected for this visitor.
 *
 * @customElement ctfl-optimized-entry
 * @summary Swaps baseline content for the visitor's variant, without flicker.
 * @slot - The baseline content, plus one `<template data-variant-id="…">` per variant.
 * @fires {CustomEvent<EntryResolvedDetail>} ctfl-entry-resolved - The decision shown (baseline, variant or empty), with `timedOut` when the anti-flicker timeout showed the baseline.
 * @attr {string} entry-id - The baseline entry id.
 * @attr {boolean} live - Follow later profile updates instead of keeping the first decision shown.
 * @attr {number} timeout - Anti-flicker timeout in ms (default 2000).
 * @attr {boolean} no-track-views - Do not send view events.
 * @attr {boolean} no-track-clicks - Do not send click events.
 * @attr {boolean} no-track-hovers - Do not send hover events.
 * @attr {string} data-ctfl-entry-id - Set by the element: the entry id shown (`""` for an empty variant).
 * @attr {string} data-ctfl-experience-id - Set by the element: the experience that decided, if any.
 * @attr {string} data-ctfl-variant-index - Set by the element: 0 for the baseline.
 */
export class OptimizedEntryElement extends ReactiveElement {
  static override properties = {
    entryId: { type: String, attribute: 'entry-id' },
    entry: { attribute: false },
    live: { type: Boolean },
    timeout: { type: Number },
    noTrackViews: { type: Boolean, attribute: 'no-track-views' },
    noTrackClicks: { type: Boolean, attribute: 'no-track-clicks' },
    noTrackHovers: { type: Boolean, attribute: 'no-track-hovers' },
  };

  /** The baseline entry id. */
  declare entryId: string | undefined;
  /** A Contentful entry with `fields.nt_experiences`, instead of `entry-id`. */
  declare entry: ContentfulEntry | undefined;
  /** Follow later updates; without it the first decision shown stays for this page view. */
  declare live: boolean;
  /** Anti-flicker timeout in ms. */
  declare timeout: number | undefined;
  declare noTrackViews: boolean;
  declare noTrackClicks: boolean;
  declare noTrackHovers: boolean;

  /** The decision currently shown. */
  decision: EntryDecision | undefined;

  #sdk: ContentfulOptimization | undefined;
  #offRuntime: Unsubscribe | undefined;
  #stash = document.createDocumentFragment();
  #rendered = new Set<Node>();
  #renderedId: string | null = null;
  #mo: MutationObserver | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  #io: IntersectionObserver | undefined;
  #view: Dwell | undefined;
  #viewed = false;
  #hover: Dwell | undefined;
  #cleanup: Array<() => void> = [];

  // Light DOM: the page's CSS styles the content, and the content stays where the author put it.
  protected override createRenderRoot() { return this; }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#mo = new MutationObserver(() => this.#render());
    this.#mo.observe(this, { childList: true });
    this.#offRuntime = onRuntime((sdk) => {
      this.#sdk = sdk;
      return sdk.subscribe(() => this.#update());
    });
    if (!this.decision) this.#update();
    if (!this.decision) {
      this.style.visibility = 'hidden';
      this.#timer = setTimeout(() => { this.#timedOut = true; this.#update(); }, this.#timeoutMs());
    }
    this.#listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#offRuntime?.();
    this.#mo?.disconnect();
    clearTimeout(this.#timer);
    this.#endView();
    this.#endHover();
    this.#io?.disconnect();
    for (const off of this.#cleanup.splice(0)) off();
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('entryId') || changed.has('entry')) {
      if (changed.get('entryId') !== undefined || changed.get('entry') !== undefined) this.decision = undefined;
      this.#update();
    }
  }

  #timeoutMs(): number {
    const t = this.timeout;
    return typeof t === 'number' && Number.isFinite(t) && t >= 0 ? t : DEFAULT_ANTI_FLICKER_TIMEOUT_MS;
  }

  /** A decision exists once selections are known (handoff, defaults, cache or a response) or a request failed. */
  #update(): void {
    const sdk = this.#sdk;
    const baselineId = this.entry?.sys?.id ?? this.entryId;
    if (!baselineId) {
      if (this.#timedOut || this.decision) return;
      warnOnce(sdk, 'E030', '<ctfl-optimized-entry> needs an entry-id attribute or an entry property; showing its content as is.');
      this.#show({ baselineId: '', entryId: '', variantIndex: 0, hidden: false, sticky: false });
      return;
    }
    const state = sdk?.state;
    const known = state && (state.selectedOptimizations !== undefined || state.requestState.status === 'failed');
    if (this.decision && !this.live) return;
    if (!known && !this.#timedOut) return;
    let next: EntryDecision;
    try {
      next = sdk && known ? sdk.resolveEntry(this.entry ?? baselineId) : { baselineId, entryId: baselineId, variantIndex: 0, hidden: false, sticky: false };
    } catch {
      next = { baselineId, entryId: baselineId, variantIndex: 0, hidden: false, sticky: false };
    }
    if (this.decision && sameDecision(this.decision, next)) return;
    this.#show(next);
  }

  #show(decision: EntryDecision): void {
    clearTimeout(this.#timer);
    this.decision = decision;
    this.#render();
    this.style.visibility = '';
    const d = this.decision;
    this.dataset.ctflEntryId = d.entryId;
    if (d.experienceId) this.dataset.ctflExperienceId = d.experienceId;
    else delete this.dataset.ctflExperienceId;
    this.dataset.ctflVariantIndex = String(d.variantIndex);
    this.dispatchEvent(new CustomEvent<EntryResolvedDetail>('ctfl-entry-resolved', {
      detail: { ...d, timedOut: this.#timedOut && !d.experienceId }, bubbles: true, composed: true,
    }));
    this.#observeViews();
  }

  /** Puts the decided content in place. Idempotent: runs again for every parser insertion. */
  #render(): void {
    const d = this.decision;
    if (!d) return;
    let want: string | null = null; // null: baseline; '': nothing; id: that variant
    let template: HTMLTemplateElement | undefined;
    if (d.hidden) want = '';
    else if (d.variantIndex > 0 && d.entryId !== d.baselineId) {
      template = this.#template(d.entryId);
      if (template) want = d.entryId;
      else if (this.#parsed()) {
        warnOnce(this.#sdk, 'E031', `<ctfl-optimized-entry entry-id="${d.baselineId}"> has no <template data-variant-id="${d.entryId}">; showing the baseline.`);
        // Keep the metadata (experience, variant index) but show the baseline content.
        this.decision = { ...d, entryId: d.baselineId };
        this.dataset.ctflEntryId = d.baselineId;
      } else {
        // The template may still be on its way from the parser: stay hidden until it arrives.
        this.style.visibility = 'hidden';
        return;
      }
    }
    this.style.visibility = '';
    const baselineNodes = [...this.childNodes].filter((n) => !this.#rendered.has(n) && !isVariantTemplate(n));
    if (want === null) {
      if (this.#renderedId !== null) {
        for (const n of this.#rendered) n.parentNode?.removeChild(n);
        this.#rendered.clear();
        const firstTemplate = [...this.childNodes].find(isVariantTemplate) ?? null;
        this.insertBefore(this.#stash, firstTemplate);
        this.#renderedId = null;
      }
      return;
    }
    for (const n of baselineNodes) this.#stash.appendChild(n);
    if (this.#renderedId === want) return;
    for (const n of this.#rendered) n.parentNode?.removeChild(n);
    this.#rendered.clear();
    if (template) {
      const content = document.importNode(template.content, true);
      for (const n of content.childNodes) this.#rendered.add(n);
      this.insertBefore(content, this.firstChild);
    }
    this.#renderedId = want;
  }

  #template(id: string): HTMLTemplateElement | undefined {
    const found: HTMLTemplateElement[] = [];
    for (const n of this.children) {
      if (n instanceof HTMLTemplateElement && n.dataset.variantId === id) found.push(n);
    }
    if (found.length > 1) warnOnce(this.#sdk, 'E032', `<ctfl-optimized-entry> has ${found.length} templates for variant "${id}"; using the first.`);
    return found[0];
  }

  /** True once the parser is past this element (so a missing template will not arrive). */
  #parsed(): boolean {
    if (document.readyState !== 'loading') return true;
    for (let n: Node | null = this; n; n = n.parentNode) if (n.nextSibling) return true;
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Interaction tracking

  #payload() {
    const d = this.decision!;
    return {
      componentType: 'Entry' as const,
      componentId: d.hidden || !d.entryId ? d.baselineId : d.entryId,
      experienceId: d.experienceId,
      variantIndex: d.variantIndex,
    };
  }

  #observeViews(): void {
    if (this.noTrackViews || this.#io || typeof IntersectionObserver !== 'function') return;
    this.#io = new IntersectionObserver((entries) => {
      const e = entries[entries.length - 1]!;
      if (e.isIntersecting && e.intersectionRatio >= VIEW_RATIO) this.#startView();
      else this.#endView();
    }, { threshold: [0, VIEW_RATIO] });
    this.#io.observe(this);
  }

  #startView(): void {
    if (this.#view || !this.decision?.baselineId) return;
    const view = { id: uuid(), started: performance.now(), sent: false } as Dwell;
    view.timer = setTimeout(() => {
      view.sent = true;
      const sticky = !this.#viewed && this.decision!.sticky;
      this.#viewed = true;
      void this.#sdk?.trackView({ ...this.#payload(), viewId: view.id, viewDurationMs: performance.now() - view.started, sticky });
    }, VIEW_DWELL_MS);
    this.#view = view;
  }

  #endView(): void {
    const view = this.#view;
    if (!view) return;
    this.#view = undefined;
    clearTimeout(view.timer);
    if (view.sent) void this.#sdk?.trackView({ ...this.#payload(), viewId: view.id, viewDurationMs: performance.now() - view.started, sticky: false });
  }


  #startHover = () => {
    if (this.noTrackHovers || this.#hover || !this.decision) return;
    const hover = { id: uuid(), started: performance.now(), sent: false } as Dwell;
    hover.timer = setTimeout(() => {
      hover.sent = true;
      void this.#sdk?.trackHover({ ...this.#payload(), hoverId: hover.id, hoverDurationMs: performance.now() - hover.started });
    }, HOVER_DWELL_MS);
    this.#hover = hover;
  };

  #endHover = () => {
    const hover = this.#hover;
    if (!hover) return;
    this.#hover = undefined;
    clearTimeout(hover.timer);
    if (hover.sent) void this.#sdk?.trackHover({ ...this.#payload(), hoverId: hover.id, hoverDurationMs: performance.now() - hover.started });
  };


  #onClick = (event: Event) => {
    if (this.noTrackClicks || !this.decision) return;
    const target = event.target as Element | null;
    const clickable = target?.closest?.(CLICKABLE);
    if (clickable && this.contains(clickable)) void this.#sdk?.trackClick(this.#payload());
  };

  #onPageHidden = () => { if (document.visibilityState === 'hidden') { this.#endView(); this.#endHover(); } };

  #listen(): void {
    const on = (t: EventTarget, type: string, fn: EventListener) => {
      t.addEventListener(type, fn);
      this.#cleanup.push(() => t.removeEventListener(type, fn));
    };
    on(this, 'click', this.#onClick);
    on(this, 'mouseenter', this.#startHover);
    on(this, 'mouseleave', this.#endHover);
    on(document, 'visibilitychange', this.#onPageHidden);
    on(window, 'pagehide', () => { this.#endView(); this.#endHover(); });
  }
}

const isVariantTemplate = (n: Node) => n instanceof HTMLTemplateElement && n.hasAttribute('data-variant-id');

const sameDecision = (a: EntryDecision, b: EntryDecision) =>
  a.entryId === b.entryId && a.experienceId === b.experienceId && a.variantIndex === b.variantIndex && a.hidden === b.hidden;

const warned = new Set<string>();
export function warnOnce(sdk: ContentfulOptimization | undefined, code: string, message: string): void {
  if (sdk) { sdk.log.warnOnce(code, message); return; }
  const key = code + message;
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(`ctfl-opt/${code}: ${message}`);
}

declare global {
  interface HTMLElementTagNameMap { 'ctfl-optimized-entry': OptimizedEntryElement }
  interface HTMLElementEventMap { 'ctfl-entry-resolved': CustomEvent<EntryResolvedDetail> }
}
