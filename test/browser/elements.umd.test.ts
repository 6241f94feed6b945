// The element suite against the built script-tag bundle (dist/optimization.umd.js, minified, dev
// checks stripped), loaded through a real <script> tag. Build it first: node scripts/build.mjs.
import { EMULATOR, uniqueOrg } from '../helpers/browser.js';
import type { RuntimeClass } from '../helpers/elements.js';
import { runElementSuite } from './elements-suite.js';

const BUNDLE = '/dist/optimization.umd.js';

before(async () => {
  const script = document.createElement('script');
  script.src = BUNDLE;
  // A configured page: the bundle makes window.optimization; each test then makes its own runtime.
  // With persistence consent its `ready` waits for the deferred chunk (views and hovers), which is
  // then here for every test — also for those whose fake clock would hold up its loading.
  Object.assign(script.dataset, { clientId: uniqueOrg('umd-boot'), experienceUrl: EMULATOR, insightsUrl: EMULATOR, autoPage: 'false', persistenceConsent: 'true' });
  const loaded = new Promise((resolve, reject) => { script.onload = resolve; script.onerror = () => reject(new Error(`could not load ${BUNDLE}`)); });
  document.head.append(script);
  await loaded;
  await (window as any).optimization.ready;
  (window as any).optimization.destroy();
});

runElementSuite({
  name: 'umd',
  Runtime: () => (window as any).ContentfulOptimization as RuntimeClass,
  frameBootstrap: (config) => `<script>window.ctflOptimizationConfig = ${JSON.stringify({ ...config, autoPage: false })};</script>
    <script src="${BUNDLE}"></script>`,
});
