/** Defines the content elements once (a second bundle on the page must not throw). */
import { FlagElement } from './flag.js';
import { MergeTagElement } from './merge-tag.js';
import { OptimizedEntryElement } from './optimized-entry.js';

export function defineOnce(name: string, ctor: CustomElementConstructor, registry: CustomElementRegistry = customElements): void {
  if (!registry.get(name)) registry.define(name, ctor);
}

/** `<ctfl-optimized-entry>`, `<ctfl-merge-tag>` and `<ctfl-flag>`: what the script-tag bundle defines at once. */
export function defineContentElements(registry: CustomElementRegistry = customElements): void {
  defineOnce('ctfl-optimized-entry', OptimizedEntryElement, registry);
  defineOnce('ctfl-merge-tag', MergeTagElement, registry);
  defineOnce('ctfl-flag', FlagElement, registry);
}
