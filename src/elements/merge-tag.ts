/**
 * `<ctfl-merge-tag path="traits.firstname" fallback="there">`: a profile value as text, never HTML.
 * Also takes an `nt_mergetag` entry (`entry` property) with `nt_mergetag_id` and `nt_fallback`.
 */
import { ReactiveElement } from '@lit/reactive-element';
import type { Unsubscribe } from '../core/store.js';
import { currentRuntime, onRuntime } from '../browser/registry.js';

interface MergeTagEntry { fields?: { nt_mergetag_id?: unknown; nt_fallback?: unknown } }

/**
 * A profile value as text.
 *
 * @customElement ctfl-merge-tag
 * @summary Shows a merge tag (a profile value) as text, or the fallback.
 * @attr {string} path - Profile path such as `traits.firstname` or `traits_firstname`.
 * @attr {string} fallback - Shown when the value is missing or not a string, number or boolean.
 */
export class MergeTagElement extends ReactiveElement {
  static override properties = {
    path: { type: String },
    fallback: { type: String },
    entry: { attribute: false },
  };

  declare path: string | undefined;
  declare fallback: string | undefined;
  declare entry: MergeTagEntry | undefined;

  #off: Unsubscribe | undefined;
  #value: string | undefined;
  #mo: MutationObserver | undefined;

  protected override createRenderRoot() { return this; }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#off = onRuntime((sdk) => sdk.states.profile.subscribe(() => this.requestUpdate()));
    // Text the parser adds after the first update (a server-rendered value or fallback inside the
    // tag) must not be appended to ours: put our value back.
    this.#mo = new MutationObserver(() => { if (this.#value !== undefined && this.textContent !== this.#value) this.textContent = this.#value; });
    this.#mo.observe(this, { childList: true, characterData: true, subtree: true });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#off?.();
    this.#mo?.disconnect();
  }

  protected override update(changed: Map<PropertyKey, unknown>): void {
    super.update(changed);
    const f = this.entry?.fields;
    const path = typeof f?.nt_mergetag_id === 'string' ? f.nt_mergetag_id : this.path;
    const fallback = typeof f?.nt_fallback === 'string' ? f.nt_fallback : this.fallback;
    const value = (path ? currentRuntime()?.getMergeTagValue(path, fallback) : undefined) ?? fallback ?? '';
    if (value === this.#value && this.textContent === value) return;
    this.#value = value;
    // textContent: a trait holding markup shows as text and never becomes elements.
    this.textContent = value;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'ctfl-merge-tag': MergeTagElement }
}
