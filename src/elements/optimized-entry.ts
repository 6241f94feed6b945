/**
 * `<ctfl-optimized-entry entry-id="BASELINE_ID">`: shows the variant selected for this visitor.
 *
 * Children are the baseline; each variant is a `<template data-variant-id="VARIANT_ID">` child (or
 * any other child element with `data-variant-id`). Variant markup comes from the page author's
 * templates; API data is only ever compared with `data-variant-id`, never parsed.
 *
 * The element never moves, removes or rewrites a node it did not create, so a framework (React,
 * Vue, Svelte, lit) can keep inserting, removing, reordering and updating its children whatever
 * shows. What shows is chosen with a shadow root whose one `<slot>` is assigned by hand
 * (`slotAssignment: "manual"`): the baseline children, or the variant — the template itself when a
 * framework put its children on the template element (JSX, Vue render functions: they stay the
 * framework's, events and updates included), a variant element as it is, or a clone of a parsed
 * template's content that the element inserts as its own first children. Everything that shows is
 * in the light DOM, so page CSS styles it; what does not show stays where it is, unassigned, and is
 * not rendered. Without variants to hide, no shadow root is attached at all.
 *
 * No flicker: when a decision is already known (server handoff, defaults or cached selections) it is
 * applied as the element upgrades, and baseline nodes the parser adds later are never assigned. While
 * the first decision is pending the element is `visibility: hidden` (it keeps its box: no layout
 * shift) for at most `timeout` ms, then the baseline shows.
 *
 * `headless`: the element decides and tracks, and renders nothing of its own — the app shows what
 * `decision` (and the `ctfl-decision` event) says.
 */
import { BaseElement, sheet, type PropertyValues } from './base.js';
import { EntryTracker } from '../browser/entry-tracker.js';
import { loadChunk } from '../browser/chunks.js';
import { parts } from '../browser/parts.js';
import type { ContentfulEntry, EntryDecision } from '../core/resolve.js';
import type { Unsubscribe } from '../core/store.js';
import type { ContentfulOptimization } from '../browser/optimization.js';
import type { OptimizationState, ShownDecision } from '../browser/types.js';
import { listen } from '../browser/listen.js';
import { routeChange } from '../browser/route-state.js';
import { onRuntime } from '../browser/registry.js';
import { consoleLog, type MessageCode } from '../core/log.js';

/**
 * 2000 ms: long enough for a first Experience response on a slow mobile connection (the API answers
 * in ~100 ms; a 3G round trip adds 300–600 ms twice), short enough that a visitor whose request
 * stalls sees content well inside the 2.5 s Largest Contentful Paint "good" threshold. After it the
 * baseline stays for this page view (unless `live`), so what the visitor saw is what is tracked.
 */
export const DEFAULT_ANTI_FLICKER_TIMEOUT_MS = 2000;
const CLICKABLE = 'a,button,input[type=submit],input[type=button],summary,[role=button],[role=link],[data-ctfl-clickable]';

/**
 * A variant shown as the author's own node (a template holding its children, or a variant element)
 * is laid out as if its children were the entry's own: the node itself has no box. `!important`
 * also wins over `hidden` and over page rules (important rules of a shadow tree come last).
 */
const STYLES = '::slotted(template),::slotted([data-variant-id]){display:contents!important}';
let stylesheet: CSSStyleSheet | undefined;
const MANUAL_SLOTS = typeof HTMLSlotElement === 'function' && 'assign' in HTMLSlotElement.prototype;


export interface EntryResolvedDetail extends ShownDecision {
  /** `true` when the baseline was shown because no decision arrived within the timeout. */
  readonly timedOut: boolean;
}

