// <ctfl-preview-panel> from source: opening it with optimization.preview(), what it shows (live),
// each override changing the page's elements, closing and clearing, what stays in the visitor's
// browser and what reaches the emulator, and accessibility (axe-core, keyboard, 320 px).
// Real Chromium, the real emulator (demo space); each test has its own organization and runtime.
import { sendKeys } from '@web/test-runner-commands';
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { PREVIEW_SESSION_KEY } from '../../src/browser/overrides.js';
import { defineElements } from '../../src/elements/index.js';
import type { PreviewPanelElement } from '../../src/elements/preview-panel.js';
import { deepEqual, equal, notEqual, ok } from '../helpers/assert.js';
import { clearBrowserState, fakeClock, restoreClocks, uniqueOrg, watchFetch } from '../helpers/browser.js';
import { EMULATOR } from '../helpers/browser.js';
import { intersected, waitForInsights } from '../helpers/elements.js';
import {
  insightsOf, makeProfile, mount, requestsFor, runtimeFactory, selection, shownText, spyConsole, trapErrors, unmountAll, updated, waitFor,
} from '../helpers/elements.js';
import {
  button, choose, control, durableState, EXPERIENCES, HERO, heroEntry, openFixture, panelText, PROMO, rowOf, setFlagText, TEASER,
} from '../helpers/preview.js';

defineElements();
const runtimes = runtimeFactory(() => ContentfulOptimization);

const teaserHtml = `
  <ctfl-optimized-entry entry-id="${TEASER.baseline}" class="teaser">
    <h2>Meet the new dashboard</h2>
    <template data-variant-id="${TEASER.variant}"><h2>Your data, one click away</h2></template>
  </ctfl-optimized-entry>`;
const heroHtml = `
  <ctfl-optimized-entry entry-id="${HERO.baseline}" class="hero">
    <h1>Personalization without the wait</h1>
    <template data-variant-id="${HERO.variant}"><h1>Plans that grow with you</h1></template>
  </ctfl-optimized-entry>`;
const TEASER_TEXT = ['Meet the new dashboard', 'Your data, one click away'];

/** A visitor with event and persistence consent whose first page() has been answered by the emulator. */
async function visitor(config: Record<string, unknown> = {}) {
  const sdk = runtimes.create({ defaults: { consent: true }, ...config });
  const res = await sdk.page();
  ok(res.data, 'the emulator answered page()');
  return sdk;
}

/** Waits until the teaser shows the given variant index (0 or 1). */
const teaserShows = (root: ParentNode, index: number) =>
  waitFor(() => root.querySelector<HTMLElement>('.teaser')?.dataset.ctflVariantIndex === String(index), 4000, `the teaser at variant ${index}`);

let trap: ReturnType<typeof trapErrors>;

