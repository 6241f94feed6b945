// The elements inside code that owns their children, as frameworks do: the DOM calls React, Vue,
// Svelte and lit make (insertBefore with their own anchors, removeChild, moves, text updates), a
// real lit app, templates written the way JSX and Vue render functions write them (children on the
// template element), variant elements, headless entries, and how often entries decide again.
// The real React, Vue, Svelte and lit apps are in test/e2e/frameworks.test.mjs.
import { html, render } from 'lit';
import { ContentfulOptimization } from '../../src/browser/optimization.js';
import { defineElements } from '../../src/elements/index.js';
import type { EntryResolvedDetail, OptimizedEntryElement } from '../../src/elements/optimized-entry.js';
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { afterNextRender, clearBrowserState } from '../helpers/browser.js';
import {
  fakeClock, insightsOf, intersected, isView, makeProfile, mount, nextEvent, restoreClocks, runtimeFactory, selection, shownText, spyConsole,
  trapErrors, unmountAll, updated, waitForInsights,
} from '../helpers/elements.js';

defineElements();

const EXP = 'exp-fw-0001';
const B = 'entry-fw-baseline';
const V = 'entry-fw-variant';

const runtimes = runtimeFactory(() => ContentfulOptimization);
/** A runtime that knows its selections (variant `variant`, or the baseline), with event consent. */
const visitor = (variant: string | null = V, extra: Record<string, unknown> = {}) => runtimes.create({
  defaults: {
    consent: true, persistenceConsent: false, profile: makeProfile(),
    selectedOptimizations: [selection(EXP, variant === null ? 0 : 1, { [B]: variant ?? B })], ...extra,
  } as never,
});

/** An entry built with DOM calls, as a framework's renderer builds it: children first, then inserted. */
function entry(children: Node[], attrs: Record<string, string> = {}): OptimizedEntryElement {
  const el = document.createElement('ctfl-optimized-entry');
  el.setAttribute('entry-id', B);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}
const p = (text: string) => { const e = document.createElement('p'); e.textContent = text; return e; };
/** A template as JSX and Vue render functions make it: the children are on the template element itself. */
function jsxTemplate(id: string, children: Node[]): HTMLTemplateElement {
  const t = document.createElement('template');
  t.setAttribute('data-variant-id', id);
  for (const c of children) t.appendChild(c);
  return t;
}
/** A template as the HTML parser (or `template.content` calls) makes it. */
function parsedTemplate(id: string, markup: string): HTMLTemplateElement {
  const t = document.createElement('template');
  t.setAttribute('data-variant-id', id);
  t.innerHTML = markup;
  return t;
}
const rendered = (root: Element) => [...root.querySelectorAll('p, h2, button')].filter((e) => e.getClientRects().length > 0).map((e) => e.textContent);

let trap: ReturnType<typeof trapErrors>;
let consoleSpy: ReturnType<typeof spyConsole>;
beforeEach(async () => {
  await clearBrowserState();
  trap = trapErrors();
  consoleSpy = spyConsole();
});
afterEach(() => {
  restoreClocks();
  unmountAll();
  runtimes.destroyAll();
  consoleSpy.restore();
  trap.stop();
  deepEqual(trap.errors, [], 'uncaught errors in the page');
});

