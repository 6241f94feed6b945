// A flag view says a visitor saw a flag's value. Under a preview override the previewer sees
// branches the visitor would not: a <ctfl-flag> inside an entry that shows an overridden variant is
// therefore never tracked, even when the flag's own value is the visitor's. Real Chromium, Firefox
// and WebKit, the real emulator (demo space).
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { defineElements } from '../../src/elements/index.js';
import { deepEqual, ok } from '../helpers/assert.js';
import { afterNextRender, clearBrowserState } from '../helpers/browser.js';
import { insightsOf, mount, runtimeFactory, unmountAll, waitFor, waitForInsights } from '../helpers/elements.js';
import { choose, TEASER } from '../helpers/preview.js';

defineElements();
const runtimes = runtimeFactory(() => ContentfulOptimization);

describe('<ctfl-flag> under a preview override', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { document.querySelector('ctfl-preview-panel')?.remove(); unmountAll(); runtimes.destroyAll(); });

  it('a flag in a branch shown only by the override sends no view; one the visitor sees does', async () => {
    const sdk = runtimes.create({ defaults: { consent: true } });
    ok((await sdk.page()).data, 'the emulator answered page()');
    const own = sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!.variantIndex;
    const flag = '<ctfl-flag key="hero-cta" class="in-branch"></ctfl-flag>';
    // The flag sits in the branch the visitor does not see: the variant for a baseline visitor, the baseline for a variant visitor.
    const root = mount(`
      <ctfl-flag key="hero-cta" class="outside"></ctfl-flag>
      <ctfl-optimized-entry entry-id="${TEASER.baseline}" class="teaser">
        <p>${own === 1 ? flag : 'baseline'}</p>
        <template data-variant-id="${TEASER.variant}"><p>${own === 0 ? flag : 'variant'}</p></template>
      </ctfl-optimized-entry>`);
    const teaser = root.querySelector<HTMLElement>('.teaser')!;
    // The visitor's own view of the flag outside the entry is tracked: tracking works here.
    await waitForInsights(sdk, (e) => e.componentType === 'Variable' && e.componentId === 'hero-cta');

    const panel = await sdk.preview();
    await choose(panel, TEASER.experience, own === 0 ? 'Variant 1' : 'Baseline');
    await waitFor(() => teaser.dataset.ctflVariantIndex === String(1 - own) && teaser.hasAttribute('data-ctfl-override'), 4000, 'the overridden branch');
    const shown = await waitFor(() => [...teaser.querySelectorAll<HTMLElement>('ctfl-flag')].find((f) => f.checkVisibility?.() !== false), 4000, 'the flag in it');
    ok(!shown.hasAttribute('data-ctfl-override'), 'the flag\'s own value is the visitor\'s');
    await afterNextRender();
    const views = (await insightsOf(sdk)).filter((e) => e.componentType === 'Variable');
    deepEqual(views.length, 1, 'only the flag outside the entry was tracked');
  });
});