describe('<ctfl-preview-panel> (source)', () => {
  beforeEach(async () => {
    await clearBrowserState();
    trap = trapErrors();
  });

  afterEach(() => {
    restoreClocks();
    document.querySelector('ctfl-preview-panel')?.remove();
    unmountAll();
    runtimes.destroyAll();
    trap.stop();
    deepEqual(trap.errors, [], 'uncaught errors in the page');
  });

  it('optimization.preview() loads the panel on demand and resolves with it, focused', async () => {
    equal(customElements.get('ctfl-preview-panel'), undefined, 'not defined before it is asked for');
    const sdk = await visitor();
    const panel = await sdk.preview();
    ok(customElements.get('ctfl-preview-panel'), 'the dynamic import defined it');
    equal(panel, document.querySelector('ctfl-preview-panel'), 'one panel, in the page');
    equal(panel.shadowRoot!.activeElement?.tagName, 'H2', 'focus moved to its heading');
    equal(await sdk.preview(), panel, 'asking again gives the same panel');
    equal(document.querySelectorAll('ctfl-preview-panel').length, 1);
    ok(sessionStorage.getItem(PREVIEW_SESSION_KEY) !== null, 'a preview session for this tab');
  });

  it('shows profile, consent, selections with their variants, flags, queues, blocked events and the last request, live', async () => {
    const sdk = runtimes.create({ defaults: { persistenceConsent: false } });
    await sdk.trackClick({ componentType: 'Entry', componentId: 'x', variantIndex: 0 }); // no consent yet: blocked
    await sdk.page();
    mount(teaserHtml);
    const panel = await sdk.preview();
    const profile = sdk.state.profile!;
    const own = sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!;
    const text = panelText(panel);
    ok(text.includes(profile.id), 'the profile id');
    ok(text.includes(`Event consent not decided`), text);
    ok(text.includes('Persistence consent denied'), text);
    ok(text.includes(TEASER.experience), 'the teaser experience');
    ok(/Last Experience request success/.test(text), text);
    ok(text.includes('Blocked events 1'), text);
    ok(text.includes('trackClick() → component_click: consent'), text);
    ok(/Queued events Experience 0, Insights 0/.test(text), text);
    ok(text.includes('Sessions 1'), 'session statistics');
    ok(text.includes(`Visitor's own: ${own.variantIndex === 0 ? 'Baseline' : `Variant 1 (${TEASER.variant})`}`), text);
    const select = control(panel, TEASER.experience);
    deepEqual([...select.options].map((o) => o.textContent!.trim()), ["Visitor's own", 'Baseline', `Variant 1 (${TEASER.variant})`],
      'the variants of the experience (from the page\'s template, without a content model)');
    const flag = sdk.getFlag('hero-cta');
    ok(text.includes(`hero-cta Visitor's own: ${flag}`), text);
    // Live: consent and a new trait reach the panel without reopening it.
    sdk.consent(true);
    await panel.updateComplete;
    ok(panelText(panel).includes('Event consent granted'), panelText(panel));
    await sdk.identify({ userId: 'ada', traits: { firstname: 'Ada <b>Lovelace</b>' } });
    await panel.updateComplete;
    ok(panelText(panel).includes('firstname Ada <b>Lovelace</b>'), 'traits are shown as text');
    equal(panel.shadowRoot!.querySelector('b'), null, 'never as markup');
  });

  it('forcing a variant changes the entry at once, marks it, and clearing restores the visitor\'s own', async () => {
    const sdk = await visitor();
    const root = mount(teaserHtml);
    const el = root.querySelector<HTMLElement>('.teaser')!;
    const own = sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!.variantIndex;
    await teaserShows(root, own);
    const ownText = shownText(el);
    const panel = await sdk.preview();
    const other = own === 0 ? 'Variant 1' : 'Baseline';
    await choose(panel, TEASER.experience, other);
    equal(el.dataset.ctflVariantIndex, String(1 - own), 'the other variant, at once');
    equal(shownText(el), TEASER_TEXT[1 - own]);
    ok(el.hasAttribute('data-ctfl-override'), 'the element is marked');
    ok(rowOf(panel, TEASER.experience).textContent!.includes('override'), 'and so is the panel row');
    ok(panelText(panel).includes('1 override on'), panelText(panel));
    deepEqual(sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!.variantIndex, own,
      'the visitor\'s own selections are unchanged');
    button(panel, 'Clear overrides').click();
    await panel.updateComplete;
    equal(shownText(el), ownText, 'back to the visitor\'s own decision');
    equal(el.hasAttribute('data-ctfl-override'), false);
    ok(panelText(panel).includes('No overrides'), panelText(panel));
    ok(panel.isConnected, 'clearing keeps the panel open');
  });

  it('forcing a flag value changes <ctfl-flag> at once; text or JSON', async () => {
    const sdk = await visitor();
    const root = mount('<ctfl-flag key="hero-cta" fallback="Learn more"></ctfl-flag> <ctfl-flag key="json-flag" fallback="none"></ctfl-flag>');
    const flag = root.querySelector<HTMLElement>('ctfl-flag')!;
    const own = sdk.getFlag('hero-cta');
    await waitFor(() => shownText(flag) === own, 4000, 'the visitor\'s flag value');
    const panel = await sdk.preview();
    await setFlagText(panel, 'hero-cta', 'Preview <i>CTA</i>');
    equal(shownText(flag), 'Preview <i>CTA</i>', 'the forced value, as text');
    equal(flag.querySelector('i'), null);
    ok(flag.hasAttribute('data-ctfl-override'));
    ok(rowOf(panel, 'hero-cta').textContent!.includes('override'));
    equal(sdk.state.changes!.find((c) => c.key === 'hero-cta')!.value, own, 'the visitor\'s changes are unchanged');
    // A flag the page uses but the visitor has no value for, forced with JSON.
    const json = root.querySelectorAll<HTMLElement>('ctfl-flag')[1]!;
    equal(shownText(json), 'none');
    await setFlagText(panel, 'json-flag', '{"flag":true}');
    equal(shownText(json), '{"flag":true}');
    equal(json.dataset.ctflFlagValue, '{"flag":true}');
    button(panel, 'Close').click();
    await updated(flag, json); // flags update in a microtask
    equal(shownText(flag), own, 'closing restores the visitor\'s value');
    equal(shownText(json), 'none');
    equal(flag.hasAttribute('data-ctfl-override'), false);
  });

  it('an audience forced on applies its experience (its distribution picks the variant); off shows the baseline', async () => {
    const sdk = await visitor();
    ok(!sdk.state.profile!.audiences.includes(HERO.audience), 'a new visitor is not a pricing visitor');
    const root = mount(heroHtml);
    const hero = root.querySelector<HTMLElement>('.hero')!;
    await waitFor(() => hero.dataset.ctflVariantIndex === '0', 4000, 'the hero baseline');
    const panel = await sdk.preview();
    panel.experiences = EXPERIENCES; // the page's content model: which experience needs which audience
    await panel.updateComplete;
    ok(panelText(panel).includes('Pricing visitors'), 'audiences by name');
    await choose(panel, 'Pricing visitors', 'On');
    equal(hero.dataset.ctflVariantIndex, '1', 'the hero experience applies ([0, 1]: its variant)');
    equal(hero.dataset.ctflExperienceId, HERO.experience);
    equal(shownText(hero), 'Plans that grow with you');
    ok(hero.hasAttribute('data-ctfl-override'));
    ok(rowOf(panel, 'Hero for pricing visitors').textContent!.includes('from the audience override'), 'the experience row says why');
    await choose(panel, 'Pricing visitors', 'Off');
    equal(shownText(hero), 'Personalization without the wait');
    equal(hero.hasAttribute('data-ctfl-override'), false, 'the baseline is this visitor\'s own decision too');
    deepEqual(sdk.state.profile!.audiences.includes(HERO.audience), false, 'the profile is unchanged');
  });

  it('an audience the visitor is in, forced off, shows the baseline; an entry with nt_experiences too', async () => {
    const sdk = await visitor();
    await sdk.identify({ userId: 'ada', traits: { plan: 'pro' } }); // the pricing visitors audience: plan is pro
    ok(sdk.state.profile!.audiences.includes(HERO.audience), 'now a pricing visitor');
    const root = mount(`${heroHtml}<ctfl-optimized-entry class="json"></ctfl-optimized-entry>`);
    const hero = root.querySelector<HTMLElement>('.hero')!;
    const json = root.querySelector<HTMLElement & { entry: unknown }>('.json')!;
    json.entry = heroEntry(); // the content model comes with the entry: no `experiences` needed
    await waitFor(() => hero.dataset.ctflVariantIndex === '1' && json.dataset.ctflVariantIndex === '1', 4000, 'the hero variant');
    const panel = await sdk.preview();
    await choose(panel, 'Pricing visitors', 'Off');
    for (const el of [hero, json]) {
      equal(el.dataset.ctflVariantIndex, '0', 'the baseline');
      ok(el.hasAttribute('data-ctfl-override'));
    }
    equal(shownText(hero), 'Personalization without the wait');
    ok(rowOf(panel, 'Pricing visitors').textContent!.includes('in this audience'), 'the visitor\'s own membership is shown');
    panel.close();
    equal(hero.dataset.ctflVariantIndex, '1', 'closing restores the visitor\'s own decision');
    equal(json.dataset.ctflVariantIndex, '1');
  });

  it('overrides never reach an API, storage or cookies; overridden elements send no views, clicks or flag views', async () => {
    const sdk = await visitor({ defaults: { consent: true, persistenceConsent: true } });
    const org = sdk.config.clientId;
    const clock = fakeClock(); // views' seconds pass on this clock
    const root = mount(`
      <ctfl-optimized-entry entry-id="${TEASER.baseline}" class="teaser">
        <h2>Meet the new dashboard</h2> <button type="button">See it</button>
        <template data-variant-id="${TEASER.variant}"><h2>Your data, one click away</h2> <button type="button">Open it</button></template>
      </ctfl-optimized-entry>
      <ctfl-optimized-entry entry-id="${PROMO.baseline}" class="promo"><p>First time here?</p></ctfl-optimized-entry>
      <ctfl-flag key="hero-cta" fallback="Learn more"></ctfl-flag>`);
    const teaser = root.querySelector<HTMLElement>('.teaser')!;
    const own = sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!.variantIndex;
    await teaserShows(root, own);
    await sdk.flush();
    const before = durableState();
    ok(before.localStorage['__ctfl_opt_selected-optimizations__'], 'the visitor\'s selections are stored');
    const sentBefore = (await requestsFor(org)).length;

    const panel = await sdk.preview();
    panel.experiences = EXPERIENCES;
    await choose(panel, TEASER.experience, own === 0 ? 'Variant 1' : 'Baseline');
    await setFlagText(panel, 'hero-cta', 'Preview-only CTA');
    await choose(panel, 'Pricing visitors', 'On');
    ok(teaser.hasAttribute('data-ctfl-override'));
    deepEqual(durableState(), before, 'localStorage and cookies are unchanged by overrides');
    // What the visitor's own decisions sent before the overrides (a view may have started) is theirs.
    const seen = new Set((await insightsOf(sdk)).map((e) => e.messageId));

    // The visitor keeps browsing: views (1 s in view), a click, a page view, a custom event.
    await clock.tickAsync(1300);
    teaser.querySelector('button')!.click();
    await sdk.page();
    await sdk.track({ event: 'preview-test' });
    const insights = (await insightsOf(sdk)).filter((e) => !seen.has(e.messageId));
    const requests = (await requestsFor(org)).slice(sentBefore);
    ok(requests.length >= 2, 'requests still flow');
    const forced = own === 0 ? TEASER.variant : TEASER.baseline; // the entry id the override shows
    for (const r of requests) {
      const body = JSON.stringify(r.body);
      ok(!body.includes('Preview-only CTA'), `a flag override in ${r.path}`);
      ok(!body.includes(PREVIEW_SESSION_KEY), `the preview session in ${r.path}`);
      ok(!body.includes(HERO.experience) && !body.includes(HERO.audience), `the audience override in ${r.path}`);
      ok(!body.includes(forced), `the forced variant in ${r.path}`);
    }
    ok(!insights.some((e) => e.componentId === TEASER.baseline || e.componentId === TEASER.variant), 'no view or click of the overridden teaser');
    ok(!insights.some((e) => e.componentType === 'Variable' && e.componentId === 'hero-cta'), 'no flag view of the overridden flag');
    ok(insights.some((e) => e.type === 'component' && e.componentId === PROMO.baseline), 'an element without an override is tracked as usual');
    const stored = JSON.parse(localStorage.getItem('__ctfl_opt_selected-optimizations__')!);
    deepEqual(stored, sdk.state.selectedOptimizations, 'storage holds the API\'s selections');
    equal(stored.find((o: { experienceId: string }) => o.experienceId === TEASER.experience).variantIndex, own);
    ok(!stored.some((o: { experienceId: string }) => o.experienceId === HERO.experience), 'not the forced audience');
    ok(!JSON.stringify(durableState()).includes('Preview-only CTA'));
    ok(!document.cookie.includes('preview'));

    // Closed: the teaser is the visitor's own again, and tracked again.
    panel.close();
    equal(teaser.hasAttribute('data-ctfl-override'), false);
    await teaser.querySelector('button')!.click();
    await waitFor(async () => (await insightsOf(sdk)).some((e) => !seen.has(e.messageId) && e.type === 'component_click' && e.componentId === (own === 0 ? TEASER.baseline : TEASER.variant)),
      4000, 'a click on the visitor\'s own teaser is tracked again');
  });

  it('stored choices are validated: bad values are ignored and removed (E060)', async () => {
    const sdk = await visitor();
    const root = mount(teaserHtml);
    const own = sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!.variantIndex;
    await teaserShows(root, own);
    sessionStorage.setItem(PREVIEW_SESSION_KEY, JSON.stringify({
      variants: { [TEASER.experience]: 1 - own, bad: -1, worse: 'x', huge: 1e9, '': 1 },
      flags: { 'hero-cta': 'ok' },
      audiences: { [HERO.audience]: 'yes' },
      script: '<img src=x onerror=alert(1)>',
    }));
    const spy = spyConsole();
    try {
      await sdk.preview();
    } finally { spy.restore(); }
    equal(spy.withCode('E060').length, 1, spy.warns.join('\n'));
    deepEqual(JSON.parse(sessionStorage.getItem(PREVIEW_SESSION_KEY)!), {
      variants: { [TEASER.experience]: 1 - own }, flags: { 'hero-cta': 'ok' }, audiences: {},
    }, 'only the valid choices are kept');
    await teaserShows(root, 1 - own);
    // Not JSON at all: the record is replaced by an empty session.
    document.querySelector('ctfl-preview-panel')!.remove();
    sessionStorage.setItem(PREVIEW_SESSION_KEY, '{not json');
    await sdk.preview();
    deepEqual(JSON.parse(sessionStorage.getItem(PREVIEW_SESSION_KEY)!), { variants: {}, flags: {}, audiences: {} });
    await teaserShows(root, own);
  });

  it('keyboard: controls are reachable with Tab, Escape closes and gives focus back', async () => {
    const sdk = await visitor();
    const root = mount(`<button type="button" class="opener">Open preview</button>${teaserHtml}`);
    const teaser = root.querySelector<HTMLElement>('.teaser')!;
    const opener = root.querySelector<HTMLButtonElement>('.opener')!;
    const own = sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!.variantIndex;
    await teaserShows(root, own);
    opener.focus();
    const panel = await sdk.preview();
    equal(document.activeElement, panel);
    const select = control(panel, TEASER.experience);
    const visited: Element[] = [];
    for (let i = 0; i < 6 && visited.at(-1) !== select; i++) {
      await sendKeys({ press: 'Tab' });
      visited.push(panel.shadowRoot!.activeElement!);
    }
    deepEqual(visited.map((el) => el.textContent!.trim()).slice(0, 3), ['Hide details', 'Move to the left', 'Close'],
      'the header\'s buttons in order (Clear overrides is disabled without overrides)');
    equal(visited.at(-1), select, 'then the first experience');
    // Firefox makes a scrollable box a Tab stop of its own (so that a keyboard user can scroll it):
    // the panel's details, when they scroll, are the one other stop allowed on the way.
    const details = panel.shadowRoot!.querySelector<HTMLElement>('.body')!;
    for (const el of visited.slice(3, -1)) ok(el === details && details.scrollHeight > details.clientHeight, `an extra Tab stop: ${el.outerHTML.slice(0, 80)}`);
    // Moving it to the other corner keeps focus on the button.
    (visited[1] as HTMLButtonElement).focus();
    await sendKeys({ press: 'Enter' });
    await panel.updateComplete;
    equal(panel.getAttribute('side'), 'left');
    ok(panel.getBoundingClientRect().left === 0, 'in the bottom-left corner');
    equal(panel.shadowRoot!.activeElement?.textContent?.trim(), 'Move to the right');
    select.focus();
    // Pick the other variant with the keyboard: Visitor's own → Baseline → Variant 1.
    await sendKeys({ press: 'ArrowDown' });
    if (own === 0) await sendKeys({ press: 'ArrowDown' });
    await panel.updateComplete;
    await updated(teaser);
    equal(teaser.dataset.ctflVariantIndex, String(1 - own), `keyboard choice applied (${select.value})`);
    await sendKeys({ press: 'Escape' });
    equal(panel.isConnected, false, 'Escape closed the panel');
    equal(document.activeElement, opener, 'focus is back where it was');
    equal(teaser.dataset.ctflVariantIndex, String(own), 'and the visitor\'s own decision is back');
    equal(sessionStorage.getItem(PREVIEW_SESSION_KEY), null, 'the preview session ended');
  });

  it('has no axe-core violations, with overrides on', async () => {
    await loadAxe();
    const sdk = runtimes.create({
      defaults: {
        consent: true, persistenceConsent: false, profile: makeProfile(undefined, { firstname: 'Ada', plan: 'a-very-long-plan-name-without-any-spaces-at-all-0123456789' }),
        selectedOptimizations: [selection(TEASER.experience, 0, { [TEASER.baseline]: TEASER.baseline })],
        changes: [{ key: 'hero-cta', type: 'Variable', value: 'Learn more', meta: { experienceId: TEASER.experience, variantIndex: 0 } },
          { key: 'dark-mode', type: 'Variable', value: true, meta: { experienceId: TEASER.experience, variantIndex: 0 } }],
      } as never,
    });
    mount(teaserHtml);
    const panel = await sdk.preview();
    panel.experiences = EXPERIENCES;
    await choose(panel, TEASER.experience, 'Variant 1');
    await choose(panel, 'dark-mode', 'false');
    await choose(panel, 'Returning visitors', 'Off');
    await setFlagText(panel, 'hero-cta', 'Preview');
    const axe = (window as any).axe;
    const result = await axe.run(panel);
    deepEqual(result.violations.map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`), [], 'axe violations');
    ok(result.passes.length > 10, 'axe checked the panel');
    // Collapsed, too.
    button(panel, 'Hide details').click();
    await panel.updateComplete;
    equal((await axe.run(panel)).violations.length, 0);
    equal(button(panel, 'Show details').getAttribute('aria-expanded'), 'false');

    notEqual(getComputedStyle(panel).position, 'static');
  });

  it('stays usable on a page 320 px wide, with overrides on', async () => {
    // A page whose viewport is 320 px wide for real: the panel's page in a 320 × 640 frame. (Not the
    // browser window: WebKit's MiniBrowser window is never narrower than 447 px.)
    const f = await openFixture({ org: uniqueOrg('preview-320'), build: 'src', query: '?ctfl-preview', width: 320, height: 640 });
    await waitFor(() => f.win.optimization?.state?.profile, 8000, 'the visitor\'s profile');
    await f.win.optimization.identify({ traits: { firstname: 'Ada', plan: 'a-very-long-plan-name-without-any-spaces-at-all-0123456789' } });
    const panel = await f.panel();
    panel.experiences = EXPERIENCES;
    await choose(panel, TEASER.experience, 'Variant 1');
    await setFlagText(panel, 'hero-cta', 'Preview');
    await panel.updateComplete;
    equal(f.win.innerWidth, 320, 'the page is 320 px wide');
    const box = panel.getBoundingClientRect();
    ok(box.width <= 320 && box.left >= 0 && box.width > 300, `the panel fits 320 px (${box.left}–${box.right})`);
    const body = panel.shadowRoot!.querySelector<HTMLElement>('.body')!;
    ok(body.scrollWidth <= body.clientWidth, `no sideways scrolling (${body.scrollWidth} > ${body.clientWidth})`);
    for (const el of panel.shadowRoot!.querySelectorAll<HTMLElement>('select, input, button')) {
      const r = el.getBoundingClientRect();
      ok(r.right <= box.right + 0.5 && r.left >= box.left - 0.5, `${el.tagName} ${el.textContent?.trim()} inside the panel`);
    }
    ok(box.height <= 640, 'and fits the viewport\'s height (its details scroll)');
    // axe-core in the page itself (it checks the document it runs in).
    await new Promise<void>((resolve, reject) => {
      const s = f.doc.createElement('script');
      s.src = '/node_modules/axe-core/axe.min.js';
      s.onload = () => resolve();
      s.onerror = () => reject(new Error('could not load axe-core'));
      f.doc.head.append(s);
    });
    const result = await (f.win as any).axe.run(panel);
    deepEqual(result.violations.map((v: any) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`), [], 'no violations at 320 px either');
    f.frame.remove();
  });
});

