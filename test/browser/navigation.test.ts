// Single-page apps (src/browser/navigation.ts): page events for route changes in this test page —
// through the Navigation API where the engine has it, and through wrapped history methods where it
// does not (hidden here to test that path) — as the real emulator receives them, and entries that a
// router renders for the new route deciding from its answer.
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { trackRouteChanges } from '../../src/browser/navigation.js';
import { defineElements } from '../../src/elements/index.js';
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { afterNextRender, clearBrowserState } from '../helpers/browser.js';
import { mount, pageEvents, runtimeFactory, shownText, trapErrors, unmountAll, waitFor } from '../helpers/elements.js';

defineElements();

const HERO = { baseline: 'heroBaseline0000000001', variant: 'heroVariant00000000001' };
const runtimes = runtimeFactory(() => ContentfulOptimization);
const startUrl = location.href;
const startTitle = document.title;
let stops: Array<() => void> = [];
let trap: ReturnType<typeof trapErrors>;

/** A visitor whose load's page event was sent, with route changes tracked from here on. */
async function visitorOnASinglePageApp() {
  const sdk = runtimes.create({ defaults: { consent: true, persistenceConsent: false } });
  await sdk.page();
  stops.push(trackRouteChanges(sdk));
  return sdk;
}
/** What a router does: a new history entry, then (after rendering) the new title. */
function navigate(url: string, title: string) {
  history.pushState({}, '', url);
  queueMicrotask(() => { document.title = title; });
}
const pagesOf = async (sdk: ContentfulOptimization) => (await pageEvents(sdk.config.clientId)).map((e) => e.properties);
const waitForPages = (sdk: ContentfulOptimization, n: number) =>
  waitFor(async () => { const p = await pagesOf(sdk); return p.length >= n ? p : undefined; }, 4000, `${n} page events`);
/**
 * The page events the emulator has, once nothing more is on its way: route tracking has sent (or not)
 * the page event of every URL change made before (after the next frame), and the runtime has
 * delivered what it queued (flush() waits for a delivery under way, too).
 */
const settledPagesOf = async (sdk: ContentfulOptimization) => {
  await afterNextRender();
  await sdk.flush();
  return pagesOf(sdk);
};

beforeEach(async () => {
  await clearBrowserState();
  trap = trapErrors();
});
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  history.replaceState(null, '', startUrl);
  document.title = startTitle;
  unmountAll();
  runtimes.destroyAll();
  trap.stop();
  deepEqual(trap.errors, [], 'uncaught errors in the page');
});

function routeSuite(name: string, setup: () => () => void) {
  describe(`route changes: page events (${name})`, () => {
    let restore: () => void = () => {};
    beforeEach(() => { restore = setup(); });
    afterEach(() => restore());

    it('a stopped tracker sends nothing, and trackers started and stopped again do not stack', async () => {
      const sdk = await visitorOnASinglePageApp();
      for (let i = 0; i < 5; i++) trackRouteChanges(sdk)(); // an app re-initialized five times
      const stop = stops.pop()!;
      stop();
      navigate('/stopped', 'Stopped');
      equal((await settledPagesOf(sdk)).filter((p) => p.path === '/stopped').length, 0, 'no page event once stopped');
      stops.push(trackRouteChanges(sdk));
      navigate('/tracked-once', 'Once');
      await waitForPages(sdk, 2);
      equal((await settledPagesOf(sdk)).filter((p) => p.path === '/tracked-once').length, 1, 'one page event, not one per tracker ever started');
    });

    it('a new route sends one page event with its path, query and the title the router set, and the previous route as referrer', async () => {
      const sdk = await visitorOnASinglePageApp();
      const before = location.href;
      navigate('/shop/shoes?color=red', 'Red shoes');
      const [, page] = await waitForPages(sdk, 2);
      deepEqual([page.path, page.query, page.search, page.title, page.referrer], ['/shop/shoes', { color: 'red' }, '?color=red', 'Red shoes', before]);
      equal(page.url, new URL('/shop/shoes?color=red', location.href).href);
      equal((await settledPagesOf(sdk)).length, 2, 'one page event for the route, nothing more');
    });

    it('a replaceState to the same URL, a scroll-state update and a hash change send nothing; a new query and going back do', async () => {
      const sdk = await visitorOnASinglePageApp();
      navigate('/docs', 'Docs');
      await waitForPages(sdk, 2);
      history.replaceState({ any: 'state' }, '', location.href);
      history.replaceState({ scrollY: 400 }, ''); // what routers do to restore the scroll position
      location.hash = '#install';
      history.replaceState({ scrollY: 800 }, '');
      equal((await settledPagesOf(sdk)).length, 2, 'no page event for them');
      navigate('/docs?page=2', 'Docs, page 2');
      await waitForPages(sdk, 3);
      history.back(); // back to /docs#install: the /docs route again
      const pages = await waitForPages(sdk, 4);
      deepEqual(pages.slice(1).map((p) => p.search ? `${p.path}${p.search}` : p.path), ['/docs', '/docs?page=2', '/docs']);
      equal((await settledPagesOf(sdk)).length, 4);
    });

    it('a route replaced within the same frame (a redirect) reports only where the visitor landed', async () => {
      const sdk = await visitorOnASinglePageApp();
      history.pushState({}, '', '/old-path');
      history.replaceState({}, '', '/new-path');
      const [, page] = await waitForPages(sdk, 2);
      equal(page.path, '/new-path');
      equal((await settledPagesOf(sdk)).length, 2);
    });

    it('the stop function ends it', async () => {
      const sdk = await visitorOnASinglePageApp();
      for (const stop of stops.splice(0)) stop();
      navigate('/after-stop', 'After');
      equal((await settledPagesOf(sdk)).length, 1);
    });

    it('entries the router renders for the new route decide from its answer; one rendered before keeps its decision', async () => {
      const sdk = await visitorOnASinglePageApp(); // not in the "Pricing visitors" audience yet
      const hero = (live = '') => `<ctfl-optimized-entry entry-id="${HERO.baseline}" ${live}><h1>Personalization without the wait</h1><template data-variant-id="${HERO.variant}"><h1>Plans that grow with you</h1></template></ctfl-optimized-entry>`;
      const before = mount(hero()).firstElementChild as HTMLElement;
      equal(shownText(before), 'Personalization without the wait');
      navigate('/pricing', 'Pricing');
      const routed = mount(hero()).firstElementChild as HTMLElement; // the router renders the new route
      equal(getComputedStyle(routed).visibility, 'hidden', 'hidden until the answer, as on a first load');
      await waitFor(() => routed.dataset.ctflVariantIndex !== undefined, 4000, 'the decision');
      equal(shownText(routed), 'Plans that grow with you');
      equal(getComputedStyle(routed).visibility, 'visible');
      equal(shownText(before), 'Personalization without the wait', 'not live: what it showed stays');
      ok((await pagesOf(sdk)).some((p) => p.path === '/pricing'));
    });
  });
}

routeSuite(typeof (window as { navigation?: unknown }).navigation === 'object' ? 'Navigation API' : 'history methods', () => () => {});
routeSuite('history methods, without the Navigation API', () => {
  const own = Object.getOwnPropertyDescriptor(window, 'navigation');
  Object.defineProperty(window, 'navigation', { value: undefined, configurable: true });
  return () => {
    if (own) Object.defineProperty(window, 'navigation', own);
    else delete (window as { navigation?: unknown }).navigation;
  };
});
