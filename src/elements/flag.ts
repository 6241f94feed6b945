/**
 * `<ctfl-flag key="hero-cta">`: a Custom Flag. With a boolean value and child content, it shows the
 * content when the flag is true and hides it when false; otherwise it shows the value as text.
 * Showing a flag emits a flag view (once per value shown).
 */
import { ReactiveElement } from '@lit/reactive-element';
import type { Unsubscribe } from '../core/store.js';
import type { ContentfulOptimization } from '../browser/optimization.js';
import { onRuntime } from '../browser/registry.js';

/**
 * A Custom Flag.
 *
 * @customElement ctfl-flag
 * @summary Shows a flag's value as text, or shows/hides its content for a boolean flag.
 * @slot - Optional content, shown while a boolean flag is true.
 * @attr {string} key - The flag key (the change's `key`).
 * @attr {string} fallback - Text shown when the visitor has no value for the flag.
 * @attr {boolean} no-track-views - Do not send flag views.
 * @attr {string} data-ctfl-flag-value - Set by the element: the value shown, as JSON.
 */
export class FlagElement extends ReactiveElement {
  static override properties = {
    key: { type: String },
    fallback: { type: String },
    noTrackViews: { type: Boolean, attribute: 'no-track-views' },
  };

  declare key: string | undefined;
  declare fallback: string | undefined;
  declare noTrackViews: boolean;

  #sdk: ContentfulOptimization | undefined;
  #off: Unsubscribe | undefined;
  #content: DocumentFragment | undefined;
  #tracked: string | undefined;

  protected override createRenderRoot() { return this; }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#off = onRuntime((sdk) => {
      this.#sdk = sdk;
      return sdk.states.changes.subscribe(() => this.requestUpdate());
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#off?.();
  }

  /** The flag's current value (`{value: X}` unwrapped), or undefined. */
  get value() {
    return this.key ? this.#sdk?.getFlag(this.key) : undefined;
  }

  protected override update(changed: Map<PropertyKey, unknown>): void {
    super.update(changed);
    if (!this.key) return;
    const value = this.value;
    const hasContent = this.#content !== undefined || this.childNodes.length > 0;
    if (typeof value === 'boolean' && hasContent) {
      // Boolean flag around content: keep the author's content and toggle it.
      if (!this.#content) {
        this.#content = document.createDocumentFragment();
        this.#content.append(...this.childNodes);
      }
      if (value) { if (!this.firstChild) this.append(this.#content.cloneNode(true)); }
      else this.replaceChildren();
    } else {
      const text = value === undefined || value === null
        ? this.fallback ?? ''
        : typeof value === 'object' ? JSON.stringify(value) : String(value);
      if (this.textContent !== text) this.textContent = text; // text only, never HTML
    }
    this.dataset.ctflFlagValue = value === undefined ? '' : JSON.stringify(value);
    const shown = JSON.stringify(value);
    if (value !== undefined && !this.noTrackViews && this.#tracked !== shown && this.#sdk) {
      this.#tracked = shown;
      void this.#sdk.trackFlagView({ componentId: this.key });
    }
  }
}

declare global {
  interface HTMLElementTagNameMap { 'ctfl-flag': FlagElement }
}