describe('<ctfl-optimized-entry> leaves the children a framework owns where they are', () => {
  it('while a variant shows, the baseline children stay in place (not rendered), and removing, inserting and reordering them works', async () => {
    visitor();
    const [a, b, c] = [p('Baseline a'), p('Baseline b'), p('Baseline c')];
    const el = entry([a, b, c, parsedTemplate(V, '<p>Variant</p>')]);
    mount('').append(el);
    equal(shownText(el), 'Variant');
    ok([a, b, c].every((n) => n.parentNode === el), 'the baseline nodes are still the element\'s children');
    // What a keyed list update does: remove one, move one, insert one before a node of its own.
    el.removeChild(b);
    el.insertBefore(c, a);
    const d = p('Baseline d');
    el.insertBefore(d, a);
    a.textContent = 'Baseline a, updated';
    await updated(el);
    equal(shownText(el), 'Variant', 'still only the variant shows');
    deepEqual(rendered(el), ['Variant']);
  });

  it('changes made to the baseline while a variant showed are what shows when a live entry goes back to the baseline', async () => {
    const sdk = visitor();
    const [a, b] = [p('First'), p('Second')];
    const el = entry([a, b, parsedTemplate(V, '<p>Variant</p>')], { live: '' });
    mount('').append(el);
    equal(shownText(el), 'Variant');
    el.insertBefore(b, a); // reorder
    el.append(p('Third'));
    b.textContent = 'Second, updated';
    sdk.setOverrides(() => ({ selectedOptimizations: [selection(EXP, 0, { [B]: B })] }));
    await updated(el);
    deepEqual(rendered(el), ['Second, updated', 'First', 'Third']);
    sdk.setOverrides(undefined);
    await updated(el);
    equal(shownText(el), 'Variant');
  });

  it('while the baseline shows, children a framework inserts render before the next paint, in its order', async () => {
    visitor(null);
    const a = p('a');
    const el = entry([a, parsedTemplate(V, '<p>Variant</p>')]);
    mount('').append(el);
    el.insertBefore(p('before a'), a);
    el.append(p('after a'));
    await Promise.resolve(); // mutation observers run in this microtask, before any paint
    deepEqual(rendered(el), ['before a', 'a', 'after a']);
  });

  it('a template written by JSX or a Vue render function (children on the template element) shows those very nodes: their listeners and updates work', async () => {
    visitor();
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Buy now';
    let clicks = 0;
    button.addEventListener('click', () => { clicks++; }); // a framework's event handler on its own node
    const el = entry([p('Baseline'), jsxTemplate(V, [p('Variant'), button])]);
    mount('').append(el);
    equal(shownText(el), 'Variant Buy now');
    ok(button.getClientRects().length > 0, 'the framework\'s own button is rendered');
    button.click();
    equal(clicks, 1);
    button.textContent = 'Buy now, 10% off'; // a re-render of the variant's content
    button.before(p('New line'));
    equal(shownText(el), 'Variant New line Buy now, 10% off');
  });

  it('an element with data-variant-id (not a template) is a variant: hidden until selected, then shown as it is', async () => {
    visitor();
    const variant = document.createElement('section');
    variant.setAttribute('data-variant-id', V);
    variant.hidden = true; // what an author writes so that it never shows before the element upgrades
    variant.append(p('Variant section'));
    const other = document.createElement('section');
    other.setAttribute('data-variant-id', 'entry-fw-other');
    other.append(p('Other section'));
    const el = entry([p('Baseline'), variant, other]);
    mount('').append(el);
    equal(shownText(el), 'Variant section');
    equal(variant.hidden, true, 'its attributes are the author\'s');
    variant.append(p('More'));
    equal(shownText(el), 'Variant section More');
  });

  it('a baseline with a variant element but shown as the baseline hides the variant elements', () => {
    visitor(null);
    const other = document.createElement('div');
    other.setAttribute('data-variant-id', V);
    other.append(p('Variant div'));
    const el = entry([p('Baseline'), other]);
    mount('').append(el);
    equal(shownText(el), 'Baseline');
  });

  it('a variant cloned from a parsed template is the element\'s own: a framework wiping the children (textContent) gets it back', async () => {
    visitor();
    const el = entry([p('Baseline'), parsedTemplate(V, '<p>Variant</p>')]);
    mount('').append(el);
    el.textContent = 'Framework text'; // e.g. React setting string children
    el.append(parsedTemplate(V, '<p>Variant again</p>'));
    await updated(el);
    equal(shownText(el), 'Variant again');
  });
});

