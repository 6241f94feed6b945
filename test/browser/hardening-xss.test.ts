// Hardening (issue 9): a corpus of XSS payloads (test/fixtures/xss-payloads.json) in every place a
// value from a profile, the API, an entry or the page reaches the DOM — traits (merge tags), merge
// tag fallbacks and entries, Custom Flag values and keys, variant and experience ids, entry ids and
// entry fields — through defaults, real emulator answers and the server handoff, and through the
// server render and handoff helpers. A payload must never run (the page's global trap `__xss` is
// never called) and never become an element (every element added to the document during a case is
// one the test authored, or a clone of an authored template).
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  clearBrowserState, createRuntime, destroyRuntimes, injectFault, makeProfile, responseBody, waitFor, watchPageErrors,
} from '../helpers/browser.js';
import { imageSettled, updated } from '../helpers/elements.js';
import { defineElements } from '../../src/elements/index.js';
import { serializeOptimizationData } from '../../src/server/handoff.js';
import { renderOptimizedEntry } from '../../src/server/render.js';
import type { ContentfulOptimization } from '../../src/browser/optimization.js';
import type { OptimizedEntryElement } from '../../src/elements/optimized-entry.js';
import type { MergeTagElement } from '../../src/elements/merge-tag.js';
import type { FlagElement } from '../../src/elements/flag.js';

defineElements();

/** HTML cannot carry U+0000: the parser reads it (even as `&#0;`) as U+FFFD. */
const asParsed = (s: string) => s.replace(/\0/g, '\uFFFD');

interface Payload { name: string; payload: string }
const { payloads } = (await (await fetch(new URL('../fixtures/xss-payloads.json', import.meta.url))).json()) as { payloads: Payload[] };
const P = payloads.map((p) => p.payload);

declare global { interface Window { __xss: (...args: unknown[]) => void } }

/** Every call of the trap, with the case that was running. */
const hits: string[] = [];
let running = 'none';
window.__xss = () => { hits.push(running); };

/** Elements added anywhere in the document while a case runs (flushed with takeRecords). */
const observer = new MutationObserver(() => {});
observer.observe(document.documentElement, { childList: true, subtree: true });
const added = (): Element[] => observer.takeRecords().flatMap((r) => [...r.addedNodes])
  .flatMap((n) => (n instanceof Element ? [n, ...n.querySelectorAll('*')] : []));

/** Marks elements the test itself writes (and the markup of its templates). */
const AUTHORED = 'data-authored';
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.setAttribute(AUTHORED, '');
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); // attribute values, never markup
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Runs a case: what it adds to the document may only be authored elements (or `allowed` tags). */
async function xssCase(name: string, run: () => Promise<void>, allowed: (e: Element) => boolean = () => false): Promise<void> {
  running = name;
  added();
  await run();
  const stray = added().filter((e) => !e.hasAttribute(AUTHORED) && !allowed(e));
  deepEqual(stray.map((e) => e.outerHTML.slice(0, 120)), [], `${name}: elements the page did not author`);
  deepEqual(hits, [], `${name}: the trap was called`);
}

const container = () => { const c = el('div', { class: 'xss-fixture' }); document.body.append(c); return c; };
/** The text an element shows: merge tags and flags render it in their shadow root, as a text node. */
const shown = (e: Element) => (e.shadowRoot ?? e).textContent;
const elementsIn = (e: Element) => e.childElementCount + (e.shadowRoot?.childElementCount ?? 0);

/** Merge tags for traits.p0 … traits.pN, each showing exactly its payload as text. */
async function expectMergeTags(label: string) {
  const c = container();
  const tags = P.map((_, i) => c.appendChild(el('ctfl-merge-tag', { path: `traits.p${i}`, fallback: 'missing' })) as MergeTagElement);
  await updated(...tags);
  tags.forEach((t, i) => {
    equal(shown(t), P[i], `${label}: merge tag ${i} shows its payload as text`);
    equal(elementsIn(t), 0, `${label}: merge tag ${i} has no element children`);
  });
}