/** axe-core's browser build, once per page. */
async function loadAxe(): Promise<void> {
  if ((window as any).axe) return;
  await new Promise<void>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/node_modules/axe-core/axe.min.js';
    s.onload = () => resolve();
    s.onerror = () => reject(new Error('could not load axe-core'));
    document.head.append(s);
  });
}

describe('<ctfl-preview-panel> experiment results from the emulator', () => {
  const goal = `preview-goal-${Math.random().toString(36).slice(2)}`;
  let goalsBefore: string[] = [];
  const setGoals = async (goals: string[]) => {
    const res = await fetch(`${EMULATOR}/_emulator/goals`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ goals }) });
    equal(res.status, 200);
  };

  beforeEach(async () => {
    await clearBrowserState();
    trap = trapErrors();
    goalsBefore = (await (await fetch(`${EMULATOR}/_emulator/goals`)).json()).goals;
    await setGoals([goal]);
  });

  afterEach(async () => {
    restoreClocks();
    document.querySelector('ctfl-preview-panel')?.remove();
    unmountAll();
    runtimes.destroyAll();
    trap.stop();
    await setGoals(goalsBefore);
    deepEqual(trap.errors, [], 'uncaught errors in the page');
  });

  it('shows visitors, views, clicks and the goal\'s conversions for the experiences on the page, live, as text', async () => {
    const sdk = await visitor();
    const clock = fakeClock(); // the view's second and the panel's results poll pass on this clock
    const root = mount(teaserHtml.replace('<h2>Meet the new dashboard</h2>', '<h2>Meet the new dashboard</h2> <button type="button">See it</button>')
      .replace('<h2>Your data, one click away</h2>', '<h2>Your data, one click away</h2> <button type="button">Open it</button>'));
    const own = sdk.state.selectedOptimizations!.find((o) => o.experienceId === TEASER.experience)!.variantIndex;
    await teaserShows(root, own);
    await intersected(teaser(root));
    await clock.tickAsync(1000);
    await waitForInsights(sdk, (e) => e.type === 'component' && e.experienceId === TEASER.experience, 1, 5000);
    await sdk.track({ event: goal });
    const panel = await sdk.preview();
    await waitFor(() => panelText(panel).includes('Results from the emulator'), 5000, 'the results section');
    const section = () => panel.shadowRoot!.querySelector<HTMLElement>('section.results')!;
    const label = own === 0 ? 'Baseline' : 'Variant 1';
    await waitFor(() => section().innerText.includes(`${label}: 1 of 1 (100.0 %)`), 5000, `the conversion in ${section().innerText}`);
    const text = section().innerText.replace(/\s+/g, ' ');
    ok(text.includes(`Goals: ${goal}`), text);
    ok(text.includes('Product teaser A/B test'), 'the teaser experience, by name');
    ok(text.includes(`${label} 1 visitor, 1 view, 0 clicks, 0 hovers`), text);
    ok(text.includes('Too few data to say anything yet'), 'one visitor says nothing yet');
    ok(!text.includes('Hide promo for returning visitors'), 'only experiences on the page');
    // Live: a click shows up without reopening the panel.
    (teaser(root).querySelector('button') as HTMLButtonElement).click();
    await sdk.flush();
    await clock.tickAsync(3000); // the panel asks again every 3 s
    await waitFor(() => section().innerText.replace(/\s+/g, ' ').includes(`${label} 1 visitor, 1 view, 1 click, 0 hovers`), 8000, 'the click');
    equal(section().querySelectorAll('a, button, input, select, [tabindex]').length, 0, 'nothing in the way of the keyboard');
  });

  it('is hidden when the page\'s API is not the emulator', async () => {
    // The test page's own origin answers 404 to /_emulator/results.
    const sdk = runtimes.create({ defaults: { consent: true }, api: { experienceBaseUrl: `${location.origin}/`, insightsBaseUrl: `${location.origin}/` } });
    const asked = watchFetch(`${location.origin}/_emulator/results?organization=`);
    const panel = await sdk.preview();
    await waitFor(() => performance.getEntriesByType('resource').some((r) => r.name.startsWith(`${location.origin}/_emulator/results?organization=`)),
      5000, 'the panel asked');
    await asked.read(); // the panel has taken in the answer
    asked.restore();
    await panel.updateComplete;
    equal(panel.shadowRoot!.querySelector('section.results'), null);
    ok(!panelText(panel).includes('Results from the emulator'));
  });

  // An API behind a path prefix: a static server answering under test/fixtures/results-api/ stands in for one.
  const prefixed = (name: string) => `${location.origin}/test/fixtures/results-api/${name}/`;

  it('asks under the API base URL\'s path, as the runtime\'s own requests do', async () => {
    const sdk = runtimes.create({ defaults: { consent: true }, api: { experienceBaseUrl: prefixed('ok'), insightsBaseUrl: prefixed('ok') } });
    const panel = await sdk.preview();
    panel.experiences = EXPERIENCES;
    await waitFor(() => panelText(panel).includes('Results from the emulator'), 5000, `the results section in ${panelText(panel)}`);
    const section = panel.shadowRoot!.querySelector<HTMLElement>('section.results')!;
    ok(section.innerText.includes('Product teaser A/B test'), section.innerText);
    ok(performance.getEntriesByType('resource').some((r) => r.name.startsWith(`${prefixed('ok')}_emulator/results?organization=`)), 'asked under the prefix');
  });

  it('hides an answer whose sample-ratio figures are not numbers, without an error', async () => {
    const sdk = runtimes.create({ defaults: { consent: true }, api: { experienceBaseUrl: prefixed('odd'), insightsBaseUrl: prefixed('odd') } });
    const asked = watchFetch(`${prefixed('odd')}_emulator/results?organization=`);
    const panel = await sdk.preview();
    panel.experiences = EXPERIENCES;
    await waitFor(() => performance.getEntriesByType('resource').some((r) => r.name.startsWith(`${prefixed('odd')}_emulator/results?organization=`)),
      5000, 'the panel asked');
    await asked.read(); // the panel has taken in the answer
    asked.restore();
    await panel.updateComplete;
    equal(panel.shadowRoot!.querySelector('section.results'), null);
    ok(panelText(panel).includes('Experiences'), 'the rest of the panel renders');
    deepEqual(trap.errors, [], 'nothing thrown while rendering');
  });
});

const teaser = (root: ParentNode) => root.querySelector<HTMLElement>('.teaser')!;
