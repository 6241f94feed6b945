// The element suite against the source modules (what a bundler user gets).
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { defineElements } from '../../src/elements/index.js';
import { runElementSuite } from './elements-suite.js';

defineElements();

runElementSuite({
  name: 'source',
  Runtime: () => ContentfulOptimization,
  // An async module runs as soon as it is loaded, even while the frame's document is still open.
  frameBootstrap: (config) => `<script type="module" async>
    import { ContentfulOptimization } from '/src/browser/optimization.ts';
    import { defineElements } from '/src/elements/index.ts';
    defineElements();
    window.optimization = new ContentfulOptimization(${JSON.stringify(config)});
  </script>`,
});
