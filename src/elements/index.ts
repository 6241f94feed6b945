/** Defines the custom elements once (a second bundle on the page must not throw). */
import { ConsentBridgeElement } from './consent-bridge.js';
import { FlagElement } from './flag.js';
import { MergeTagElement } from './merge-tag.js';
import { OptimizedEntryElement } from './optimized-entry.js';

export { ConsentBridgeElement, FlagElement, MergeTagElement, OptimizedEntryElement };
export { CONSENT_BRIDGE_DEFAULTS, DEFAULT_CMP_TIMEOUT_MS } from './consent-bridge.js';
export type { ConsentChangeDetail } from './consent-bridge.js';
export { DEFAULT_ANTI_FLICKER_TIMEOUT_MS } from './optimized-entry.js';
export type { EntryResolvedDetail } from './optimized-entry.js';

export function defineElements(registry: CustomElementRegistry = customElements): void {
  const define = (name: string, ctor: CustomElementConstructor) => { if (!registry.get(name)) registry.define(name, ctor); };
  define('ctfl-optimized-entry', OptimizedEntryElement);
  define('ctfl-merge-tag', MergeTagElement);
  define('ctfl-flag', FlagElement);
  define('ctfl-consent-bridge', ConsentBridgeElement);
}
