/**
 * Views and hovers of a `<ctfl-optimized-entry>`: a view once at least 10 % of it has been on screen
 * for a second (and its end, with the time seen), a hover once the pointer stayed a second. Not
 * needed for the first decision: the script-tag bundle loads this with its deferred chunk, a moment
 * after the first request (a view or hover needs a second on screen, so none is missed; a pointer
 * already over the entry then starts its hover).
 */
import { uuid } from '../core/events.js';
import type { ContentfulOptimization } from './optimization.js';
import type { ShownDecision } from './types.js';
import { listen } from './listen.js';

const VIEW_DWELL_MS = 1000;
const VIEW_RATIO = 0.1;
const HOVER_DWELL_MS = 1000;

interface Dwell { id: string; started: number; sent: boolean; timer?: ReturnType<typeof setTimeout> }

/** What the tracker reads of its entry. */
export interface TrackedEntry extends HTMLElement {
  readonly decision: ShownDecision | undefined;
  readonly noTrackViews: boolean;
  readonly noTrackHovers: boolean;
}

type Payload = () => { componentType: 'Entry'; componentId: string; experienceId?: string; variantIndex: number };

export class EntryTracker {
  #el: TrackedEntry;
  #sdk: () => ContentfulOptimization | undefined;
  #payload: Payload;
  #io: IntersectionObserver | undefined;
  #visible = false;
  #view: Dwell | undefined;
  #hover: Dwell | undefined;
  /** A first view was sent (a sticky one pins the variant): later ones are not sticky. */
  viewed = false;

  constructor(el: TrackedEntry, sdk: () => ContentfulOptimization | undefined, payload: Payload) {
    this.#el = el;
    this.#sdk = sdk;
    this.#payload = payload;
  }

  /** Listens for hovers and the page going away, until `cleanup` runs; a pointer already over the entry starts a hover. */
  listen(cleanup: Array<() => void>): void {
    const el = this.#el;
    listen(cleanup, el, 'mouseenter', this.#startHover);
    listen(cleanup, el, 'mouseleave', this.#endHover);
    listen(cleanup, document, 'visibilitychange', () => { if (document.visibilityState === 'hidden') this.end(); });
    listen(cleanup, window, 'pagehide', () => this.end());
    if (el.matches(':hover')) this.#startHover();
  }

  /** A decision is shown: its views are observed (and one starts at once when the entry is on screen). */
  shown(): void {
    const el = this.#el;
    if (el.noTrackViews || typeof IntersectionObserver !== 'function') return;
    if (!this.#io) {
      this.#io = new IntersectionObserver((entries) => {
        const e = entries[entries.length - 1]!;
        this.#visible = e.isIntersecting && e.intersectionRatio >= VIEW_RATIO;
        if (this.#visible) this.#startView();
        else this.#endView();
      }, { threshold: [0, VIEW_RATIO] });
      this.#io.observe(el);
    }
    if (this.#visible) this.#startView();
  }

  /** Ends the view and hover of what was shown, with its own metadata. */
  end(): void {
    this.#endView();
    this.#endHover();
  }

  /** The entry left the document. */
  disconnect(): void {
    this.end();
    this.#io?.disconnect();
    this.#io = undefined;
    this.#visible = false;
  }

  #startView(): void {
    const d = this.#el.decision;
    // A preview override is not what this visitor sees: it is never tracked.
    if (this.#view || !d?.baselineId || d.override) return;
    const view = { id: uuid(), started: performance.now(), sent: false } as Dwell;
    view.timer = setTimeout(() => {
      view.sent = true;
      const sticky = !this.viewed && this.#el.decision!.sticky;
      this.viewed = true;
      void this.#sdk()?.trackView({ ...this.#payload(), viewId: view.id, viewDurationMs: performance.now() - view.started, sticky });
    }, VIEW_DWELL_MS);
    this.#view = view;
  }

  #endView(): void {
    const view = this.#view;
    if (!view) return;
    this.#view = undefined;
    clearTimeout(view.timer);
    if (view.sent) void this.#sdk()?.trackView({ ...this.#payload(), viewId: view.id, viewDurationMs: performance.now() - view.started, sticky: false });
  }

  #startHover = () => {
    const d = this.#el.decision;
    if (this.#el.noTrackHovers || this.#hover || !d || d.override) return;
    const hover = { id: uuid(), started: performance.now(), sent: false } as Dwell;
    hover.timer = setTimeout(() => {
      hover.sent = true;
      void this.#sdk()?.trackHover({ ...this.#payload(), hoverId: hover.id, hoverDurationMs: performance.now() - hover.started });
    }, HOVER_DWELL_MS);
    this.#hover = hover;
  };

  #endHover = () => {
    const hover = this.#hover;
    if (!hover) return;
    this.#hover = undefined;
    clearTimeout(hover.timer);
    if (hover.sent) void this.#sdk()?.trackHover({ ...this.#payload(), hoverId: hover.id, hoverDurationMs: performance.now() - hover.started });
  };
}