/**
 * Shows the variant of a Contentful entry selected for this visitor.
 *
 * @customElement ctfl-optimized-entry
 * @summary Shows the visitor's variant without flicker, leaving the children a framework owns in place.
 * @slot - The baseline content, plus one `<template data-variant-id="…">` (or other element with `data-variant-id`) per variant.
 * @fires {CustomEvent<EntryResolvedDetail>} ctfl-decision - The decision (baseline, variant or empty), whenever it changes, also in `headless` mode; `timedOut` when the anti-flicker timeout decided.
 * @fires {CustomEvent<EntryResolvedDetail>} ctfl-entry-resolved - The same, under its earlier name.
 * @attr {string} entry-id - The baseline entry id.
 * @attr {boolean} live - Follow later profile updates instead of keeping the first decision shown.
 * @attr {boolean} headless - Decide and track only: render nothing, the app shows what `decision` says.
 * @attr {number} timeout - Anti-flicker timeout in ms (default 2000).
 * @attr {boolean} no-track-views - Do not send view events.
 * @attr {boolean} no-track-clicks - Do not send click events.
 * @attr {boolean} no-track-hovers - Do not send hover events.
 * @attr {string} data-ctfl-entry-id - Set by the element: the entry id shown (`""` for an empty variant).
 * @attr {string} data-ctfl-experience-id - Set by the element: the experience that decided, if any.
 * @attr {string} data-ctfl-variant-index - Set by the element: 0 for the baseline.
 * @attr {boolean} data-ctfl-override - Set by the element while it shows a preview override instead of the visitor's own decision (`<ctfl-preview-panel>`); it then sends no view, click or hover events.
 */
