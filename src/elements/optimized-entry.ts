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
import type { ContentfulOptimization, OptimizationState, ShownDecision } from '../browser/optimization.js';
import { listen } from '../browser/listen.js';
import { onRuntime } from '../browser/registry.js';
import { coded } from '../core/log.js';

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

export interface EntryResolvedDetail extends ShownDecision {
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
 * @attr {boolean} data-ctfl-override - Set by the element while it shows a preview override instead of the visitor's own decision (`<ctfl-preview-panel>`); it then sends no view, click or hover events.
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

  /** The decision currently shown (`override` while a preview override decides). */
  decision: ShownDecision | undefined;

  #sdk: ContentfulOptimization | undefined;
  #offRuntime: Unsubscribe | undefined;
  #stash = document.createDocumentFragment();
  #rendered = new Set<Node>();
  #renderedId: string | null = null;
  #mo: MutationObserver | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  #io: IntersectionObserver | undefined;
  #visible = false;
  #view: Dwell | undefined;
  #viewed = false;
  #hover: Dwell | undefined;
  #cleanup: Array<() => void> = [];
  /** The preview overrides the decision shown was made with: new ones decide again, also without `live`. */
  #overrides: OptimizationState['overrides'];
  /**
   * The entry id a server already rendered into this element (`data-ctfl-prerendered`), until the
   * first decision is shown: that markup is the variant, not the baseline.
   */
  #prerendered: string | undefined;
  /** Set while a variant's template has not been parsed yet: watches for the parser moving on. */
  #awaitTemplate: (() => void) | undefined;

