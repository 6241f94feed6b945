// Issue 6: a new profile made in another tab reaches this tab at once (BroadcastChannel); elements
// without `live` keep the decision they already show, `live` ones follow. The other tab is a second
// runtime of the same organization in this page: BroadcastChannel delivers between them as between
// two tabs of the origin.
import { equal } from '../helpers/assert.js';
import { clearBrowserState, createRuntime, destroyRuntimes, uniqueOrg, waitFor } from '../helpers/browser.js';
import { mount, selection, shownText, unmountAll } from '../helpers/elements.js';
import { defineElements } from '../../src/elements/index.js';

defineElements();
const HERO = { experience: 'expHeroPricing00000001', baseline: 'heroBaseline0000000001', variant: 'heroVariant00000000001' };
const heroHtml = (attrs = '') => `
  <ctfl-optimized-entry entry-id="${HERO.baseline}" ${attrs}>
    <h1>Personalization without the wait</h1>
    <template data-variant-id="${HERO.variant}"><h1>Plans that grow with you</h1></template>
  </ctfl-optimized-entry>`;

describe('delivery: tabs in step with elements', () => {
  beforeEach(clearBrowserState);
  afterEach(() => { unmountAll(); destroyRuntimes(); });

  it('a new profile from the other tab: elements without live keep their decision, live ones follow', async () => {
    const org = uniqueOrg('tab-el');
    const other = createRuntime({ clientId: org, defaults: { consent: true } });
    // This tab's runtime is the one the elements use (the last one provided).
    const here = createRuntime({ clientId: org, defaults: { consent: true, selectedOptimizations: [selection(HERO.experience, 0, { [HERO.baseline]: HERO.baseline })] } });
    const container = mount(heroHtml() + heroHtml('live'));
    const [fixed, live] = container.querySelectorAll('ctfl-optimized-entry');
    equal(shownText(fixed!), 'Personalization without the wait');
    const { data } = await other.page({ properties: { path: '/pricing' } }); // the emulator selects the hero variant
    await waitFor(() => here.state.profile?.id === data!.profile.id, 1000, 'the profile reached this tab');
    await waitFor(() => shownText(live!) === 'Plans that grow with you', 1000, 'live follows');
    equal(shownText(fixed!), 'Personalization without the wait', 'without live: unchanged');
  });
});
