/**
 * The elements' classes, and `defineElements()` which defines them all once (a second bundle on the
 * page must not throw). Every name here is in the README's "Exports" table.
 */
import { ConsentBridgeElement } from './consent-bridge.js';
import { FlagElement } from './flag.js';
import { MergeTagElement } from './merge-tag.js';
import { OptimizedEntryElement } from './optimized-entry.js';
import { defineContentElements, defineOnce } from './define.js';

export { ConsentBridgeElement, FlagElement, MergeTagElement, OptimizedEntryElement };
export type { ConsentChangeDetail } from './consent-bridge.js';
export type { EntryResolvedDetail } from './optimized-entry.js';
// The preview panel is loaded on demand (`optimization.preview()`), never with the other elements.
export type { PreviewPanelElement } from './preview-panel.js';

/** Defines `<ctfl-optimized-entry>`, `<ctfl-merge-tag>`, `<ctfl-flag>` and `<ctfl-consent-bridge>` (each once) in `registry`. */
export function defineElements(registry: CustomElementRegistry = customElements): void {
  defineContentElements(registry);
  defineOnce('ctfl-consent-bridge', ConsentBridgeElement, registry);
}
