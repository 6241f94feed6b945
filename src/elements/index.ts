/** The elements, and `defineElements()` which defines them all once (a second bundle on the page must not throw). */
import { ConsentBridgeElement } from './consent-bridge.js';
import { FlagElement } from './flag.js';
import { MergeTagElement } from './merge-tag.js';
import { OptimizedEntryElement } from './optimized-entry.js';
import { defineContentElements, defineOnce } from './define.js';

export { ConsentBridgeElement, FlagElement, MergeTagElement, OptimizedEntryElement };
export { CONSENT_BRIDGE_DEFAULTS, DEFAULT_CMP_TIMEOUT_MS } from './consent-bridge.js';
export type { ConsentChangeDetail } from './consent-bridge.js';
export { DEFAULT_ANTI_FLICKER_TIMEOUT_MS } from './optimized-entry.js';
export type { EntryResolvedDetail } from './optimized-entry.js';
// The preview panel is loaded on demand (`optimization.preview()`), never with the other elements.
export type { PreviewPanelElement } from './preview-panel.js';

export function defineElements(registry: CustomElementRegistry = customElements): void {
  defineContentElements(registry);
  defineOnce('ctfl-consent-bridge', ConsentBridgeElement, registry);
}