describe('a real lit app renders into <ctfl-optimized-entry>', () => {
  it('renders, re-renders, reorders, removes and unmounts the baseline while the variant shows; lit\'s updates land where lit expects', async () => {
    const sdk = visitor(V, { selectedOptimizations: [selection(EXP, 1, { [B]: V })] });
    const host = mount('');
    const view = (items: string[], label: string, shown = true) => html`${shown ? html`
      <ctfl-optimized-entry entry-id=${B} live>
        ${items.map((i) => html`<p>${i}</p>`)}
        <template data-variant-id=${V}><p>Variant</p></template>
      </ctfl-optimized-entry>` : ''}<p class="label">${label} <ctfl-flag key="fw-flag" fallback="no flag"></ctfl-flag></p>`;
    render(view(['a', 'b', 'c'], 'one'), host);
    const el = host.querySelector('ctfl-optimized-entry')!;
    await updated(el, host.querySelector('ctfl-flag')!); // the flag renders in a microtask
    equal(shownText(host), 'Variant one no flag');
    render(view(['c', 'a', 'b', 'd'], 'two'), host); // reorder and add
    render(view(['c', 'b'], 'three'), host); // remove
    equal(shownText(host), 'Variant three no flag');
    deepEqual([...el.querySelectorAll(':scope > p')].map((n) => n.textContent), ['Variant', 'c', 'b'], 'lit\'s nodes are still the entry\'s children, in lit\'s order, after the element\'s own clone');
    sdk.setOverrides(() => ({ selectedOptimizations: [selection(EXP, 0, { [B]: B })] }));
    await updated(el);
    equal(shownText(el), 'c b', 'the baseline lit kept up to date shows');
    render(view(['c', 'b'], 'four', false), host); // unmount
    equal(host.querySelector('ctfl-optimized-entry'), null);
    equal(shownText(host), 'four no flag');
  });
});

describe('<ctfl-flag> and <ctfl-merge-tag> leave their children to the framework', () => {
  it('a merge tag shows the value in its own shadow root; the children (a fallback a framework rendered) stay as they are and show without a value', async () => {
    const sdk = runtimes.create({ defaults: { profile: makeProfile(undefined, { firstname: 'Ada' }) } });
    const host = mount('Hi <ctfl-merge-tag path="traits.firstname"><b>friend</b></ctfl-merge-tag> and <ctfl-merge-tag path="traits.lastname"><b>friend</b></ctfl-merge-tag>!');
    const [known, missing] = host.querySelectorAll('ctfl-merge-tag');
    await updated(known!, missing!);
    equal(shownText(host), 'Hi Ada and friend!');
    equal(known!.innerHTML, '<b>friend</b>', 'the children are untouched');
    missing!.querySelector('b')!.textContent = 'pal'; // a framework updating its fallback
    await updated(missing!);
    equal(shownText(host), 'Hi Ada and pal!');
    sdk.reset();
    await updated(known!, missing!);
    equal(shownText(host), 'Hi friend and pal!');
  });

  it('a flag shows its value in its shadow root and a boolean flag\'s content is the framework\'s own nodes', async () => {
    const change = (key: string, value: unknown) => ({ key, type: 'Variable', value, meta: { experienceId: 'exp-fw-flags', variantIndex: 1 } });
    runtimes.create({ defaults: { changes: [change('cta', 'Buy now'), change('banner', true)] } as never });
    const banner = p('Banner');
    const host = mount('<ctfl-flag key="cta" fallback="Learn more"><span>framework text</span></ctfl-flag> <ctfl-flag key="banner"></ctfl-flag>');
    host.querySelectorAll('ctfl-flag')[1]!.append(banner);
    await updated(...host.querySelectorAll('ctfl-flag'));
    equal(shownText(host), 'Buy now Banner');
    equal(host.querySelector('ctfl-flag')!.innerHTML, '<span>framework text</span>');
    ok(banner.getClientRects().length > 0, 'the framework\'s own node is rendered');
    banner.textContent = 'Banner, updated';
    equal(shownText(host), 'Buy now Banner, updated');
  });

  it('flag-key names the flag where a framework keeps `key` for itself (React, Vue)', async () => {
    runtimes.create({ defaults: { changes: [{ key: 'cta', type: 'Variable', value: 'Buy now', meta: { experienceId: 'exp-fw-flags', variantIndex: 1 } }] } as never });
    const host = mount('<ctfl-flag flag-key="cta" fallback="Learn more"></ctfl-flag>');
    await updated(host.querySelector('ctfl-flag')!);
    equal(shownText(host), 'Buy now');
  });
});