const traits = () => Object.fromEntries(P.map((p, i) => [`p${i}`, p]));
const flagChanges = () => P.flatMap((p, i) => [
  { key: `s${i}`, type: 'Variable', value: p, meta: { experienceId: `exp-${i}`, variantIndex: 1 } },
  { key: `w${i}`, type: 'Variable', value: { value: p }, meta: { experienceId: `exp-${i}`, variantIndex: 1 } },
  { key: `o${i}`, type: 'Variable', value: { html: p, list: [p] }, meta: { experienceId: p, variantIndex: 1 } },
  { key: p, type: 'Variable', value: `key-${i}`, meta: { experienceId: `exp-${i}`, variantIndex: 1 } },
]);

/** Flags showing each payload as a value, wrapped value, JSON object, fallback, and under a payload key. */
async function expectFlags(label: string) {
  const c = container();
  const rows = P.flatMap((p, i) => [
    [el('ctfl-flag', { key: `s${i}`, 'no-track-views': '' }), p],
    [el('ctfl-flag', { key: `w${i}`, 'no-track-views': '' }), p],
    [el('ctfl-flag', { key: `o${i}`, 'no-track-views': '' }), JSON.stringify({ html: p, list: [p] })],
    [el('ctfl-flag', { key: `none-${i}`, fallback: p, 'no-track-views': '' }), p],
    [el('ctfl-flag', { key: p, 'no-track-views': '' }), `key-${i}`],
  ] as Array<[FlagElement, string]>);
  for (const [f] of rows) c.append(f);
  await updated(...rows.map(([f]) => f));
  rows.forEach(([f, text], i) => {
    equal(shown(f), text, `${label}: flag ${i} shows its value as text`);
    equal(elementsIn(f), 0, `${label}: flag ${i} has no element children`);
  });
}

const selections = () => P.map((p, i) => ({ experienceId: p, variantIndex: 1, variants: { [`base-${i}`]: p, [p]: `var-${i}` } }));

/**
 * Entries whose selected variant id is a payload (no template for it: the baseline shows), entries
 * whose own id is a payload (their authored template, keyed by the payload, shows), and entries
 * whose experience id is a payload.
 */
async function expectEntries(label: string) {
  const c = container();
  const entries: Array<[OptimizedEntryElement, string]> = [];
  P.forEach((p, i) => {
    const a = el('ctfl-optimized-entry', { 'entry-id': `base-${i}`, 'no-track-views': '', timeout: '5000' }) as OptimizedEntryElement;
    a.append(el('p', {}, `baseline ${i}`));
    const t = el('template', { 'data-variant-id': `safe-${i}` });
    t.content.append(el('p', {}, `safe variant ${i}`));
    a.append(t);
    const b = el('ctfl-optimized-entry', { 'entry-id': p, 'no-track-views': '', timeout: '5000' }) as OptimizedEntryElement;
    b.append(el('p', {}, `baseline b${i}`));
    const tb = el('template', { 'data-variant-id': `var-${i}` });
    tb.content.append(el('p', {}, `variant b${i}`));
    b.append(tb);
    entries.push([a, `baseline ${i}`], [b, `variant b${i}`]);
    c.append(a, b);
  });
  await waitFor(() => entries.every(([e]) => e.dataset.ctflVariantIndex !== undefined), 5000, `${label}: decisions`);
  for (const [e, text] of entries) {
    equal(e.querySelector(':scope > p')?.textContent, text, `${label}: ${e.getAttribute('entry-id')!.slice(0, 30)} shows ${text}`);
    equal(e.dataset.ctflExperienceId !== undefined, true, `${label}: decided by the selection`);
  }
  ok(P.every((p) => entries.some(([e]) => e.dataset.ctflExperienceId === p)), `${label}: experience ids kept as attribute text`);
}

