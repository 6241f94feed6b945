/**
 * `<ctfl-merge-tag path="traits.firstname" fallback="there">`: a profile value as text, never HTML.
 * Also takes an `nt_mergetag` entry (`entry` property) with `nt_mergetag_id` and `nt_fallback`.
 *
 * The value renders in the element's own shadow root (a text node: it inherits the element's
 * styles). Without a value, the element's children show — the fallback a server or framework
 * rendered inside it — or, with none, the `fallback` text. The children are never touched.
 */
import { BaseElement, type PropertyValues } from './base.js';
import type { Unsubscribe } from '../core/store.js';
import { currentRuntime, onRuntime } from '../browser/registry.js';
import { hasContent, renderShadow } from './shadow-text.js';

interface MergeTagEntry { fields?: { nt_mergetag_id?: unknown; nt_fallback?: unknown } }

/**
 * A profile value as text.
 *
 * @customElement ctfl-merge-tag
 * @summary Shows a merge tag (a profile value) as text, or the fallback.
 * @slot - Fallback content, shown while the visitor has no value (the `fallback` text when empty).
 * @attr {string} path - Profile path such as `traits.firstname` or `traits_firstname`.
 * @attr {string} fallback - Shown when the value is missing or not a string, number or boolean.
 */
export class MergeTagElement extends BaseElement {
  static override properties = {
    path: { type: String },
    fallback: { type: String },
    entry: { attribute: false },
  };

  declare path: string | undefined;
  declare fallback: string | undefined;
  declare entry: MergeTagEntry | undefined;

  #off: Unsubscribe | undefined;
  #mo: MutationObserver | undefined;


  override connectedCallback(): void {
    super.connectedCallback();
    this.#off = onRuntime((sdk) => sdk.states.profile.subscribe(() => this.requestUpdate()));
    // Fallback content can arrive after the first update (the parser, a framework).
    this.#mo = new MutationObserver(() => this.requestUpdate());
    this.#mo.observe(this, { childList: true, characterData: true, subtree: true });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#off?.();
    this.#mo?.disconnect();
  }

  protected override update(changed: PropertyValues): void {
    super.update(changed);
    const f = this.entry?.fields;
    const path = typeof f?.nt_mergetag_id === 'string' ? f.nt_mergetag_id : this.path;
    const fallback = typeof f?.nt_fallback === 'string' ? f.nt_fallback : this.fallback;
    const value = path ? currentRuntime()?.getMergeTagValue(path) : undefined;
    // A text node: a trait holding markup shows as text and never becomes elements.
    renderShadow(this, value ?? (hasContent(this) ? null : fallback ?? ''));
  }
}

declare global {
  interface HTMLElementTagNameMap { 'ctfl-merge-tag': MergeTagElement }
}
