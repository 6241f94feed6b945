// The benchmark page built with @ninetailed/experience.js (the reference SDK), through its documented
// JavaScript API: `new Ninetailed({ clientId, environment }, { url, plugins })`, `page()`, and
// `onSelectVariant({ baseline, experiences }, cb)` to render the hero. Bundled by pages.mjs with
// esbuild (IIFE, minified, browser) and loaded synchronously in <head>, as our script tag is.
//
// Rendering follows the same rules as <ctfl-optimized-entry>: the hero stays hidden (keeping its
// box) while the selection is loading, then shows the selected variant from its <template>, or the
// baseline. On a server-rendered page (data-ssr-variant) the server's markup shows from the start.
import { Ninetailed } from '@ninetailed/experience.js';
import { NinetailedInsightsPlugin } from '@ninetailed/experience.js-plugin-insights';
import { NinetailedPrivacyPlugin } from '@ninetailed/experience.js-plugin-privacy';

const config = window.benchConfig;
const cookie = (name) => document.cookie.split('; ').find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);

const ninetailed = new Ninetailed({ clientId: config.clientId, environment: config.environment }, {
  url: config.url,
  plugins: [new NinetailedInsightsPlugin({ url: config.url }), new NinetailedPrivacyPlugin()],
  // Server handoff: continue the profile the server created (the only handoff the SDK offers).
  ...(config.profileCookie ? { onInitProfileId: (id) => cookie(config.profileCookie) ?? id } : {}),
});
window.benchNinetailed = ninetailed;

/** The hero's experience, as the SDK expects it (what its Contentful mapper makes of nt_experiences). */
const heroExperience = {
  id: 'expHeroPricing00000001',
  type: 'nt_personalization',
  name: 'Hero for pricing visitors',
  audience: { id: 'audPricingVisitors0001' },
  trafficAllocation: 1,
  distribution: [{ index: 0, start: 0, end: 0 }, { index: 1, start: 0, end: 1 }],
  sticky: false,
  components: [{ type: 'EntryReplacement', baseline: { id: 'heroBaseline0000000001' }, variants: [{ id: 'heroVariant00000000001', hidden: false }] }],
};

let latest;
function render() {
  const hero = document.querySelector('.hero');
  if (!hero || !latest) return;
  const { status, variant, baseline } = latest;
  const ssr = hero.dataset.ssrVariant;
  if (status === 'loading') {
    if (ssr === undefined) hero.style.visibility = 'hidden';
    return;
  }
  const want = variant && variant.id !== baseline.id ? variant.id : baseline.id;
  const shown = hero.dataset.shown ?? ssr ?? baseline.id;
  if (want !== shown) {
    const source = hero.querySelector(`template[data-variant-id="${want}"]`);
    if (source) {
      for (const n of [...hero.childNodes]) if (!(n instanceof HTMLTemplateElement)) n.remove();
      hero.prepend(source.content.cloneNode(true));
    }
  }
  hero.dataset.shown = want;
  hero.style.visibility = '';
}

ninetailed.onSelectVariant({ baseline: { id: 'heroBaseline0000000001' }, experiences: [heroExperience] }, (state) => {
  latest = state;
  render();
});
document.addEventListener('DOMContentLoaded', render);
void ninetailed.page();
