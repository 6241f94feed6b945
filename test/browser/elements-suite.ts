// The element suite, run twice: against the source modules (elements.source.test.ts) and against the
// script-tag bundle loaded with a real <script> (elements.umd.test.ts). Real Chromium, the real
// emulator, real mouse input; each test has its own organization and runtime.
import { resetMouse, sendMouse } from '@web/test-runner-commands';
import type { ContentfulOptimization } from '../../src/browser/optimization.js';
import type { EntryResolvedDetail } from '../../src/elements/optimized-entry.js';
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { clearBrowserState } from '../helpers/browser.js';
import {
  EMULATOR, center, experienceViews, fakeClock, imageSettled, insightsOf, intersected, isView, makeProfile, mount, nextEvent, openFrame,
  restoreClocks, runtimeFactory, selection, shownText, spyConsole, trapErrors, unmountAll, updated, waitFor, waitForInsights, type RuntimeClass,
} from '../helpers/elements.js';

export interface ElementSuiteSetup {
  /** Shown in test titles: `source` or `umd`. */
  name: string;
  /** The ContentfulOptimization class the elements on this page find (source module or bundle global). */
  Runtime: () => RuntimeClass;
  /**
   * Markup for the start of an iframe document that gives it this build's elements and a runtime
   * made from `config`, exposed as `window.optimization` (possibly after the markup has loaded).
   */
  frameBootstrap: (config: Record<string, unknown>) => string;
}

// Ids of the demo space (demo/space.json) for tests that use real emulator decisions.
const HERO = { experience: 'expHeroPricing00000001', baseline: 'heroBaseline0000000001', variant: 'heroVariant00000000001' };
const TEASER = { experience: 'expTeaserAbTest0000001', baseline: 'teaserBaseline00000001', variant: 'teaserVariant000000001' };
// Synthetic ids for tests that seed selections through `defaults` (what a cache or handoff gives).
const EXP = 'exp-suite-0001';
const B = 'entry-baseline-01';
const V = 'entry-variant-01';

const entryHtml = (attrs = '', extra = '') => `
  <ctfl-optimized-entry entry-id="${B}" ${attrs}>
    <h2 class="headline">Baseline headline</h2>
    <template data-variant-id="${V}"><h2 class="headline">Variant headline</h2>${extra}</template>
  </ctfl-optimized-entry>`;

const heroHtml = (attrs = '') => `
  <ctfl-optimized-entry entry-id="${HERO.baseline}" ${attrs}>
    <h1>Personalization without the wait</h1>
    <template data-variant-id="${HERO.variant}"><h1>Plans that grow with you</h1></template>
  </ctfl-optimized-entry>`;

