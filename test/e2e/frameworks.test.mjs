// The elements inside real framework apps (demo/frameworks/: React 19 rendered on the client and
// hydrated over server HTML, Vue 3, Svelte 5, lit through the package, and a plain History-API
// router through the script tag), in a real browser against the real emulator. Each app renders
// the hero entry, the hero-cta flag and a merge tag in its own templates; the test re-renders, adds,
// removes and reorders the entry's children while the baseline and while the variant shows,
// unmounts and mounts the entry, navigates between routes (links, back), signs in, and asserts what
// shows, the page events the emulator received (one per route, with path and title) and that the
// console stayed free of errors and warnings. In every engine (test/helpers/driver.mjs): the site
// proxy watches each page from its first line (test/helpers/site.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../helpers/emulator.mjs';
import { pageIdle, waitFor } from '../helpers/wait.mjs';
import { shownText } from '../helpers/shown-text.mjs';
import { launch } from '../helpers/driver.mjs';
import { startSite } from '../helpers/site.mjs';
import { startFrameworksDemo } from '../../demo/frameworks/server.mjs';

const BASELINE = 'Personalization without the wait';
const VARIANT = 'Plans that grow with you';
const EXPERIENCE = 'expHeroPricing00000001';
const HERO = 'heroBaseline0000000001';
/**
 * Before the page's own scripts: the visitor's organization (from the first URL it opened, kept for
 * the tab), so each visitor's events are apart; and what a visitor could have seen in every frame —
 * the hero's rendered headings (visible ones only).
 */
const INIT = `(() => {
  const given = new URLSearchParams(location.search).get('e2e-org');
  if (given) sessionStorage.setItem('e2e-org', given);
  const org = sessionStorage.getItem('e2e-org');
  if (org) window.ctflOptimizationConfig = { clientId: org };
  window.__heroFrames = [];
  (function sample() {
    const hero = document.querySelector('ctfl-optimized-entry.hero');
    if (hero && getComputedStyle(hero).visibility !== 'hidden') {
      const h1 = [...hero.querySelectorAll('h1')].filter((h) => h.getClientRects().length > 0).map((h) => h.textContent).join(' | ');
      if (window.__heroFrames.at(-1) !== h1) window.__heroFrames.push(h1);
    }
    requestAnimationFrame(sample);
  })();
})();`;

let emulator, server, demo, browser;

before(async () => {
  emulator = await startEmulator(['--latency', '30']);
  server = await startFrameworksDemo({ port: 0, emulatorUrl: emulator.url });
  demo = await startSite(server.url, { initScript: INIT });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await server?.close();
  await emulator?.stop();
});

let visitors = 0;
/**
 * A new visitor (own browser context and organization); `open(path)` is its first page (with the
 * organization in the URL, for the init script). Errors and warnings: `page.problems()`.
 */
async function visitor(app) {
  const org = `fw-${app}-${Date.now().toString(36)}-${visitors++}`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const open = (path) => page.goto(`${demo.url}${path}${path.includes('?') ? '&' : '?'}e2e-org=${org}`);
  return { org, context, page, open };
}

const shown = (page, selector) => page.evaluate(shownText, selector);
const waitForShown = (page, selector, text) => page.waitForFunction(([fn, s, t]) => new Function(`return (${fn})`)()(s) === t, [shownText.toString(), selector, text], { timeout: 10_000 })
  .catch(async (error) => { throw new Error(`${selector} shows "${await shown(page, selector)}", not "${text}" (${error.message.split('\n')[0]})`); });
const pages = async (org) => {
  const { requests } = await (await fetch(`${emulator.url}/_emulator/requests?organization=${org}`)).json();
  return requests.flatMap((r) => r.body?.events ?? []).filter((e) => e.type === 'page').map((e) => ({ path: e.properties.path, title: e.properties.title }));
};
const decided = (page) => page.waitForFunction(() => {
  const hero = /** @type {HTMLElement | null} */ (document.querySelector('ctfl-optimized-entry.hero'));
  return hero?.dataset.ctflVariantIndex !== undefined && getComputedStyle(hero).visibility !== 'hidden';
}, undefined, { timeout: 10_000 });
const forceBaseline = (page) => page.evaluate(([experienceId, baseline]) => window.optimization.setOverrides(() => ({
  selectedOptimizations: [{ experienceId, variantIndex: 0, variants: { [baseline]: baseline }, sticky: false }],
})), [EXPERIENCE, HERO]);

/**
 * The walk every app gets. `variantCount`: the app's variant is its own live nodes (JSX, Vue render
 * functions, a variant element) and shows the render count too.
 */