describe(`XSS (${P.length} payloads): never executed, never an element`, () => {
  let errors: ReturnType<typeof watchPageErrors>;
  before(() => { ok(P.length >= 50, `${P.length} payloads`); });
  beforeEach(async () => { await clearBrowserState(); errors = watchPageErrors(); hits.length = 0; });
  afterEach(() => {
    destroyRuntimes();
    for (const c of document.querySelectorAll('.xss-fixture')) c.remove();
    deepEqual(errors.stop().map(String).filter((e) => !/ResizeObserver/.test(e)), [], 'no exception reached the page');
  });
  after(async function () {
    this.timeout(10_000);
    // Late executions happen after the cases returned. Frame loads and autofocus need an element in
    // the document, which each case's census rules out; what a payload made outside it (an image
    // parsed but never inserted) fails to load by the time an image of the same URL made now has.
    await imageSettled('x');
    deepEqual(hits, [], 'no payload ran at any time');
  });

  it(`the control: the payloads are live — inserted as markup in a sandbox frame, enough of them run`, async function () {
    this.timeout(20_000);
    const frame = document.createElement('iframe');
    frame.setAttribute(AUTHORED, '');
    const fired = new Set<number>();
    (window as unknown as { __xssControl: (i: number) => void }).__xssControl = (i) => { if (i >= 0) fired.add(i); };
    // The trap names the payload that called it: the holder of the script running, or of the
    // element whose event handler runs (payloads it cannot place, e.g. in a nested frame, count not).
    frame.srcdoc = '<!doctype html><body><script>window.__xss = () => { const t = document.currentScript || (window.event && window.event.target); const h = t && t.closest ? t.closest("[data-i]") : null; parent.__xssControl(h ? Number(h.dataset.i) : -1); };<\/script></body>';
    document.body.append(frame);
    await new Promise((r) => frame.addEventListener('load', r, { once: true }));
    const doc = frame.contentDocument!;
    for (const [i, p] of P.entries()) {
      const holder = doc.createElement('div');
      holder.dataset.i = String(i);
      doc.body.append(holder);
      holder.append(doc.createRange().createContextualFragment(p));
    }
    await waitFor(() => fired.size >= 20, 10_000, `20 payloads running as markup (${fired.size} did): the corpus or the trap is broken`).catch(() => {});
    frame.remove();
    console.log(`control: ${fired.size} of ${P.length} payloads ran when inserted as markup`);
    ok(fired.size >= 20, `only ${fired.size} payloads ran as markup: the corpus or the trap is broken`);
    added(); // the frame's own nodes are not the suite's concern
  });

  it(`traits → <ctfl-merge-tag>, from defaults (${P.length} values)`, async () => {
    await xssCase('traits from defaults', async () => {
      createRuntime({ defaults: { profile: makeProfile('xss', traits()) } });
      await expectMergeTags('defaults');
    });
  });

  it(`traits → <ctfl-merge-tag>, sent with identify() and answered by the emulator (${P.length} values)`, async () => {
    await xssCase('traits through the API', async () => {
      const sdk = createRuntime();
      const { data } = await sdk.identify({ traits: traits() });
      deepEqual(data?.profile.traits, traits(), 'the emulator stored and returned the payloads as they are');
      await expectMergeTags('emulator');
    });
  });

  it(`merge tag fallbacks, entries and paths (${P.length * 3} values)`, async () => {
    await xssCase('merge tag attributes', async () => {
      createRuntime({ defaults: { profile: makeProfile('xss', { name: 'Ada' }) } });
      const c = container();
      const tags: Array<[MergeTagElement, string]> = [];
      P.forEach((p) => {
        tags.push([el('ctfl-merge-tag', { path: 'traits.none', fallback: p }) as MergeTagElement, p]);
        const e = el('ctfl-merge-tag') as MergeTagElement;
        e.entry = { fields: { nt_mergetag_id: 'traits.none', nt_fallback: p } };
        tags.push([e, p]);
        tags.push([el('ctfl-merge-tag', { path: p, fallback: 'fallback' }) as MergeTagElement, 'fallback']);
      });
      for (const [t] of tags) c.append(t);
      await updated(...tags.map(([t]) => t));
      for (const [t, text] of tags) {
        equal(shown(t), text);
        equal(elementsIn(t), 0);
      }
    });
  });

  it(`Custom Flag values and keys → <ctfl-flag>, from defaults (${P.length * 5} flags)`, async () => {
    await xssCase('flags from defaults', async () => {
      createRuntime({ defaults: { changes: flagChanges() as never } });
      await expectFlags('defaults');
    });
  });

  it(`Custom Flag values and keys → <ctfl-flag>, in a real emulator answer (${P.length * 5} flags)`, async () => {
    await xssCase('flags through the API', async () => {
      const sdk = createRuntime();
      await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 200, body: responseBody('xss-flags', { changes: flagChanges() }) });
      await sdk.page();
      equal(sdk.state.requestState.status, 'success');
      await expectFlags('emulator');
    });
  });

  it(`variant, experience and entry ids → <ctfl-optimized-entry>, from defaults (${P.length * 2} entries)`, async function () {
    this.timeout(20_000);
    await xssCase('entries from defaults', async () => {
      createRuntime({ defaults: { selectedOptimizations: selections() as never } });
      await expectEntries('defaults');
    });
  });

  it(`variant, experience and entry ids → <ctfl-optimized-entry>, in a real emulator answer (${P.length * 2} entries)`, async function () {
    this.timeout(20_000);
    await xssCase('entries through the API', async () => {
      const sdk = createRuntime();
      await injectFault({ organization: sdk.config.clientId, api: 'experience', status: 200, body: responseBody('xss-entries', { experiences: selections() }) });
      await sdk.page();
      equal(sdk.state.requestState.status, 'success');
      await expectEntries('emulator');
    });
  });

  it(`entry fields → <ctfl-optimized-entry .entry> (${P.length} entries)`, async function () {
    this.timeout(20_000);
    await xssCase('entry fields', async () => {
      createRuntime({ defaults: { selectedOptimizations: P.map((p) => ({ experienceId: p, variantIndex: 1, variants: {} })) as never } });
      const c = container();
      const entries = P.map((p, i) => {
        const e = el('ctfl-optimized-entry', { 'no-track-views': '' }) as OptimizedEntryElement;
        e.append(el('p', {}, `baseline ${i}`));
        const t = el('template', { 'data-variant-id': p });
        t.content.append(el('p', {}, `variant ${i}`));
        e.append(t);
        e.entry = {
          sys: { id: `entry-${i}` },
          fields: {
            title: p, body: { nodeType: 'document', content: [{ value: p }] }, url: p,
            nt_experiences: [{
              sys: { id: p },
              fields: {
                nt_experience_id: p, nt_name: p,
                nt_config: { components: [{ baseline: { id: `entry-${i}` }, variants: [{ id: p }] }] },
                nt_variants: [{ sys: { id: p }, fields: { title: p, html: p } }],
              },
            }],
          },
        };
        c.append(e);
        return e;
      });
      await waitFor(() => entries.every((e) => e.dataset.ctflVariantIndex === '1'), 5000, 'decisions');
      entries.forEach((e, i) => {
        equal(e.querySelector(':scope > p')?.textContent, `variant ${i}`, `entry ${i} shows its authored variant`);
        equal(e.dataset.ctflEntryId, P[i], 'the variant id is kept as attribute text');
      });
    });
  });

  it(`the server handoff (serializeOptimizationData) parsed into the page, read by the runtime (${P.length} traits, flags, selections)`, async function () {
    this.timeout(20_000);
    const data = { profile: makeProfile('xss-handoff', traits()), selectedOptimizations: selections(), changes: flagChanges() };
    await xssCase('handoff in the page', async () => {
      // Parsed as a server response is (a contextual fragment runs scripts, as the parser would).
      const fragment = document.createRange().createContextualFragment(serializeOptimizationData(data as never));
      document.body.append(fragment);
      const handoff = document.getElementById('ctfl-optimization-data')!;
      deepEqual(JSON.parse(handoff.textContent!), data, 'the handoff JSON round-trips');
      const sdk: ContentfulOptimization = createRuntime();
      equal(sdk.state.profile?.id, 'xss-handoff', 'the runtime read the handoff');
      await expectMergeTags('handoff');
      await expectFlags('handoff');
      await expectEntries('handoff');
      handoff.remove();
    }, (e) => e.id === 'ctfl-optimization-data');
  });

  it(`the server render (renderOptimizedEntry) with payloads as entry ids, variant ids, experience ids and attributes (${P.length} entries)`, async function () {
    this.timeout(20_000);
    await xssCase('server render', async () => {
      createRuntime({ defaults: { selectedOptimizations: P.map((p, i) => ({ experienceId: p, variantIndex: 1, variants: { [p]: `v-${i}` } })) as never } });
      const html = P.map((p, i) => renderOptimizedEntry({
        entryId: p,
        baseline: `<p ${AUTHORED}>baseline ${i}</p>`,
        variants: { [`v-${i}`]: `<p ${AUTHORED}>variant ${i}</p>`, [p + i]: `<p ${AUTHORED}>unused</p>` },
        data: { selectedOptimizations: [{ experienceId: p, variantIndex: 1, variants: { [p]: `v-${i}` } }] },
        attributes: { title: p, 'data-note': p, 'no-track-views': true },
      })).join('');
      const c = container();
      c.append(document.createRange().createContextualFragment(html));
      const entries = [...c.querySelectorAll('ctfl-optimized-entry')] as OptimizedEntryElement[];
      equal(entries.length, P.length, 'one element per entry');
      entries.forEach((e, i) => {
        equal(e.getAttribute('entry-id'), asParsed(P[i]!), 'entry-id round-trips as text');
        equal(e.getAttribute('title'), asParsed(P[i]!), 'attributes round-trip as text');
        if (!P[i]!.includes('\0')) equal(e.dataset.ctflExperienceId, P[i], 'the experience id as attribute text');
      });
      // The browser decides as the server did (except for an id with U+0000, which HTML cannot carry).
      await waitFor(() => entries.every((e, i) => e.querySelector(':scope > p')?.textContent?.startsWith(P[i]!.includes('\0') ? 'baseline' : 'variant')), 5000, 'variants shown');
    }, (e) => e.localName === 'ctfl-optimized-entry' || e.localName === 'template');
  });

  it(`the server render and handoff as a whole document in a frame (${P.length} payloads): parsed, never run`, async function () {
    this.timeout(20_000);
    const data = { profile: makeProfile('xss-doc', traits()), selectedOptimizations: selections(), changes: flagChanges() };
    const body = P.map((p, i) => renderOptimizedEntry({ entryId: `base-${i}`, baseline: '<p>baseline</p>', variants: { [p]: '<p>variant</p>' }, data, attributes: { title: p } })).join('\n');
    const doc = `<!doctype html><html><head><script>window.__xss = () => parent.__xss();<\/script>${serializeOptimizationData(data as never)}</head><body>${body}</body></html>`;
    await xssCase('whole document', async () => {
      const frame = el('iframe');
      frame.srcdoc = doc;
      document.body.append(frame);
      await new Promise((r) => frame.addEventListener('load', r, { once: true }));
      const d = frame.contentDocument!;
      deepEqual(JSON.parse(d.getElementById('ctfl-optimization-data')!.textContent!), data, 'the handoff JSON round-trips');
      const tags = [...d.querySelectorAll('*')].map((e) => e.localName);
      const count = (t: string) => tags.filter((x) => x === t).length;
      equal(count('script'), 2, 'only the trap and the handoff are scripts');
      equal(count('ctfl-optimized-entry'), P.length);
      equal(count('p'), P.length, 'one paragraph per entry (templates hold the rest)');
      // html, head, body, two scripts; per entry the element, its content and two templates.
      equal(tags.length, 5 + P.length * 4, `no other element (${[...new Set(tags)].join(', ')})`);
      [...d.querySelectorAll('ctfl-optimized-entry')].forEach((e, i) => equal(e.getAttribute('title'), asParsed(P[i]!)));
      // No other element exists (counted above): nothing there could run later.
      frame.remove();
    });
  });
});