export function runElementSuite(setup: ElementSuiteSetup): void {
  const runtimes = runtimeFactory(setup.Runtime);
  let trap: ReturnType<typeof trapErrors>;
  let consoleSpy: ReturnType<typeof spyConsole>;

  /** A runtime that already knows its selections and has a profile, with event consent. */
  const tracked = (selected = [selection(EXP, 1, { [B]: V })], extra: Record<string, unknown> = {}) =>
    runtimes.create({ defaults: { consent: true, persistenceConsent: false, profile: makeProfile(), selectedOptimizations: selected, ...extra } as never });

  const entryIn = (root: ParentNode) => root.querySelector('ctfl-optimized-entry')!;
  /** Moves the pointer to `position` and resolves once `el` got the `mouseenter` or `mouseleave` it causes. */
  const pointer = async (el: Element, position: [number, number], event: 'mouseenter' | 'mouseleave') => {
    const seen = nextEvent(el, event);
    await sendMouse({ type: 'move', position });
    await seen;
  };

  before(() => {
    const style = document.createElement('style');
    style.textContent = `
      body { margin: 0; }
      .fixture ctfl-optimized-entry { display: block; }
      .fixture .headline { color: rgb(1, 2, 3); margin: 0; height: 40px; }
      .fixture .spacer { height: 300vh; }`;
    document.head.append(style);
  });

  beforeEach(async () => {
    await clearBrowserState();
    trap = trapErrors();
    consoleSpy = spyConsole();
  });

  afterEach(async () => {
    restoreClocks();
    unmountAll();
    runtimes.destroyAll();
    consoleSpy.restore();
    trap.stop();
    await resetMouse();
    // Nothing an element does may throw into the page or leave a rejected promise behind.
    deepEqual(trap.errors, [], 'uncaught errors in the page');
  });

  describe(`<ctfl-optimized-entry> shows the visitor's variant (${setup.name})`, () => {
    it('renders the selected variant in the light DOM, where the page CSS styles it', () => {
      tracked();
      const el = entryIn(mount(entryHtml()));
      equal(shownText(el), 'Variant headline');
      equal(el.querySelector('.headline')!.parentNode, el, 'the variant is in the light DOM');
      equal(getComputedStyle(el.querySelector('.headline')!).color, 'rgb(1, 2, 3)');
      equal(getComputedStyle(el).visibility, 'visible');
    });

    it('an entry connected after destroy() waits for the next runtime instead of deciding from the destroyed one', async () => {
      tracked([selection(EXP, 0, { [B]: B })]).destroy();
      const el = entryIn(mount(entryHtml()));
      await updated(el); // its first update is done: it waits
      equal(el.dataset.ctflVariantIndex, undefined, 'no decision from the destroyed runtime');
      tracked(); // knows the selections already: no state change follows
      equal(shownText(el), 'Variant headline', 'decided by the runtime that came next');
      equal(el.dataset.ctflVariantIndex, '1');
    });

    it('shows the baseline to a visitor in the baseline (variant index 0)', () => {
      tracked([selection(EXP, 0, { [B]: B })]);
      const el = entryIn(mount(entryHtml()));
      equal(shownText(el), 'Baseline headline');
      equal(el.dataset.ctflVariantIndex, '0');
      equal(el.dataset.ctflExperienceId, EXP);
    });

    it('an empty ("") variant shows nothing, and its view is still tracked', async () => {
      const sdk = tracked([selection(EXP, 1, { [B]: '' })]);
      const clock = fakeClock(); // the view's second passes on this clock
      const el = entryIn(mount(entryHtml()));
      equal(shownText(el), '');
      equal([...el.children].filter((c) => c.getClientRects().length > 0).length, 0, 'no rendered elements');
      equal(el.dataset.ctflEntryId, '');
      await intersected(el);
      await clock.tickAsync(1000);
      const [view] = await waitForInsights(sdk, isView(B));
      equal(view.experienceId, EXP);
      equal(view.variantIndex, 1);
    });

    it('a variant missing from the page shows the baseline, keeps experience and variant index, and warns once (E031)', async () => {
      tracked([selection(EXP, 1, { [B]: 'entry-not-on-page' })]);
      const container = mount(entryHtml() + entryHtml());
      const [a, b] = container.querySelectorAll('ctfl-optimized-entry');
      a!.append(document.createElement('span')); // another render pass must not warn again
      await updated(a!, b!);
      equal(shownText(a!), 'Baseline headline');
      equal(shownText(b!), 'Baseline headline');
      equal(a!.dataset.ctflEntryId, B);
      equal(a!.dataset.ctflExperienceId, EXP);
      equal(a!.dataset.ctflVariantIndex, '1');
      equal(consoleSpy.withCode('E031').length, 1, 'one E031 warning');
      equal(consoleSpy.warns.length, 1, 'no other warnings');
    });

    it('an entry property with nt_experiences shows the variant it links', () => {
      tracked([selection(HERO.experience, 1, { [HERO.baseline]: HERO.variant })]);
      const variantEntry = { sys: { id: HERO.variant }, fields: { headline: 'Plans that grow with you' } };
      const el = document.createElement('ctfl-optimized-entry');
      el.entry = {
        sys: { id: HERO.baseline },
        fields: {
          headline: 'Personalization without the wait',
          nt_experiences: [{
            sys: { id: HERO.experience },
            fields: {
              nt_experience_id: HERO.experience, nt_type: 'nt_personalization', nt_variants: [variantEntry],
              nt_config: { traffic: 1, distribution: [0, 1], components: [{ type: 'EntryReplacement', baseline: { id: HERO.baseline }, variants: [{ id: HERO.variant, hidden: false }] }] },
            },
          }],
        },
      };
      el.innerHTML = `<h1>Personalization without the wait</h1><template data-variant-id="${HERO.variant}"><h1>Plans that grow with you</h1></template>`;
      mount('').append(el);
      equal(shownText(el), 'Plans that grow with you');
      equal(el.decision?.entry?.sys.id, HERO.variant, 'the resolved entry is the variant entry');
    });

    it('an entry or entry-id set right after connecting (as frameworks do) is what the element shows', async () => {
      tracked([selection(EXP, 1, { [B]: V }), selection('exp-other', 1, { 'entry-other': 'entry-other-v' })]);
      const el = document.createElement('ctfl-optimized-entry');
      el.innerHTML = `<p>Baseline</p><template data-variant-id="${V}"><p>Variant</p></template><template data-variant-id="entry-other-v"><p>Other variant</p></template>`;
      mount('').append(el);
      el.entryId = B;
      await updated(el);
      equal(shownText(el), 'Variant');
      el.entryId = 'entry-other';
      await updated(el);
      equal(shownText(el), 'Other variant');
      equal(el.dataset.ctflExperienceId, 'exp-other');
      deepEqual(consoleSpy.warns, [], 'no "needs an entry-id" warning');
    });

    it('shows the variant the emulator selects for a visitor in the hero audience', async () => {
      const sdk = runtimes.create();
      const el = entryIn(mount(heroHtml()));
      equal(getComputedStyle(el).visibility, 'hidden', 'hidden while pending');
      const resolved = nextEvent<CustomEvent<EntryResolvedDetail>>(el, 'ctfl-entry-resolved');
      await sdk.page({ properties: { path: '/pricing' } }); // the "Pricing visitors" audience: page path contains /pricing
      const { detail } = await resolved;
      equal(detail.experienceId, HERO.experience);
      equal(shownText(el), 'Plans that grow with you');
      equal(getComputedStyle(el).visibility, 'visible');
    });
  });

  describe(`<ctfl-optimized-entry> without flicker (${setup.name})`, () => {
    it('hides the pending element without moving the page, then shows the baseline after `timeout` ms (timedOut)', async () => {
      runtimes.create(); // no selections yet, no request sent: the decision stays pending
      const container = mount(`${entryHtml('timeout="300"')}<p class="after">after</p>`);
      const el = entryIn(container);
      const after = container.querySelector('.after')!;
      const pendingBox = el.getBoundingClientRect();
      const pendingAfterTop = after.getBoundingClientRect().top;
      equal(getComputedStyle(el).visibility, 'hidden');
      ok(pendingBox.height >= 40, 'the pending element keeps its box');
      const started = performance.now();
      const { detail } = await nextEvent<CustomEvent<EntryResolvedDetail>>(el, 'ctfl-entry-resolved');
      ok(performance.now() - started >= 250, 'not before the timeout');
      equal(detail.timedOut, true);
      equal(detail.entryId, B);
      equal(getComputedStyle(el).visibility, 'visible');
      equal(shownText(el), 'Baseline headline');
      deepEqual(el.getBoundingClientRect().toJSON(), pendingBox.toJSON(), 'same box before and after');
      equal(after.getBoundingClientRect().top, pendingAfterTop, 'content after it did not move');
    });

    it('with selections from defaults, the variant is in place in the same task as insertion', () => {
      tracked();
      const container = mount(entryHtml() + entryHtml());
      // Same task: no paint can have happened, and the baseline is not rendered.
      ok(!shownText(document.body).includes('Baseline headline'), 'no baseline rendered');
      equal(shownText(container), 'Variant headline Variant headline');
      equal(getComputedStyle(entryIn(container)).visibility, 'visible');
    });

    it('with a server handoff element, the variant is in place in the same task as insertion', () => {
      const handoff = document.createElement('script');
      handoff.type = 'application/json';
      handoff.id = 'ctfl-optimization-data';
      handoff.textContent = JSON.stringify({ profile: makeProfile(), selectedOptimizations: [selection(EXP, 1, { [B]: V })], changes: [] });
      document.head.append(handoff);
      try {
        runtimes.create();
      } finally {
        handoff.remove();
      }
      const container = mount(entryHtml());
      ok(!shownText(document.body).includes('Baseline headline'), 'no baseline rendered');
      equal(shownText(container), 'Variant headline');
    });

    it('while the page is still being parsed, the baseline never enters the DOM before the variant template arrives', async () => {
      const f = openFrame();
      const spy = spyConsole(f.win);
      f.write(`<!doctype html><html><head>${setup.frameBootstrap({
        clientId: `frame-${Date.now().toString(36)}`, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR },
        defaults: { selectedOptimizations: [selection(EXP, 1, { [B]: V })] },
      })}</head><body>`);
      await waitFor(() => (f.win as any).optimization?.state, 5000, 'the frame runtime');
      const body = () => shownText(f.doc.body);
      // A microtask later is still before any paint (mutation observers run there).
      const settle = () => Promise.resolve();

      f.write(`<ctfl-optimized-entry entry-id="${B}"><h2>Baseline headline</h2>`);
      await settle();
      const el = f.doc.querySelector('ctfl-optimized-entry')!;
      ok(el, 'the element exists');
      ok(!body().includes('Baseline headline'), 'no baseline rendered while the template is pending');
      equal(f.win.getComputedStyle(el).visibility, 'hidden');

      f.write('<p>More baseline</p><template data-variant-id="entry-other"><h2>Other variant</h2></template>');
      await settle();
      ok(!body().includes('aseline'), 'nor later baseline nodes');

      // The variant template arrives in two chunks: only the complete template is shown.
      f.write(`<template data-variant-id="${V}"><h2>Variant headline</h2>`);
      await settle();
      ok(!body().includes('aseline'), 'still no baseline');
      f.write('<p>Variant body</p></template></ctfl-optimized-entry><p>After</p>');
      await settle();
      equal(shownText(el), 'Variant headline Variant body');
      equal(f.win.getComputedStyle(el).visibility, 'visible');
      await f.close();
      equal(shownText(el), 'Variant headline Variant body');
      // (Only ours: the source build of Lit warns that it runs in dev mode.)
      deepEqual(spy.warns.filter((m) => m.includes('ctfl-opt/')), [], 'no warnings');
    });

    it('when the parser passes the element without the variant template, the baseline shows (E031 once)', async () => {
      const f = openFrame();
      const spy = spyConsole(f.win);
      f.write(`<!doctype html><html><head>${setup.frameBootstrap({
        clientId: `frame-${Date.now().toString(36)}`, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR },
        defaults: { selectedOptimizations: [selection(EXP, 1, { [B]: V })] },
      })}</head><body><main>`);
      await waitFor(() => (f.win as any).optimization?.state, 5000, 'the frame runtime');
      f.write(`<ctfl-optimized-entry entry-id="${B}"><h2>Baseline headline</h2></ctfl-optimized-entry>`);
      await Promise.resolve();
      const el = f.doc.querySelector('ctfl-optimized-entry')!;
      equal(f.win.getComputedStyle(el).visibility, 'hidden', 'hidden while the template may still come');
      f.write('</main><p>Rest of the page</p>');
      await Promise.resolve();
      equal(shownText(el), 'Baseline headline');
      equal(f.win.getComputedStyle(el).visibility, 'visible');
      equal(el.getAttribute('data-ctfl-variant-index'), '1');
      await f.close();
      equal(spy.withCode('E031').length, 1);
    });
  });

  describe(`<ctfl-optimized-entry> with server-rendered output (${setup.name})`, () => {
    // What src/server/render.ts writes: the chosen variant's markup first, its template, and the
    // baseline in a data-ctfl-baseline template.
    const prerendered = (attrs = '') => `
      <ctfl-optimized-entry entry-id="${B}" data-ctfl-entry-id="${V}" data-ctfl-experience-id="${EXP}" data-ctfl-variant-index="1" data-ctfl-prerendered ${attrs}><h2 class="headline">Variant headline</h2><template data-variant-id="${V}"><h2 class="headline">Variant headline</h2></template><template data-variant-id="${B}" data-ctfl-baseline><h2 class="headline">Baseline headline</h2></template></ctfl-optimized-entry>`;

    it('keeps the server-rendered variant nodes as they are when the decision matches (no DOM change)', () => {
      tracked();
      const container = mount(prerendered());
      const el = entryIn(container);
      const serverNode = el.querySelector('h2');
      equal(shownText(el), 'Variant headline');
      equal(el.querySelector('h2'), serverNode, 'the very node the server rendered is still shown');
      equal(el.querySelectorAll(':scope > h2').length, 1, 'the variant is not inserted a second time');
      ok(!el.hasAttribute('data-ctfl-prerendered'));
    });

    it('a live element that later gets the baseline shows the baseline from its template, not the server variant', async () => {
      const sdk = runtimes.create({ defaults: { profile: makeProfile(), selectedOptimizations: [selection(HERO.experience, 1, { [HERO.baseline]: HERO.variant })] } });
      const container = mount(`<ctfl-optimized-entry live entry-id="${HERO.baseline}" data-ctfl-entry-id="${HERO.variant}" data-ctfl-variant-index="1" data-ctfl-prerendered><h1>Plans that grow with you</h1><template data-variant-id="${HERO.variant}"><h1>Plans that grow with you</h1></template><template data-variant-id="${HERO.baseline}" data-ctfl-baseline><h1>Personalization without the wait</h1></template></ctfl-optimized-entry>`);
      const el = entryIn(container);
      equal(shownText(el), 'Plans that grow with you');
      await sdk.page({ properties: { path: '/' } }); // a new profile outside the pricing audience: the baseline
      await waitFor(() => el.dataset.ctflVariantIndex === '0', 4000, 'the baseline decision');
      equal(shownText(el), 'Personalization without the wait');
    });

    it('while a server-rendered page is still being parsed, its variant stays visible and in place (never hidden)', async () => {
      const f = openFrame();
      f.write(`<!doctype html><html><head>${setup.frameBootstrap({
        clientId: `frame-${Date.now().toString(36)}`, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR },
        defaults: { selectedOptimizations: [selection(EXP, 1, { [B]: V })] },
      })}</head><body>`);
      await waitFor(() => (f.win as any).optimization?.state, 5000, 'the frame runtime');
      const settle = () => Promise.resolve();
      // The server's variant markup has arrived, its template not yet.
      f.write(`<ctfl-optimized-entry entry-id="${B}" data-ctfl-entry-id="${V}" data-ctfl-experience-id="${EXP}" data-ctfl-variant-index="1" data-ctfl-prerendered><h2 class="headline">Variant headline</h2>`);
      await settle();
      const el = f.doc.querySelector('ctfl-optimized-entry')!;
      const serverNode = el.querySelector('h2');
      equal(f.win.getComputedStyle(el).visibility, 'visible', 'not hidden while the template is on its way');
      equal(shownText(el), 'Variant headline');
      f.write(`<p>More variant</p><template data-variant-id="${V}"><h2 class="headline">Variant headline</h2><p>More variant</p></template>`);
      await settle();
      equal(f.win.getComputedStyle(el).visibility, 'visible');
      f.write(`<template data-variant-id="${B}" data-ctfl-baseline><h2 class="headline">Baseline headline</h2></template></ctfl-optimized-entry><p>After</p>`);
      await f.close();
      equal(shownText(el), 'Variant headline More variant');
      equal(el.querySelector('h2'), serverNode, 'the very node the server rendered is still shown');
    });

    it('when the browser decides differently from the server, the server variant is replaced by the baseline', () => {
      tracked([selection(EXP, 0, { [B]: B })]);
      const container = mount(prerendered());
      const el = entryIn(container);
      equal(shownText(el), 'Baseline headline');
      equal(el.dataset.ctflVariantIndex, '0');
    });
  });

  describe(`<ctfl-optimized-entry> live updates (${setup.name})`, () => {
    it('keeps the decision shown on later updates, unless `live`, which follows them', async () => {
      const sdk = runtimes.create({ defaults: { selectedOptimizations: [selection(HERO.experience, 0, { [HERO.baseline]: HERO.baseline })] } });
      const container = mount(heroHtml() + heroHtml('live'));
      const [fixed, live] = container.querySelectorAll('ctfl-optimized-entry');
      equal(shownText(fixed!), 'Personalization without the wait');
      equal(shownText(live!), 'Personalization without the wait');
      await sdk.page({ properties: { path: '/pricing' } }); // the emulator now selects the hero variant
      equal(sdk.state.selectedOptimizations?.find((o) => o.experienceId === HERO.experience)?.variantIndex, 1);
      equal(shownText(fixed!), 'Personalization without the wait', 'without live: unchanged');
      equal(fixed!.dataset.ctflVariantIndex, '0');
      equal(shownText(live!), 'Plans that grow with you', 'live: follows');
      equal(live!.dataset.ctflVariantIndex, '1');
    });
  });

  describe(`<ctfl-optimized-entry> decision attributes and event (${setup.name})`, () => {
    it('sets data-ctfl-* and fires ctfl-entry-resolved (bubbling) with the decision', () => {
      tracked([selection(EXP, 1, { [B]: V }, true)]);
      const seen: EntryResolvedDetail[] = [];
      const container = document.createElement('div');
      container.className = 'fixture';
      container.addEventListener('ctfl-entry-resolved', (e) => seen.push((e as CustomEvent<EntryResolvedDetail>).detail));
      document.body.append(container);
      container.innerHTML = entryHtml() + `<ctfl-optimized-entry entry-id="entry-without-experience"><p>Plain</p></ctfl-optimized-entry>`;
      const [el, plain] = container.querySelectorAll('ctfl-optimized-entry');
      equal(el!.getAttribute('data-ctfl-entry-id'), V);
      equal(el!.getAttribute('data-ctfl-experience-id'), EXP);
      equal(el!.getAttribute('data-ctfl-variant-index'), '1');
      equal(plain!.getAttribute('data-ctfl-entry-id'), 'entry-without-experience');
      equal(plain!.hasAttribute('data-ctfl-experience-id'), false);
      equal(plain!.getAttribute('data-ctfl-variant-index'), '0');
      deepEqual(seen, [
        { baselineId: B, entryId: V, experienceId: EXP, variantIndex: 1, hidden: false, sticky: true, timedOut: false },
        { baselineId: 'entry-without-experience', entryId: 'entry-without-experience', variantIndex: 0, hidden: false, sticky: false, timedOut: false },
      ]);
    });
  });

  describe(`<ctfl-optimized-entry> tracks views, clicks and hovers (${setup.name})`, () => {
    it('a view starts after 1 s at ≥10% visible, and ends with the same viewId when scrolled out or removed', async () => {
      const sdk = tracked();
      const clock = fakeClock(); // the view's second passes on this clock
      const container = mount(`${entryHtml()}
        <ctfl-optimized-entry entry-id="entry-fixed" style="position: fixed; right: 0; bottom: 0; width: 100px; height: 50px">Fixed</ctfl-optimized-entry>
        <div class="spacer"></div>`);
      const fixed = container.querySelector('[entry-id="entry-fixed"]')!;
      await Promise.all([intersected(entryIn(container)), intersected(fixed)]); // both on screen: their seconds begin
      await clock.tickAsync(999);
      deepEqual((await insightsOf(sdk)).filter((e) => e.type === 'component'), [], 'not before 1 s');
      await clock.tickAsync(1);
      const [start] = await waitForInsights(sdk, isView(V));
      deepEqual([start.componentType, start.experienceId, start.variantIndex], ['Entry', EXP, 1]);
      ok(start.viewId, 'viewId');
      ok(start.viewDurationMs >= 1000 && start.viewDurationMs < 2000, `start duration ${start.viewDurationMs}`);
      await waitForInsights(sdk, isView('entry-fixed'));
      await clock.tickAsync(200); // seen 200 ms more
      window.scrollTo(0, document.documentElement.scrollHeight); // the entry leaves the viewport
      const views = await waitForInsights(sdk, isView(V), 2);
      equal(views.length, 2, 'a start and an end, nothing more');
      equal(views[1].viewId, start.viewId, 'the end shares the viewId');
      ok(views[1].viewDurationMs >= start.viewDurationMs + 150, `end duration ${views[1].viewDurationMs}`);
      fixed.remove();
      const fixedViews = await waitForInsights(sdk, isView('entry-fixed'), 2);
      equal(fixedViews[1].viewId, fixedViews[0].viewId);
    });

    it('an element visible for less than 1 s sends no view', async () => {
      const sdk = tracked();
      const clock = fakeClock();
      const el = entryIn(mount(entryHtml()));
      await intersected(el); // on screen: its second begins
      await clock.tickAsync(500);
      el.remove();
      await clock.tickAsync(800); // past the second a view needed
      deepEqual((await insightsOf(sdk)).filter((e) => e.type === 'component'), []);
    });

    it('an element moved elsewhere in the page keeps tracking views', async () => {
      const sdk = tracked();
      const clock = fakeClock(); // the view's second passes on this clock
      const el = entryIn(mount(entryHtml()));
      mount('<section class="other"></section>').firstElementChild!.append(el); // disconnect + connect
      equal(shownText(el), 'Variant headline');
      await intersected(el); // observed where it is now
      await clock.tickAsync(1000);
      await waitForInsights(sdk, isView(V));
    });

    it('when a live element switches variant, the view of what was shown ends and a view of the new content starts', async () => {
      const sdk = runtimes.create({ defaults: { consent: true, persistenceConsent: false } });
      await sdk.page(); // not in the hero audience yet: the baseline
      const clock = fakeClock(); // views' seconds pass on this clock
      const el = entryIn(mount(heroHtml('live')));
      await intersected(el);
      await clock.tickAsync(1000);
      const [start] = await waitForInsights(sdk, isView(HERO.baseline));
      await sdk.page({ properties: { path: '/pricing' } }); // now in the audience: the live element shows the variant
      await updated(el);
      await clock.tickAsync(1000); // the variant's view: on screen a second
      const [, end] = await waitForInsights(sdk, isView(HERO.baseline), 2);
      equal(end.viewId, start.viewId, 'the baseline view ended, under its own id');
      const [next] = await waitForInsights(sdk, isView(HERO.variant));
      ok(next.viewId !== start.viewId, 'the variant has its own view');
      deepEqual([next.experienceId, next.variantIndex], [HERO.experience, 1]);
    });

    it('the first view of a sticky experience also goes to the Experience API; later views do not', async () => {
      const sdk = runtimes.create({ defaults: { consent: true, persistenceConsent: false } });
      await sdk.page();
      const teaser = sdk.state.selectedOptimizations?.find((o) => o.experienceId === TEASER.experience);
      equal(teaser?.sticky, true, 'the demo teaser experiment is sticky');
      const clock = fakeClock(); // views' seconds pass on this clock
      const el = entryIn(mount(`<ctfl-optimized-entry entry-id="${TEASER.baseline}"><h2>Meet the new dashboard</h2>
        <template data-variant-id="${TEASER.variant}"><h2>Your data, one click away</h2></template></ctfl-optimized-entry>
        <div class="spacer"></div>`));
      const isTeaserView = (e: any) => e.type === 'component' && e.experienceId === TEASER.experience;
      await intersected(el);
      await clock.tickAsync(1000);
      const [first] = await waitForInsights(sdk, isTeaserView);
      let sticky = await experienceViews(sdk.config.clientId);
      equal(sticky.length, 1, 'the first view went to the Experience API');
      deepEqual([sticky[0].experienceId, sticky[0].viewId, sticky[0].variantIndex], [TEASER.experience, first.viewId, teaser!.variantIndex]);
      window.scrollTo(0, document.documentElement.scrollHeight);
      await waitForInsights(sdk, isTeaserView, 2);
      const back = intersected(el);
      window.scrollTo(0, 0);
      await back; // on screen again: a second view's second begins
      await clock.tickAsync(1000);
      const views = await waitForInsights(sdk, isTeaserView, 3);
      ok(views[2].viewId !== first.viewId, 'a second view');
      sticky = await experienceViews(sdk.config.clientId);
      equal(sticky.length, 1, 'later views stay out of the Experience API');
    });

    it('a click on a link or button inside sends component_click; a click on plain text does not', async () => {
      const sdk = tracked();
      const container = mount(entryHtml('', `<p class="text">Plain words</p><button type="button">Buy</button> <a href="#nowhere">More</a>`));
      container.addEventListener('click', (e) => e.preventDefault()); // keep the test page where it is
      const el = entryIn(container);
      // The template's button and link are inside the variant: these are what the visitor sees.
      equal(shownText(el), 'Variant headline Plain words Buy More');
      await sendMouse({ type: 'click', position: center(el.querySelector('.text')!) });
      await sendMouse({ type: 'click', position: center(el.querySelector('button')!) });
      await sendMouse({ type: 'click', position: center(el.querySelector('a')!) });
      await resetMouse();
      const clicks = (await insightsOf(sdk)).filter((e) => e.type === 'component_click');
      equal(clicks.length, 2, 'one per clickable, none for the text');
      deepEqual([clicks[0].componentId, clicks[0].experienceId, clicks[0].variantIndex], [V, EXP, 1]);
    });

    it('a hover of 1 s or longer sends component_hover start and end with one hoverId; a shorter one sends nothing', async () => {
      const sdk = tracked();
      const clock = fakeClock(); // the hovers' time passes on this clock
      const el = entryIn(mount(`<div style="padding: 100px 0 0 100px; width: 300px">${entryHtml('no-track-views')}</div>`));
      const outside: [number, number] = [700, 550];
      await sendMouse({ type: 'move', position: outside });
      await pointer(el, center(el), 'mouseenter');
      await clock.tickAsync(300);
      await pointer(el, outside, 'mouseleave');
      await pointer(el, center(el), 'mouseenter');
      await clock.tickAsync(1150);
      await pointer(el, outside, 'mouseleave');
      const hovers = await waitForInsights(sdk, (e) => e.type === 'component_hover', 2);
      equal(hovers.length, 2, 'the short hover sent nothing');
      equal(hovers[0].hoverId, hovers[1].hoverId);
      deepEqual([hovers[0].componentId, hovers[0].experienceId, hovers[0].variantIndex], [V, EXP, 1]);
      ok(hovers[0].hoverDurationMs >= 1000 && hovers[0].hoverDurationMs < 1500, `start ${hovers[0].hoverDurationMs}`);
      ok(hovers[1].hoverDurationMs >= 1100, `end ${hovers[1].hoverDurationMs}`);
    });

    it('no-track-views, no-track-clicks and no-track-hovers each turn off their own events', async () => {
      const sdk = tracked([selection(EXP, 0, { 'entry-a': 'entry-a', 'entry-b': 'entry-b', 'entry-c': 'entry-c' })]);
      const clock = fakeClock(); // views' and hovers' time passes on this clock
      const container = mount(['a:no-track-views', 'b:no-track-clicks', 'c:no-track-hovers'].map((s) => {
        const [id, attr] = s.split(':');
        return `<ctfl-optimized-entry entry-id="entry-${id}" ${attr} style="height: 80px"><button type="button">Go ${id}</button></ctfl-optimized-entry>`;
      }).join(''));
      const el = (id: string) => container.querySelector(`[entry-id="entry-${id}"]`)!;
      await Promise.all(['a', 'b', 'c'].map((id) => intersected(el(id)))); // on screen: their views' seconds begin
      for (const id of ['a', 'b', 'c']) await sendMouse({ type: 'click', position: center(el(id).querySelector('button')!) });
      await pointer(el('a'), center(el('a')), 'mouseenter');
      await clock.tickAsync(1100);
      await pointer(el('c'), center(el('c')), 'mouseenter');
      await clock.tickAsync(1100);
      await resetMouse();
      const events = await insightsOf(sdk);
      const kinds = (id: string) => [...new Set(events.filter((e) => e.componentId === `entry-${id}`).map((e) => e.type))].sort();
      deepEqual(kinds('a'), ['component_click', 'component_hover'], 'a: no views');
      deepEqual(kinds('b'), ['component'], 'b: no clicks (and not hovered)');
      deepEqual(kinds('c'), ['component', 'component_click'], 'c: no hovers');
    });
  });

  describe(`<ctfl-merge-tag> (${setup.name})`, () => {
    it("shows the visitor's trait as text, and the fallback until it exists", async () => {
      const sdk = runtimes.create({ api: { enabledFeatures: ['location'] } });
      const container = mount('Hi <ctfl-merge-tag path="traits.firstname" fallback="there"></ctfl-merge-tag> from <ctfl-merge-tag path="location_city" fallback="your city"></ctfl-merge-tag>!');
      await updated(...container.querySelectorAll('ctfl-merge-tag'));
      equal(shownText(container), 'Hi there from your city!');
      await sdk.identify({ userId: 'user-ada', traits: { firstname: 'Ada' } });
      await waitFor(() => shownText(container) === 'Hi Ada from Berlin!', 2000, 'trait text');
    });

    it('text the parser adds inside the tag after it upgrades (server-rendered content) is replaced, not appended to', async () => {
      const f = openFrame();
      f.write(`<!doctype html><html><head>${setup.frameBootstrap({
        clientId: `frame-${Date.now().toString(36)}`, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR },
        defaults: { profile: makeProfile(undefined, { firstname: 'Ada' }) },
      })}</head><body>`);
      await waitFor(() => (f.win as any).optimization?.state, 5000, 'the frame runtime');
      f.write('<p>Hi <ctfl-merge-tag path="traits.firstname" fallback="there">');
      await Promise.resolve();
      f.write('there</ctfl-merge-tag>!</p>');
      await Promise.resolve();
      await f.close();
      equal(shownText(f.doc.querySelector('p')!), 'Hi Ada!');
    });

    it('shows the fallback when the trait is missing or not a string, number or boolean', async () => {
      runtimes.create({ defaults: { profile: makeProfile(undefined, { address: { city: 'Paris' }, tags: ['a'], nothing: null, age: 42 }) } });
      const container = mount(['traits.address', 'traits.tags', 'traits.nothing', 'traits.missing', 'traits.age', 'traits.__proto__', '']
        .map((p) => `<ctfl-merge-tag path="${p}" fallback="-"></ctfl-merge-tag>`).join('|'));
      await updated(...container.querySelectorAll('ctfl-merge-tag'));
      equal(shownText(container), '-|-|-|-|42|-|-');
    });

    it('markup in a trait shows as text and never becomes elements or runs', async () => {
      const sdk = runtimes.create();
      (window as any).__mergeTagRan = 0;
      const payload = '<img src=x onerror="window.__mergeTagRan++"><script>window.__mergeTagRan++</script>';
      await sdk.identify({ userId: 'user-x', traits: { firstname: payload } });
      const container = mount('<ctfl-merge-tag path="traits.firstname" fallback="there"></ctfl-merge-tag>');
      const tag = container.querySelector('ctfl-merge-tag')!;
      await waitFor(() => shownText(tag) === payload, 2000, 'the payload as text');
      await imageSettled('x'); // an <img src=x> made before this one has failed by now: its error handler would have run
      equal(tag.children.length + tag.shadowRoot!.querySelectorAll('*').length, 0, 'no elements');
      equal(container.querySelectorAll('img, script').length, 0);
      equal((window as any).__mergeTagRan, 0, 'nothing ran');
    });

    it('takes path and fallback from an nt_mergetag entry property', async () => {
      runtimes.create({ defaults: { profile: makeProfile(undefined, { firstname: 'Grace' }) } });
      const container = mount('');
      const named = document.createElement('ctfl-merge-tag');
      named.entry = { fields: { nt_mergetag_id: 'traits_firstname', nt_fallback: 'there' } };
      const missing = document.createElement('ctfl-merge-tag');
      missing.entry = { fields: { nt_mergetag_id: 'traits.lastname', nt_fallback: 'friend' } };
      container.append(named, ' ', missing);
      await updated(named, missing);
      equal(shownText(container), 'Grace friend');
    });
  });

  describe(`<ctfl-flag> (${setup.name})`, () => {
    const change = (key: string, value: unknown, variantIndex = 1) => ({ key, type: 'Variable', value, meta: { experienceId: 'exp-flags-01', variantIndex } });

    it('shows a string flag as text and sends one flag view per value shown', async () => {
      const sdk = tracked([], { changes: [change('hero-cta', 'Buy now'), change('quiet-flag', 7)] });
      const container = mount('<ctfl-flag key="hero-cta" fallback="Learn more"></ctfl-flag> <ctfl-flag key="missing-flag" fallback="Fallback"></ctfl-flag> <ctfl-flag key="quiet-flag" no-track-views></ctfl-flag>');
      const flag = container.querySelector('ctfl-flag')!;
      await updated(...container.querySelectorAll('ctfl-flag'));
      equal(shownText(container), 'Buy now Fallback 7');
      flag.requestUpdate();
      container.append(flag); // re-connected: same value, no new view
      await updated(flag);
      const views = await waitForInsights(sdk, (e) => e.componentType === 'Variable');
      deepEqual(views.map((e) => [e.type, e.componentId, e.experienceId, e.variantIndex]), [['component', 'hero-cta', 'exp-flags-01', 1]],
        'one view of hero-cta, none of the no-track-views flag');
      // A runtime with another value for the flag: the element shows it and reports that view.
      const next = tracked([], { changes: [change('hero-cta', 'Learn more', 0)] });
      await updated(flag);
      equal(shownText(flag), 'Learn more');
      const nextViews = await waitForInsights(next, (e) => e.componentType === 'Variable');
      deepEqual(nextViews.map((e) => [e.componentId, e.variantIndex]), [['hero-cta', 0]]);
    });

    it('a boolean flag shows its content while true and hides it while false', async () => {
      tracked([], { changes: [change('banner-on', true), change('banner-off', { value: false })] });
      const container = mount('<ctfl-flag key="banner-on"><p>On banner</p></ctfl-flag><ctfl-flag key="banner-off"><p>Off banner</p></ctfl-flag>');
      await updated(...container.querySelectorAll('ctfl-flag'));
      equal(shownText(container), 'On banner');
      equal([...container.querySelectorAll('p')].filter((p) => p.getClientRects().length > 0).length, 1, 'one rendered');
    });

    it('a boolean flag whose value arrives later shows the author content, not the text "true"', async () => {
      runtimes.create(); // no changes known yet
      const container = mount('<ctfl-flag key="banner"><p>New banner</p></ctfl-flag>');
      const flag = container.querySelector('ctfl-flag')!;
      await updated(flag);
      equal(shownText(flag), '', 'hidden while unknown');
      tracked([], { changes: [change('banner', true)] }); // e.g. the runtime that loads later
      await updated(flag);
      equal(shownText(flag), 'New banner', 'the author content, not the text "true"');
      equal(flag.innerHTML, '<p>New banner</p>', 'the children as the author wrote them');
    });
  });

  describe(`bad input never breaks the page (${setup.name})`, () => {
    it('a <template> without data-variant-id is ignored, with one warning (E035)', async () => {
      tracked([selection(EXP, 0, { [B]: B })]);
      const el = entryIn(mount(`<ctfl-optimized-entry entry-id="${B}"><p>Baseline</p><template><p>Nameless</p></template></ctfl-optimized-entry>`));
      el.append(document.createElement('span'));
      await updated(el);
      equal(shownText(el), 'Baseline');
      equal(consoleSpy.withCode('E035').length, 1);
      equal(consoleSpy.warns.length, 1);
    });

    it('duplicate variant templates: the first is shown, with one warning (E032)', async () => {
      tracked();
      const el = entryIn(mount(`<ctfl-optimized-entry entry-id="${B}"><p>Baseline</p>
        <template data-variant-id="${V}"><p>First</p></template><template data-variant-id="${V}"><p>Second</p></template></ctfl-optimized-entry>`));
      el.append(document.createElement('span'));
      await updated(el);
      equal(shownText(el), 'First');
      equal(consoleSpy.withCode('E032').length, 1);
      equal(consoleSpy.warns.length, 1);
    });

    it('an entry property that is not a Contentful entry: content shown as is, one warning (E036)', async () => {
      tracked();
      const container = mount('');
      const bad = [{ sys: { id: 42 } }, { sys: { id: B }, fields: { nt_experiences: 'nope' } }, 'entry', [1, 2]];
      for (const value of bad) {
        const el = document.createElement('ctfl-optimized-entry');
        el.entry = value as never;
        el.innerHTML = '<p>Content</p>';
        container.append(el);
      }
      await updated(...container.children);
      equal(shownText(container), 'Content Content Content Content');
      equal(consoleSpy.withCode('E036').length, 1);
      equal(consoleSpy.warns.length, 1);
    });

    it('no entry-id and no entry: content shown as is, one warning (E030)', async () => {
      tracked();
      const container = mount('<ctfl-optimized-entry><p>Content</p></ctfl-optimized-entry><ctfl-optimized-entry><p>Content</p></ctfl-optimized-entry>');
      await updated(...container.children);
      equal(shownText(container), 'Content Content');
      equal(getComputedStyle(entryIn(container)).visibility, 'visible');
      equal(consoleSpy.withCode('E030').length, 1);
      equal(consoleSpy.warns.length, 1);
    });

    it('timeout="abc" uses the default timeout, with one warning (E037)', async () => {
      runtimes.create(); // pending: the timeout matters
      const clock = fakeClock(); // the anti-flicker timeout runs on this clock
      const container = mount(entryHtml('timeout="abc"') + entryHtml('timeout="abc"'));
      await clock.tickAsync(400);
      equal(getComputedStyle(entryIn(container)).visibility, 'hidden', 'still pending: not a 0 ms timeout');
      await clock.tickAsync(1599);
      equal(getComputedStyle(entryIn(container)).visibility, 'hidden', 'still pending just before 2000 ms');
      await clock.tickAsync(1);
      equal(getComputedStyle(entryIn(container)).visibility, 'visible', 'the baseline after the default 2000 ms');
      equal(consoleSpy.withCode('E037').length, 1);
      equal(consoleSpy.warns.length, 1);
    });

    it('an unreachable Experience API: baseline shown, one warning (E033), also after retries', async () => {
      const clock = fakeClock(); // the retry's backoff runs on this clock
      const sdk = runtimes.create({ api: { experienceBaseUrl: 'http://127.0.0.1:9' } }); // closed port
      let failures = 0;
      sdk.states.requestState.subscribe((r) => { if (r.status === 'failed') failures++; });
      const container = mount(entryHtml() + entryHtml('live'));
      void sdk.page();
      await waitFor(() => failures === 1, 4000, 'the failed request');
      equal(shownText(container), 'Baseline headline Baseline headline');
      equal(getComputedStyle(entryIn(container)).visibility, 'visible');
      await clock.tickAsync(1000); // the first retry's backoff (at most 1 s)
      await waitFor(() => failures === 2, 4000, 'the retry, failed again');
      equal(consoleSpy.withCode('E033').length, 1);
      equal(consoleSpy.warns.length, 1);
    });
  });
}

export type { ContentfulOptimization };