  // Light DOM: the page's CSS styles the content, and the content stays where the author put it.
  protected override createRenderRoot() { return this; }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasAttribute('data-ctfl-prerendered')) {
      this.#prerendered = this.dataset.ctflEntryId ?? '';
      this.removeAttribute('data-ctfl-prerendered');
    }
    this.#mo = new MutationObserver(() => this.#render());
    this.#mo.observe(this, { childList: true });
    this.#offRuntime = onRuntime((sdk) => {
      this.#sdk = sdk;
      return sdk.subscribe(() => this.#update());
    });
    if (!this.decision) this.#update();
    if (!this.decision) this.#awaitDecision();
    else {
      // Re-connected (moved in the document): views are observed again.
      this.#render();
      this.#observeViews();
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
    this.#io = undefined;
    this.#visible = false;
    this.#awaitTemplate?.();
    for (const off of this.#cleanup.splice(0)) off();
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    // A different entry (also one set after connecting, as frameworks do) needs its own decision.
    const reset = !!this.decision && this.decision.baselineId !== (this.#entry()?.sys.id ?? this.entryId ?? '');
    if (reset) {
      this.#endView();
      this.#endHover();
      this.decision = undefined;
    }
    if (changed.has('timeout')) this.#timeoutMs(); // warns about an unusable value
    if (changed.has('entryId') || changed.has('entry') || !this.decision) this.#update();
    if (reset && !this.decision && this.isConnected) this.#awaitDecision();
  }

  /** Hidden (keeping its box) until a decision arrives or the anti-flicker timeout shows the baseline. */
  #awaitDecision(): void {
    this.style.visibility = 'hidden';
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      if (!this.#sdk) warnOnce(undefined, 'E034', __DEV__ ? 'no ContentfulOptimization runtime on this page; showing baselines. Add data-client-id="…" to the script tag, or call ContentfulOptimization.init().' : '');
      this.#update();
    }, this.#timeoutMs());
  }

  #timeoutMs(): number {
    const t = this.timeout;
    if (typeof t === 'number' && Number.isFinite(t) && t >= 0) return t;
    if (this.hasAttribute('timeout')) {
      const attr = `timeout="${this.getAttribute('timeout')}"`;
      warnOnce(this.#sdk, 'E037', __DEV__ ? `<ctfl-optimized-entry ${attr}> is not a number of ms; using ${DEFAULT_ANTI_FLICKER_TIMEOUT_MS}.` : attr);
    }
    return DEFAULT_ANTI_FLICKER_TIMEOUT_MS;
  }

  /** The `entry` property when it looks like a Contentful entry; anything else is ignored with a warning. */
  #entry(): ContentfulEntry | undefined {
    const e = this.entry as unknown;
    if (e === undefined || e === null) return undefined;
    const entry = e as ContentfulEntry;
    const fields = (entry as { fields?: unknown }).fields;
    const valid = typeof e === 'object' && !Array.isArray(e) &&
      typeof entry.sys?.id === 'string' && entry.sys.id !== '' &&
      (fields === undefined || (typeof fields === 'object' && fields !== null && !Array.isArray(fields))) &&
      (entry.fields?.nt_experiences === undefined || Array.isArray(entry.fields.nt_experiences));
    if (valid) return entry;
    warnOnce(this.#sdk, 'E036', __DEV__ ? '<ctfl-optimized-entry> ignored an entry that is not {sys: {id}, fields: {nt_experiences?: []}}.' : '');
    return undefined;
  }

  /** A decision exists once selections are known (handoff, defaults, cache or a response) or a request failed. */
  #update(): void {
    const sdk = this.#sdk;
    const entry = this.#entry();
    const baselineId = entry?.sys.id ?? this.entryId;
    if (!baselineId) {
      // Properties may still be set in this task (createElement, append, then .entry = …): decide
      // after the first update.
      if (this.decision || !this.hasUpdated) return;
      if (this.entry === undefined || this.entry === null) warnOnce(sdk, 'E030', __DEV__ ? '<ctfl-optimized-entry> needs an entry-id attribute or an entry property; showing its content as is.' : '');
      this.#show({ baselineId: '', entryId: '', variantIndex: 0, hidden: false, sticky: false });
      return;
    }
    const state = sdk?.state;
    const failed = state?.selectedOptimizations === undefined && state?.requestState.status === 'failed' ? state.requestState : undefined;
    const known = state && (state.selectedOptimizations !== undefined || failed);
    if (this.decision && !this.live && this.#overrides === state?.overrides) return;
    if (!known && !this.#timedOut) return;
    this.#overrides = state?.overrides;
    let next: EntryDecision;
    try {
      next = sdk && known ? sdk.resolveEntry(entry ?? baselineId) : { baselineId, entryId: baselineId, variantIndex: 0, hidden: false, sticky: false };
    } catch {
      next = { baselineId, entryId: baselineId, variantIndex: 0, hidden: false, sticky: false };
    }
    if (this.decision && sameDecision(this.decision, next)) return;
    if (failed && !this.decision) {
      const why = `${failed.reason}${failed.httpStatus ? ` ${failed.httpStatus}` : ''}`;
      warnOnce(sdk, 'E033', __DEV__ ? `the Experience API gave no decision (${why}); showing baselines. Check data-experience-url (api.experienceBaseUrl).` : why);
    }
    this.#show(next);
  }

  #show(decision: EntryDecision): void {
    clearTimeout(this.#timer);
    // A live change ends the view and hover of what was shown before (with its own metadata).
    if (this.decision) { this.#endView(); this.#endHover(); }
    this.decision = decision;
    this.#render(); // also sets visibility: hidden only while a variant template is still being parsed
    const d = this.decision;
    this.dataset.ctflEntryId = d.entryId;
    if (d.experienceId) this.dataset.ctflExperienceId = d.experienceId;
    else delete this.dataset.ctflExperienceId;
    this.dataset.ctflVariantIndex = String(d.variantIndex);
    this.toggleAttribute('data-ctfl-override', !!d.override);
    this.dispatchEvent(new CustomEvent<EntryResolvedDetail>('ctfl-entry-resolved', {
      detail: { ...d, timedOut: this.#timedOut && !d.experienceId }, bubbles: true, composed: true,
    }));
    this.#observeViews();
    if (this.#visible) this.#startView();
  }

  /** Puts the decided content in place. Idempotent: runs again for every parser insertion. */
  #render(): void {
    const d = this.decision;
    if (!d) return;
    this.#checkTemplates();
    let want: string | null = null; // null: baseline; '': nothing; id: that variant
    let template: HTMLTemplateElement | undefined;
    let waiting = false;
    if (d.hidden) want = '';
    else if (d.variantIndex > 0 && d.entryId !== d.baselineId) {
      template = this.#template(d.entryId);
      // A template is complete once the parser has added something after it (or is past us).
      // Markup a server rendered for this very variant needs no template: it is adopted as it
      // arrives, never hidden.
      if (this.#prerendered === d.entryId || (template && (template.nextSibling || this.#parsed()))) want = d.entryId;
      else if (!template && this.#parsed()) {
        warnOnce(this.#sdk, 'E031', __DEV__
          ? `<ctfl-optimized-entry entry-id="${d.baselineId}"> has no <template data-variant-id="${d.entryId}">; showing the baseline.`
          : `entry-id="${d.baselineId}" data-variant-id="${d.entryId}"`);
        // Keep the metadata (experience, variant index) but show the baseline content.
        this.decision = { ...d, entryId: d.baselineId };
        this.dataset.ctflEntryId = d.baselineId;
      } else {
        // The template (or the rest of it) may still be on its way from the parser: show nothing
        // (the baseline nodes the parser adds meanwhile leave the document too) until it is
        // complete or the parser moves on.
        template = undefined;
        want = '';
        waiting = true;
      }
    }
    if (waiting) this.#watchParser();
    else this.#awaitTemplate?.();
    this.style.visibility = waiting ? 'hidden' : '';
    if (this.#prerendered !== undefined && this.#adoptPrerendered(want ?? d.baselineId)) return;
    const baselineNodes = [...this.childNodes].filter((n) => !this.#rendered.has(n) && !isVariantTemplate(n));
    if (want === null) {
      if (this.#renderedId !== null) {
        for (const n of this.#rendered) n.parentNode?.removeChild(n);
        this.#rendered.clear();
        const firstTemplate = [...this.childNodes].find(isVariantTemplate) ?? null;
        // Server-rendered output keeps the baseline in a `data-ctfl-baseline` template.
        const serverBaseline = this.#stash.hasChildNodes() ? undefined : [...this.children].find((n): n is HTMLTemplateElement =>
          n instanceof HTMLTemplateElement && n.hasAttribute('data-ctfl-baseline') && n.dataset.variantId === d.baselineId);
        if (serverBaseline) this.#stash.append(document.importNode(serverBaseline.content, true));
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

  /**
   * Server-rendered output holds the variant's markup (and the baseline in a `data-ctfl-baseline`
   * template). When the decision is what the server rendered, that markup becomes this element's
   * rendered content as is — no DOM change, no hiding — including what the parser adds later.
   * Otherwise it is removed and the baseline comes from its template. Returns true when adopted.
   */
  #adoptPrerendered(shown: string): boolean {
    const pre = this.#prerendered!;
    if (pre === this.decision!.baselineId) {
      // The server rendered the baseline: its children are the baseline, as in a plain page.
      this.#prerendered = undefined;
      return false;
    }
    const server = [...this.childNodes].filter((n) => !isVariantTemplate(n) && !this.#rendered.has(n));
    if (shown === pre) {
      for (const n of server) this.#rendered.add(n);
      this.#renderedId = pre;
      if (this.#parsed()) this.#prerendered = undefined;
      return true;
    }
    for (const n of server) n.parentNode?.removeChild(n);
    for (const n of this.#rendered) n.parentNode?.removeChild(n);
    this.#rendered.clear();
    this.#renderedId = '';
    this.#prerendered = undefined;
    return false;
  }

  /**
   * While a variant template may still arrive, render again once the parser is past this element:
   * it then adds a sibling after it or after an ancestor (or the document finishes loading).
   */
  #watchParser(): void {
    if (this.#awaitTemplate) return;
    const mo = new MutationObserver(() => { if (this.#parsed()) this.#render(); });
    const doc = this.ownerDocument;
    for (let n: Node | null = this.parentNode; n && n !== doc; n = n.parentNode) mo.observe(n, { childList: true });
    const onLoaded = () => this.#render();
    doc.addEventListener('DOMContentLoaded', onLoaded);
    this.#awaitTemplate = () => {
      mo.disconnect();
      doc.removeEventListener('DOMContentLoaded', onLoaded);
      this.#awaitTemplate = undefined;
    };
  }

  /** A `<template>` child without data-variant-id is never shown: say so once. */
  #checkTemplates(): void {
    for (const n of this.children) {
      if (n instanceof HTMLTemplateElement && !n.hasAttribute('data-variant-id')) {
        const entry = `entry-id="${this.decision?.baselineId ?? ''}"`;
        warnOnce(this.#sdk, 'E035', __DEV__ ? `<ctfl-optimized-entry ${entry}> ignores a <template> without data-variant-id="…".` : entry);
        return;
      }
    }
  }

  #template(id: string): HTMLTemplateElement | undefined {
    const found: HTMLTemplateElement[] = [];
    for (const n of this.children) {
      if (n instanceof HTMLTemplateElement && n.dataset.variantId === id) found.push(n);
    }
    if (found.length > 1) {
      warnOnce(this.#sdk, 'E032', __DEV__ ? `<ctfl-optimized-entry> has more than one <template data-variant-id="${id}">; using the first.` : `data-variant-id="${id}"`);
    }
    return found[0];
  }

  /** True once the parser is past this element (so a missing template will not arrive). */
  #parsed(): boolean {
    if (this.ownerDocument.readyState !== 'loading') return true;
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
      this.#visible = e.isIntersecting && e.intersectionRatio >= VIEW_RATIO;
      if (this.#visible) this.#startView();
      else this.#endView();
    }, { threshold: [0, VIEW_RATIO] });
    this.#io.observe(this);
  }

  #startView(): void {
    // A preview override is not what this visitor sees: it is never tracked.
    if (this.#view || !this.decision?.baselineId || this.decision.override) return;
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
    if (this.noTrackHovers || this.#hover || !this.decision || this.decision.override) return;
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
    if (this.noTrackClicks || !this.decision || this.decision.override) return;
    const target = event.target as Element | null;
    const clickable = target?.closest?.(CLICKABLE);
    if (clickable && this.contains(clickable)) void this.#sdk?.trackClick(this.#payload());
  };

  #onPageHidden = () => { if (document.visibilityState === 'hidden') { this.#endView(); this.#endHover(); } };

  #listen(): void {
    const on = (t: EventTarget, type: string, fn: (event: Event) => void) => listen(this.#cleanup, t, type, fn);
    on(this, 'click', this.#onClick);
    on(this, 'mouseenter', this.#startHover);
    on(this, 'mouseleave', this.#endHover);
    on(document, 'visibilitychange', this.#onPageHidden);
    on(window, 'pagehide', () => { this.#endView(); this.#endHover(); });
  }
}

const isVariantTemplate = (n: Node) => n instanceof HTMLTemplateElement && n.hasAttribute('data-variant-id');

const sameDecision = (a: ShownDecision, b: ShownDecision) =>
  a.entryId === b.entryId && a.experienceId === b.experienceId && a.variantIndex === b.variantIndex && a.hidden === b.hidden && a.override === b.override;

/**
 * Once per code and subject. Production builds pass only the subject (README "Error codes" explains
 * the code). Before a runtime exists, the same format goes straight to the console.
 */
const warned = new Set<string>();
export function warnOnce(sdk: ContentfulOptimization | undefined, code: string, message: string): void {
  if (sdk) { sdk.log.warnOnce(code, message); return; }
  const key = code + message;
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(coded(code, message));
}

declare global {
  interface HTMLElementTagNameMap { 'ctfl-optimized-entry': OptimizedEntryElement }
  interface HTMLElementEventMap { 'ctfl-entry-resolved': CustomEvent<EntryResolvedDetail> }
}
