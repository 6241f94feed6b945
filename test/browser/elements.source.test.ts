// The element suite against the source modules (what a bundler user gets).
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { defineElements } from '../../src/elements/index.js';
import { runElementSuite } from './elements-suite.js';

defineElements();

runElementSuite({
  name: 'source',
  Runtime: () => ContentfulOptimization,
  // Modules imported from a classic script run as soon as they are loaded, even while the frame's
  // document is still open (WebKit runs an inline `type="module" async` script only once the parser
  // is done with the document).
  frameBootstrap: (config) => `<script>
    Promise.all([import('/src/browser/optimization.ts'), import('/src/elements/index.ts')]).then(([{ ContentfulOptimization }, { defineElements }]) => {
      defineElements();
      window.optimization = new ContentfulOptimization(${JSON.stringify(config)});
    });
  </script>`,
});