export class OptimizedEntryElement extends BaseElement {
  static override properties = {
    entryId: { type: String, attribute: 'entry-id' },
    entry: { attribute: false },
    live: { type: Boolean },
    headless: { type: Boolean },
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
  /** Decide and track only; the app renders what `decision` says. */
  declare headless: boolean;
  /** Anti-flicker timeout in ms. */
  declare timeout: number | undefined;
  declare noTrackViews: boolean;
  declare noTrackClicks: boolean;
  declare noTrackHovers: boolean;

  /** The decision currently shown (`override` while a preview override decides). */
  decision: ShownDecision | undefined;

  #sdk: ContentfulOptimization | undefined;
  #offRuntime: Unsubscribe | undefined;
  #slot: HTMLSlotElement | undefined;
  /** Nodes this element inserted: the clone of a parsed template's content it shows. */
  #rendered: Node[] = [];
  /** The template `#rendered` was cloned from. */
  #renderedFrom: HTMLTemplateElement | undefined;
  #mo: MutationObserver | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  /** Views and hovers (entry-tracker.ts), once it is here. */
  #tracker: EntryTracker | undefined;
  #cleanup: Array<() => void> = [];
  /** The preview overrides the decision shown was made with: new ones decide again, also without `live`. */
  #overrides: OptimizationState['overrides'];
  /**
   * The entry id the children stand for: the baseline, or the variant a server rendered into this
   * element (`data-ctfl-prerendered`: then the baseline is in a `data-ctfl-baseline` template).
   */
  #childrenAre: string | undefined;
  /** The route change whose answer this element waits for, if any. */
  #routeWait: Promise<void> | undefined;
  /** Set while a variant's template has not been parsed yet: watches for the parser moving on. */
  #awaitTemplate: (() => void) | undefined;

  // No render root of lit's: the shadow root (manual slot assignment) is attached once something must be hidden.

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasAttribute('data-ctfl-prerendered')) {
      this.#childrenAre = this.dataset.ctflEntryId ?? '';
      this.removeAttribute('data-ctfl-prerendered');
    }
    // Its children, and what a framework puts into a variant template's own children (JSX, render
    // functions) — which may come after the template itself: a data-dependent or Suspense branch.
    this.#mo = new MutationObserver((records) => {
      if (records.some((r) => r.target === this || (r.target.parentNode === this && r.target instanceof HTMLTemplateElement))) this.#render();
    });
    this.#mo.observe(this, { childList: true, subtree: true });
    this.#offRuntime = onRuntime((sdk) => {
      this.#sdk = sdk;
      const off = OptimizedEntryElement.#join(sdk, this);
      // A runtime that comes after the element (or after the one before was destroyed) may know
      // the selections already: no state change will come to say so.
      if (this.hasUpdated) this.#update();
      return off;
    });
    if (!this.decision) this.#update();
    if (!this.decision) this.#awaitDecision();
    else this.#render(); // re-connected (moved in the document): #listen() observes its views again
    this.#listen();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#offRuntime?.();
    this.#mo?.disconnect();
    clearTimeout(this.#timer);
    this.#tracker?.disconnect();
    this.#awaitTemplate?.();
    for (const off of this.#cleanup) off();
    // A new list: a tracker that arrives for this connection after it ended does not start.
    this.#cleanup = [];
  }

  /**
   * One state subscription per runtime for all its entries, which are asked to decide again only when
   * what they show can change: the selected optimizations, the preview overrides or the request state.
   * Views, clicks and other events change the state too, without costing each entry a re-render.
   */
  static #entries = new WeakMap<ContentfulOptimization, { entries: Set<OptimizedEntryElement>; off: Unsubscribe }>();

  static #join(sdk: ContentfulOptimization, el: OptimizedEntryElement): Unsubscribe {
    let hub = OptimizedEntryElement.#entries.get(sdk);
    if (!hub) {
      const entries = new Set<OptimizedEntryElement>();
      let last = sdk.state;
      const off = sdk.subscribe((s) => {
        if (s.selectedOptimizations === last.selectedOptimizations && s.overrides === last.overrides && s.requestState === last.requestState) return;
        last = s;
        for (const e of [...entries]) e.#update();
      });
      hub = { entries, off };
      OptimizedEntryElement.#entries.set(sdk, hub);
    }
    const h = hub;
    h.entries.add(el);
    return () => {
      h.entries.delete(el);
      if (h.entries.size) return;
      h.off();
      OptimizedEntryElement.#entries.delete(sdk);
    };
  }

  protected override updated(changed: PropertyValues): void {
    // A different entry (also one set after connecting, as frameworks do) needs its own decision.
    const reset = !!this.decision && this.decision.baselineId !== (this.#entry()?.sys.id ?? this.entryId ?? '');
    if (reset) {
      // An element a framework reuses for another entry starts over: its own timeout, first view
      // (a sticky one pins the variant) and overrides.
      this.#tracker?.end();
      this.#unclone();
      this.decision = undefined;
      this.#childrenAre = undefined;
      this.#timedOut = false;
      if (this.#tracker) this.#tracker.viewed = false;
      this.#overrides = undefined;
    }
    if (changed.has('timeout')) this.#timeoutMs(); // warns about an unusable value
    if (changed.has('entryId') || changed.has('entry') || !this.decision) this.#update();
    if (changed.has('headless')) this.#render();
    if (reset && !this.decision && this.isConnected) this.#awaitDecision();
  }

  /** Hidden (keeping its box) until a decision arrives or the anti-flicker timeout shows the baseline. */
  #awaitDecision(): void {
    if (!this.headless) this.style.visibility = 'hidden';
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      if (!this.#sdk) warnOnce(undefined, 'E034');
      this.#update();
    }, this.#timeoutMs());
  }

  #timeoutMs(): number {
    const t = this.timeout;
    if (typeof t === 'number' && Number.isFinite(t) && t >= 0) return t;
    if (this.hasAttribute('timeout')) {
      warnOnce(this.#sdk, 'E037', `timeout="${this.getAttribute('timeout')}"`);
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
    warnOnce(this.#sdk, 'E036');
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
      if (this.entry === undefined || this.entry === null) warnOnce(sdk, 'E030');
      this.#show({ baselineId: '', entryId: '', variantIndex: 0, hidden: false, sticky: false });
      return;
    }
    const state = sdk?.state;
    if (this.decision && !this.live && this.#overrides === state?.overrides) return;
    // Rendered for a route whose page event is on its way: decide from its answer.
    const route = !this.decision && !this.#timedOut && sdk ? routeChange(sdk) : undefined;
    if (route) {
      if (this.#routeWait !== route) void (this.#routeWait = route).then(() => this.#update());
      return;
    }
    const failed = state?.selectedOptimizations === undefined && state?.requestState.status === 'failed' ? state.requestState : undefined;
    const known = state && (state.selectedOptimizations !== undefined || failed);
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
      warnOnce(sdk, 'E033', `${failed.reason}${failed.httpStatus ? ` ${failed.httpStatus}` : ''}`);
    }
    this.#show(next);
  }

  #show(decision: EntryDecision): void {
    clearTimeout(this.#timer);
    // A live change ends the view and hover of what was shown before (with its own metadata).
    if (this.decision) this.#tracker?.end();
    this.decision = decision;
    this.#render(); // also sets visibility: hidden only while a variant template is still being parsed
    const d = this.decision;
    this.dataset.ctflEntryId = d.entryId;
    if (d.experienceId) this.dataset.ctflExperienceId = d.experienceId;
    else delete this.dataset.ctflExperienceId;
    this.dataset.ctflVariantIndex = String(d.variantIndex);
    this.toggleAttribute('data-ctfl-override', !!d.override);
    const init = { detail: { ...d, timedOut: this.#timedOut && !d.experienceId }, bubbles: true, composed: true };
    this.dispatchEvent(new CustomEvent<EntryResolvedDetail>('ctfl-decision', init));
    this.dispatchEvent(new CustomEvent<EntryResolvedDetail>('ctfl-entry-resolved', init));
    this.#tracker?.shown();
  }

  /**
   * Shows the decided content: assigns it to the slot. Idempotent: runs again for every change of
   * the children (a framework's or the parser's), and only ever inserts or removes its own clone.
   */
  #render(): void {
    let d = this.decision;
    if (!d) return;
    if (this.headless) {
      // Headless after a shadow root was attached (the attribute came late): the app's children show.
      this.#unclone();
      if (this.#slot) this.#assign(this.#children(true), false);
      return;
    }
    this.#checkTemplates();
    const own = this.#childrenAre ?? d.baselineId;
    // Without manual slot assignment (Chrome before 86, Firefox before 92, Safari before 16.4) nothing
    // can be hidden: the children show, reported as the baseline (as a missing variant would be).
    if (!MANUAL_SLOTS && (d.hidden || d.entryId !== own)) d = this.decision = { ...d, entryId: own, hidden: false };
    let show: Node[] | null = null; // null: the children (the baseline, or what a server rendered)
    let waiting = false;
    if (d.hidden) show = [];
    else if (d.entryId !== own) {
      const source = this.#variant(d.entryId);
      if (source instanceof HTMLTemplateElement && !source.hasChildNodes()) {
        // A parsed template is complete once the parser has added something after it (or is past us).
        if (source.nextSibling || this.#parsed()) show = this.#clone(source);
        else waiting = true;
      } else if (source) show = [source]; // the framework's own template or variant element, as it is
      else if (!this.#parsed()) waiting = true; // the template may still be on its way from the parser
      else if (d.entryId === d.baselineId) show = []; // server-rendered without its baseline template
      else {
        warnOnce(this.#sdk, 'E031', `entry-id="${d.baselineId}" data-variant-id="${d.entryId}"`);
        // Keep the metadata (experience, variant index) but show the baseline content.
        this.decision = { ...d, entryId: d.baselineId };
        this.dataset.ctflEntryId = d.baselineId;
        this.#render();
        return;
      }
    }
    if (waiting) {
      show = [];
      this.#watchParser();
    } else this.#awaitTemplate?.();
    this.style.visibility = waiting ? 'hidden' : '';
    if (show !== this.#rendered) this.#unclone();
    this.#assign(show ?? this.#children(), show === null);
  }

  /** The baseline children (or a server's variant markup): not templates, variants or this element's clone. */
  #children(variants = false): Node[] {
    return [...this.childNodes].filter((n) => !(n instanceof HTMLTemplateElement) && (variants || !(n instanceof Element && n.hasAttribute('data-variant-id'))) && !this.#rendered.includes(n));
  }

  /**
   * Assigns `nodes` to the slot. While the children show as they are and nothing needs hiding, no
   * shadow root is attached (no variant elements: templates are not rendered anyway).
   */
  #assign(nodes: Node[], children: boolean): void {
    if (!this.#slot) {
      if (children && !this.querySelector(':scope > [data-variant-id]:not(template)')) return;
      if (!MANUAL_SLOTS) return;
      const root = this.shadowRoot ?? this.attachShadow({ mode: 'open', slotAssignment: 'manual' });
      stylesheet ??= sheet(STYLES);
      if (stylesheet) root.adoptedStyleSheets = [stylesheet];
      this.#slot = this.ownerDocument.createElement('slot');
      root.append(this.#slot);
    }
    // Only elements and text can be slotted (comments, e.g. a framework's markers, render nothing anyway).
    const slottable = nodes.filter((n): n is Element | Text => n instanceof Element || n instanceof Text);
    const now = this.#slot.assignedNodes();
    if (now.length !== slottable.length || slottable.some((n, i) => n !== now[i])) this.#slot.assign(...slottable);
  }

  /** This element's own clone of a parsed template's content, inserted as its first children. */
  #clone(template: HTMLTemplateElement): Node[] {
    if (this.#renderedFrom === template && this.#rendered.every((n) => n.parentNode === this)) return this.#rendered;
    this.#unclone();
    const content = this.ownerDocument.importNode(template.content, true);
    this.#rendered = [...content.childNodes];
    this.#renderedFrom = template;
    this.insertBefore(content, this.firstChild);
    this.#mo?.takeRecords(); // our own insertion needs no second render
    return this.#rendered;
  }

  #unclone(): void {
    if (!this.#rendered.length) return;
    for (const n of this.#rendered) if (n.parentNode === this) this.removeChild(n);
    this.#rendered = [];
    this.#renderedFrom = undefined;
    this.#mo?.takeRecords();
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
        warnOnce(this.#sdk, 'E035', `entry-id="${this.decision?.baselineId ?? ''}"`);
        return;
      }
    }
  }

  /** The child that holds variant `id`: a `<template>` or another element with that data-variant-id. */
  #variant(id: string): Element | undefined {
    const found: Element[] = [];
    for (const n of this.children) if (n.getAttribute('data-variant-id') === id) found.push(n);
    if (found.length > 1) {
      warnOnce(this.#sdk, 'E032', `data-variant-id="${id}"`);
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

  #onClick = (event: Event) => {
    if (this.noTrackClicks || !this.decision || this.decision.override) return;
    const target = event.target as Element | null;
    const clickable = target?.closest?.(CLICKABLE);
    if (clickable && this.contains(clickable)) void this.#sdk?.trackClick(this.#payload());
  };

  #listen(): void {
    listen(this.#cleanup, this, 'click', this.#onClick);
    const cleanup = this.#cleanup;
    const start = (Tracker: typeof EntryTracker) => {
      // Disconnected meanwhile, or connected again with a tracker already: nothing to start.
      if (cleanup !== this.#cleanup || !this.isConnected) return;
      const t = (this.#tracker ??= new Tracker(this, () => this.#sdk, () => this.#payload()));
      t.listen(cleanup);
      if (this.decision) t.shown();
    };
    // The script-tag bundle has the tracker in its deferred chunk.
    if (!__UMD__) start(EntryTracker);
    else if (parts.EntryTracker) start(parts.EntryTracker);
    else void loadChunk('deferred').then(() => parts.EntryTracker && start(parts.EntryTracker), () => {});
  }
}

const isVariantTemplate = (n: Node) => n instanceof HTMLTemplateElement && n.hasAttribute('data-variant-id');

const sameDecision = (a: ShownDecision, b: ShownDecision) =>
  a.entryId === b.entryId && a.experienceId === b.experienceId && a.variantIndex === b.variantIndex && a.hidden === b.hidden && a.override === b.override;

/** Once per code and detail, through the runtime's logger, or the console's before a runtime exists. */
const warnOnce = (sdk: ContentfulOptimization | undefined, code: MessageCode, detail?: string): void =>
  (sdk?._log ?? consoleLog()).warnOnce(code, detail);

declare global {
  interface HTMLElementTagNameMap { 'ctfl-optimized-entry': OptimizedEntryElement }
  interface HTMLElementEventMap { 'ctfl-entry-resolved': CustomEvent<EntryResolvedDetail>; 'ctfl-decision': CustomEvent<EntryResolvedDetail> }
}