async function walk(app, title, { variantCount }) {
  const { org, context, page, open } = await visitor(app);
  const base = `/${app}`;
  const variant = (n) => (variantCount ? `${VARIANT} Variant rendered ${n} times` : VARIANT);
  try {
    await open(`${base}/`);
    await decided(page);
    // Home, for a new visitor: the baseline, the fallback greeting, the flag's value.
    await waitForShown(page, '.hero', `${BASELINE} Fast Private Flexible Rendered 0 times`);
    assert.equal(await shown(page, '.greeting'), 'Hi there!');
    const flag = await page.evaluate(() => window.optimization.getFlag('hero-cta') ?? 'Learn more');
    await waitForShown(page, '.cta', flag);

    // The framework changes the entry's children while the baseline shows.
    for (const id of ['add', 'reorder', 'remove', 'rerender']) await page.click(`#${id}`);
    await waitForShown(page, '.hero', `${BASELINE} Flexible Private Fast Rendered 1 times`);

    // A route change: the router renders the pricing route's hero, which decides from the page
    // event of this route (the visitor is in the pricing audience from it on).
    await page.click('#to-pricing');
    await waitForShown(page, '.route', 'Pricing');
    await decided(page);
    await waitForShown(page, '.hero', variant(1));

    // ... and changes them while the variant shows: the baseline is kept up to date, out of sight.
    for (const id of ['add', 'add', 'reorder', 'remove', 'rerender']) await page.click(`#${id}`);
    await waitForShown(page, '.hero', variant(2));
    await forceBaseline(page);
    await waitForShown(page, '.hero', `${BASELINE} Item 4 Fast Private Flexible Rendered 2 times`);
    await page.evaluate(() => window.optimization.setOverrides(undefined));
    await waitForShown(page, '.hero', variant(2));

    // Unmounted and mounted again: decided at once from what the runtime knows.
    await page.click('#toggle');
    await waitForShown(page, 'main', 'Pricing No hero');
    await page.click('#toggle');
    await waitForShown(page, '.hero', variant(2));

    // Home through a link, then back: new routes, each with one page event.
    await page.click('#to-home');
    await waitForShown(page, '.route', 'Home');
    await waitForShown(page, '.hero', variant(2));
    await page.evaluate(() => history.back()); // within the app: no new document
    await waitForShown(page, '.route', 'Pricing');
    await waitForShown(page, '.hero', variant(2));

    await page.click('#sign-in');
    await waitForShown(page, '.greeting', 'Hi Ada!');

    // One page event per route, with the route's path and the title its router set.
    const expected = [['/', 'Home'], ['/pricing', 'Pricing'], ['/', 'Home'], ['/pricing', 'Pricing']]
      .map(([path, name]) => ({ path: `${base}${path}`, title: `${title} · ${name}` }));
    const sent = await waitFor(async () => { const p = await pages(org); return p.length >= expected.length ? p : undefined; }, 5000, 'the page events');
    await page.evaluate(pageIdle); // nothing more on its way
    assert.deepEqual(await pages(org), expected, `what the emulator received: ${JSON.stringify(sent)}`);
    assert.deepEqual(await page.problems(), [], 'no errors or warnings in the console');
    return { page, context, org };
  } catch (error) {
    await context.close();
    throw error;
  }
}

test('React 19 (createRoot): JSX templates, keyed lists, re-renders, unmounts and route changes', async () => {
  const { context } = await walk('react', 'React', { variantCount: true });
  await context.close();
});

test('React 19 over server HTML (hydrateRoot): the same walk; a returning visitor sees the variant in the first paint and React hydrates without a mismatch', async () => {
  const { page, context } = await walk('react-ssr', 'React', { variantCount: true });
  // A full page load of the pricing route: the selections are cached (persistence consent), so the
  // element shows the variant while the HTML is parsed, before React hydrates the same nodes.
  await page.goto(`${demo.url}/react-ssr/pricing`);
  await decided(page);
  await waitForShown(page, '.hero', `${VARIANT} Variant rendered 0 times`);
  const frames = await page.evaluate(() => window.__heroFrames);
  assert.deepEqual(frames, [VARIANT], 'every painted frame showed the variant, and only it');
  await page.click('#add'); // hydrated: React handles the click
  await page.click('#rerender');
  await waitForShown(page, '.hero', `${VARIANT} Variant rendered 1 times`);
  await forceBaseline(page);
  await waitForShown(page, '.hero', `${BASELINE} Fast Private Flexible Item 3 Rendered 1 times`);
  assert.deepEqual(await page.problems(), [], 'no hydration error or warning');
  await context.close();
});

test('Vue 3: a template compiled in the browser and a render function with <template> children', async () => {
  const { context } = await walk('vue', 'Vue', { variantCount: true });
  await context.close();
});

test('Svelte 5: runes, keyed each blocks and {#key} routes around the elements', async () => {
  const { context } = await walk('svelte', 'Svelte', { variantCount: false });
  await context.close();
});

test('lit: render() with repeating parts and keyed routes; the package entry and trackRouteChanges() instead of the script tag', async () => {
  const { context } = await walk('lit', 'lit', { variantCount: false });
  await context.close();
});

test('a plain History-API router: the script tag sends the route changes\' page events by itself', async () => {
  const { context } = await walk('router', 'Router', { variantCount: false });
  await context.close();
});

test('data-auto-page="load": the load\'s page event only, none for route changes', async () => {
  const { org, context, page, open } = await visitor('router');
  await open('/router/?auto-page=load');
  await decided(page);
  await page.click('#to-pricing');
  await waitForShown(page, '.route', 'Pricing');
  await page.click('#to-home');
  await waitForShown(page, '.route', 'Home');
  await page.evaluate(pageIdle); // route tracking would have sent the routes' page events by now
  assert.deepEqual(await pages(org), [{ path: '/router/', title: 'Router · Home' }]);
  assert.deepEqual(await page.problems(), []);
  await context.close();
});
