/**
 * `<ctfl-flag key="hero-cta">`: a Custom Flag. With a boolean value and child content, it shows the
 * content when the flag is true and hides it when false; otherwise it shows the value as text.
 * Showing a flag emits a flag view (once per value shown).
 *
 * The children stay the page's (or its framework's): the element renders into its own shadow root —
 * a `<slot>` for the content, or a text node for the value (text only, never HTML; it inherits the
 * element's styles) — and never moves, removes or rewrites a child.
 */
import { BaseElement, type PropertyValues } from './base.js';
import type { Unsubscribe } from '../core/store.js';
import type { ContentfulOptimization } from '../browser/optimization.js';
import { onRuntime } from '../browser/registry.js';
import { getFlag } from '../core/resolve.js';
import { hasContent, renderShadow } from './shadow-text.js';

/**
 * A Custom Flag.
 *
 * @customElement ctfl-flag
 * @summary Shows a flag's value as text, or shows/hides its content for a boolean flag.
 * @slot - Optional content, shown while a boolean flag is true.
 * @attr {string} key - The flag key (the change's `key`).
 * @attr {string} flag-key - The same, for frameworks that keep `key` for themselves (React, Vue).
 * @attr {string} fallback - Text shown when the visitor has no value for the flag.
 * @attr {boolean} no-track-views - Do not send flag views.
 * @attr {string} data-ctfl-flag-value - Set by the element: the value shown, as JSON.
 * @attr {boolean} data-ctfl-override - Set by the element while it shows a preview override instead of the visitor's own value (`<ctfl-preview-panel>`); it then sends no flag view.
 */
export class FlagElement extends BaseElement {
  static override properties = {
    key: { type: String },
    flagKey: { type: String, attribute: 'flag-key' },
    fallback: { type: String },
    noTrackViews: { type: Boolean, attribute: 'no-track-views' },
  };

  declare key: string | undefined;
  /** `key` under a name React and Vue pass on (they keep `key` for their own lists). */
  declare flagKey: string | undefined;
  declare fallback: string | undefined;
  declare noTrackViews: boolean;

  #sdk: ContentfulOptimization | undefined;
  #off: Unsubscribe | undefined;
  #mo: MutationObserver | undefined;
  #tracked: string | undefined;


  override connectedCallback(): void {
    super.connectedCallback();
    // Whether there is content to show can change as the parser or a framework adds children.
    this.#mo = new MutationObserver(() => this.requestUpdate());
    this.#mo.observe(this, { childList: true, characterData: true, subtree: true });
    this.#off = onRuntime((sdk) => {
      this.#sdk = sdk;
      // Its value follows the changes and the preview overrides (not every state change: showing a
      // flag records a flag view, which is one).
      const offChanges = sdk.states.changes.subscribe(() => this.requestUpdate());
      const offOverrides = sdk.states.overrides.subscribe(() => this.requestUpdate());
      return () => { offChanges(); offOverrides(); };
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#ro?.disconnect();
    this.#ro = undefined;
    this.#off?.();
    this.#mo?.disconnect();
  }

  /** The flag's current value (`{value: X}` unwrapped), or undefined. */
  get value() {
    const key = this.#key();
    return key ? this.#sdk?.getFlag(key) : undefined;
  }

  #key() { return this.flagKey || this.key; }

  protected override update(changed: PropertyValues): void {
    super.update(changed);
    const key = this.#key();
    if (!key) return;
    const value = this.value;
    const content = hasContent(this);
    // Boolean flag around content: the content shows while the flag is true. Without a value (or
    // with a non-boolean one) the content stays out and the value or fallback shows as text.
    renderShadow(this, value === true && content ? null
      : typeof value === 'boolean' && content ? ''
        : value === undefined || value === null ? this.fallback ?? ''
          : typeof value === 'object' ? JSON.stringify(value) : String(value));
    this.dataset.ctflFlagValue = value === undefined ? '' : JSON.stringify(value);
    const shown = JSON.stringify(value);
    // A preview override is not this visitor's value: marked, and never tracked.
    const state = this.#sdk?.state;
    const override = !!state?.overrides && shown !== JSON.stringify(getFlag(key, state.changes)); // by value: objects too
    this.toggleAttribute('data-ctfl-override', override);
    if (value !== undefined && !override && !this.noTrackViews && this.#tracked !== shown && this.#sdk) this.#trackWhenShown(key, shown);
  }

  #ro: ResizeObserver | undefined;

  /**
   * A flag view is sent once the flag is rendered: one in an entry's baseline while the variant
   * shows (or in a branch not shown) stays connected but has no box, and was never seen. It gets a
   * box — a ResizeObserver notices — when its branch shows.
   */
  #trackWhenShown(key: string, shown: string): void {
    const rendered = () => typeof this.checkVisibility !== 'function' || this.checkVisibility();
    const send = () => {
      // In an entry that shows a preview override: a branch the visitor may not see.
      if (this.#tracked === shown || !this.#sdk || !rendered() || this.closest('[data-ctfl-override]')) return false;
      this.#tracked = shown;
      void this.#sdk.trackFlagView({ componentId: key });
      return true;
    };
    this.#ro?.disconnect();
    this.#ro = undefined;
    if (send() || typeof ResizeObserver !== 'function') return;
    this.#ro = new ResizeObserver(() => {
      if (this.#key() !== key || JSON.stringify(this.value) !== shown) return; // a later value tracks itself
      if (send()) { this.#ro?.disconnect(); this.#ro = undefined; }
    });
    this.#ro.observe(this);
  }
}

declare global {
  interface HTMLElementTagNameMap { 'ctfl-flag': FlagElement }
}