describe('<ctfl-optimized-entry headless>', () => {
  it('renders nothing of its own: the app\'s children show as they are, and the decision comes as a property and a ctfl-decision event', async () => {
    visitor();
    const container = mount('');
    const el = entry([p('What the app renders'), parsedTemplate(V, '<p>Variant</p>')], { headless: '' });
    const decided = nextEvent<CustomEvent<EntryResolvedDetail>>(container, 'ctfl-decision');
    container.append(el);
    const { detail } = await decided;
    deepEqual([detail.entryId, detail.experienceId, detail.variantIndex], [V, EXP, 1]);
    equal(el.decision?.entryId, V);
    equal(el.shadowRoot, null, 'no shadow root');
    equal(el.querySelectorAll('p').length, 1, 'nothing inserted');
    equal(shownText(el), 'What the app renders');
  });

  it('tracks views of what the app rendered, with the decision\'s metadata', async () => {
    const sdk = visitor();
    const clock = fakeClock(); // the view's second passes on this clock
    const el = entry([p('The app\'s variant')], { headless: '' });
    mount('').append(el);
    await intersected(el);
    await clock.tickAsync(1000);
    const [view] = await waitForInsights(sdk, isView(V));
    deepEqual([view.experienceId, view.variantIndex], [EXP, 1]);
  });

  it('optimization.resolveOptimizedEntry() gives the same decision (and one for given selected optimizations)', () => {
    const sdk = visitor();
    deepEqual(sdk.resolveOptimizedEntry(B), sdk.resolveEntry(B));
    equal(sdk.resolveOptimizedEntry(B).entryId, V);
    equal(sdk.resolveOptimizedEntry(B, [selection(EXP, 0, { [B]: B })]).entryId, B);
    equal(sdk.resolveOptimizedEntry(B, []).variantIndex, 0);
  });
});

describe('<ctfl-optimized-entry> decides again only when what it shows can change', () => {
  it('views, clicks and other events flowing in make no entry decide again; a new selection does', async () => {
    const sdk = visitor(null);
    const container = mount('');
    for (let i = 0; i < 50; i++) container.append(entry([p(`Baseline ${i}`), parsedTemplate(V, `<p>Variant ${i}</p>`)], { live: '', 'no-track-views': '' }));
    await updated(...container.children); // the elements' first updates
    let resolutions = 0;
    const resolve = sdk.resolveEntry.bind(sdk);
    sdk.resolveEntry = (e) => { resolutions++; return resolve(e); };
    for (let i = 0; i < 20; i++) void sdk.trackView({ componentId: `fw-view-${i}`, viewId: `v${i}`, viewDurationMs: 1000 });
    void sdk.trackClick({ componentId: 'fw-click' });
    await updated(...container.children); // an update the events asked for would be done now
    equal(resolutions, 0, 'no re-render for events');
    sdk.setOverrides(() => ({ selectedOptimizations: [selection(EXP, 1, { [B]: V })] }));
    equal(resolutions, 50, 'one per entry for a change of what they show');
    equal(shownText(container.lastElementChild!), 'Variant 49');
    ok((await insightsOf(sdk)).length >= 21, 'the events were sent');
  });
});

