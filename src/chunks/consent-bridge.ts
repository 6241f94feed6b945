/** Chunk `optimization.consent-bridge.js`: loaded by the script-tag bundle when the page has a `<ctfl-consent-bridge>`. */
import { ConsentBridgeElement } from '../elements/consent-bridge.js';

if (!customElements.get('ctfl-consent-bridge')) customElements.define('ctfl-consent-bridge', ConsentBridgeElement);
