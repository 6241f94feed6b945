// The preview panel on a page through the built script-tag bundle (dist/optimization.umd.js) and its
// chunk dist/optimization.preview.js, loaded with a <script> next to the bundle. Build first:
// node scripts/build.mjs. See preview-page-suite.ts.
import { runPreviewPageSuite } from './preview-page-suite.js';

runPreviewPageSuite('umd');