describe('reviewed edge cases of framework rendering', () => {
  it('a JSX template that starts empty renders the children the framework adds to it later (a Suspense or data-dependent branch)', async () => {
    visitor();
    const t = jsxTemplate(V, []);
    const el = entry([p('Baseline'), t]);
    mount('').append(el);
    await updated(el);
    const button = document.createElement('button');
    button.textContent = 'Loaded';
    t.append(button); // the framework fills its own template element once its data arrived
    await updated(el);
    deepEqual(rendered(el), ['Loaded']);
  });

  it('a flag inside the baseline that does not show sends no flag view; it does once the baseline shows', async () => {
    const changes = [{ key: 'cta-fw', type: 'Variable', value: 'Buy', meta: { experienceId: 'exp-flag', variantIndex: 1 } }];
    const sdk = visitor(V, { changes });
    const inBaseline = document.createElement('ctfl-flag');
    inBaseline.setAttribute('key', 'cta-fw');
    const el = entry([inBaseline, parsedTemplate(V, '<p>Variant</p>')], { live: '' });
    mount('').append(el);
    await updated(el, inBaseline);
    await afterNextRender(); // its box (none) observed: a flag view would have been made by now
    await sdk.flush();
    equal((await insightsOf(sdk)).filter(isView('cta-fw')).length, 0, 'not rendered: not seen');
    // The visitor's own decision becomes the baseline (the runtime that loads next selects it): the
    // live entry shows it, and the flag in it is seen now. Not a preview override, whose branches
    // send no flag views (preview-flag-views.test.ts).
    const next = visitor(null, { changes });
    const views = await waitForInsights(next, isView('cta-fw'));
    equal(views.length, 1);
  });

  it('a flag in the baseline that shows is tracked once', async () => {
    const sdk = visitor(null, { changes: [{ key: 'cta-fw2', type: 'Variable', value: 'Buy', meta: { experienceId: 'exp-flag', variantIndex: 1 } }] });
    const flag = document.createElement('ctfl-flag');
    flag.setAttribute('key', 'cta-fw2');
    mount('').append(entry([flag, parsedTemplate(V, '<p>Variant</p>')]));
    const views = await waitForInsights(sdk, isView('cta-fw2'));
    equal(views.length, 1);
  });

  it('an element a framework reuses for another entry starts over: its first view of the new entry is sticky again', async () => {
    const sdk = runtimes.create({
      defaults: {
        consent: true, persistenceConsent: false, profile: makeProfile(),
        selectedOptimizations: [selection(EXP, 1, { [B]: V }, true), selection('exp-fw-0002', 1, { 'entry-fw-b2': 'entry-fw-v2' }, true)],
      } as never,
    });
    const el = entry([p('Baseline'), parsedTemplate(V, '<p>Variant</p>'), parsedTemplate('entry-fw-v2', '<p>Variant two</p>')]);
    mount('').append(el);
    equal(shownText(el), 'Variant');
    el.setAttribute('entry-id', 'entry-fw-b2'); // the same element, now another entry (a route change)
    await updated(el);
    equal(shownText(el), 'Variant two');
    equal(el.dataset.ctflEntryId, 'entry-fw-v2');
    void sdk;
  });
});

describe('the elements\' base class', () => {
  it('a property set before the element is defined wins over its attribute, as in lit', async () => {
    const name = `ctfl-base-probe-${Math.random().toString(36).slice(2, 7)}`;
    const el = document.createElement(name) as HTMLElement & { timeout?: number };
    el.setAttribute('timeout', '3000');
    el.timeout = 5;
    mount('').append(el);
    const { BaseElement } = await import('../../src/elements/base.js');
    class Probe extends BaseElement {
      static override properties = { timeout: { type: Number } };
      declare timeout: number | undefined;
    }
    customElements.define(name, Probe);
    await (el as unknown as Probe).updateComplete;
    equal(el.timeout, 5);
    el.removeAttribute('timeout');
    await (el as unknown as Probe).updateComplete;
    equal(el.timeout, null, 'a Number attribute removed reads null, as in lit');
  });

  it('a subclass keeps its parent\'s declared properties', async () => {
    const { BaseElement } = await import('../../src/elements/base.js');
    class Parent extends BaseElement { static override properties: typeof BaseElement.properties = { key: { type: String } }; declare key: string | undefined; }
    class Child extends Parent { static override properties = { other: { type: Boolean } }; declare other: boolean; }
    const name = `ctfl-base-child-${Math.random().toString(36).slice(2, 7)}`;
    customElements.define(name, Child);
    const el = document.createElement(name) as unknown as Child;
    el.setAttribute('key', 'k');
    el.setAttribute('other', '');
    deepEqual([el.key, el.other], ['k', true]);
  });
});
