// The preview panel on a page, from source: src/umd.ts served as a module, the panel from a dynamic
// import (the package's way). See preview-page-suite.ts.
import { runPreviewPageSuite } from './preview-page-suite.js';

runPreviewPageSuite('src');
