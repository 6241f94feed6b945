/**
 * Chunk `optimization.preview.js` (script-tag bundle) and the package's preview module: defines
 * `<ctfl-preview-panel>`, loaded by `optimization.preview()` or `?ctfl-preview` in the page URL.
 * It carries its own lit (LitElement and templates: this chunk only loads for a previewer) and
 * reaches the bundle's runtime through the shared registry.
 */
import { PreviewPanelElement } from '../elements/preview-panel.js';

if (!customElements.get('ctfl-preview-panel')) customElements.define('ctfl-preview-panel', PreviewPanelElement);
