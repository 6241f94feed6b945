// The script-tag bundle as a page author uses it: dist/optimization.umd.js in <script> tags written
// into a fresh iframe document per test (one bundle instance per page), configured from
// data-attributes or window.ctflOptimizationConfig, against the real emulator.
// Build it first: node scripts/build.mjs.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import {
  EMULATOR, nextEvent, openFrame, pageEvents, requestsFor, shownText, spyConsole, trapErrors, uniqueOrg, unmountAll, waitFor,
} from '../helpers/elements.js';

const BUNDLE = '/dist/optimization.umd.js';
const api = `data-experience-url="${EMULATOR}" data-insights-url="${EMULATOR}"`;

/** A fresh page (iframe) written from `html`, with its console and uncaught errors recorded. */
async function page(html: string) {
  const f = openFrame();
  const spy = spyConsole(f.win);
  const trap = trapErrors(f.win);
  f.write(`<!doctype html><html><head>${html}</head><body></body></html>`);
  await f.close();
  const win = f.win as any;
  return { win, doc: f.doc, spy, trap };
}

/**
 * Waits for `count` page events of the page's runtime `sdk`, then for the runtime to be idle (flush()
 * waits for a delivery under way too): what the emulator has then is all the page sent.
 */
async function settledPageEvents(sdk: any, count: number): Promise<any[]> {
  const org = sdk.config.clientId;
  await waitFor(async () => (await pageEvents(org)).length >= count, 4000, `${count} page event(s) for ${org}`);
  await sdk.flush();
  return pageEvents(org);
}

/** The <script> elements a page has for the chunk `name` (the bundle inserts one when it loads a chunk). */
const chunkScripts = (doc: Document, name: string) => [...doc.scripts].filter((s) => s.src.endsWith(`/optimization.${name}.js`));

describe('script-tag bundle (dist/optimization.umd.js)', () => {
  afterEach(unmountAll);

  it('configures window.optimization from data-attributes, sends a page event, and elements show the decision', async () => {
    const org = uniqueOrg('umd-attrs');
    const { win, doc, spy, trap } = await page(`
      <script src="${BUNDLE}" data-client-id="${org}" ${api} data-consent="true" data-allowed-event-types="identify, page,track"></script>`);
    doc.body.innerHTML = `<ctfl-optimized-entry entry-id="teaserBaseline00000001"><h2>Meet the new dashboard</h2>
      <template data-variant-id="teaserVariant000000001"><h2>Your data, one click away</h2></template></ctfl-optimized-entry>`;
    const sdk = win.optimization;
    ok(sdk instanceof win.ContentfulOptimization, 'window.optimization is the instance');
    equal(sdk.config.clientId, org);
    deepEqual([...sdk.config.allowedEventTypes], ['identify', 'page', 'track']);
    equal(sdk.consentState.events, true);
    const [pageEvent] = await settledPageEvents(sdk, 1);
    equal(pageEvent.context.gdpr.isConsentGiven, true, 'data-consent="true"');
    // The teaser experiment applies to every visitor: the element shows the emulator's decision.
    const el = doc.querySelector('ctfl-optimized-entry')!;
    await waitFor(() => el.getAttribute('data-ctfl-experience-id') === 'expTeaserAbTest0000001', 4000, 'the decision');
    ok(['Meet the new dashboard', 'Your data, one click away'].includes(shownText(el)), shownText(el));
    deepEqual([...spy.warns, ...spy.errors], []);
    deepEqual(trap.errors, []);
  });

  it('window.ctflOptimizationConfig wins over the data-attributes', async () => {
    const fromAttrs = uniqueOrg('umd-attr');
    const fromWindow = uniqueOrg('umd-window');
    const { win } = await page(`
      <script>window.ctflOptimizationConfig = { clientId: ${JSON.stringify(fromWindow)}, allowedEventTypes: ['page'] };</script>
      <script src="${BUNDLE}" data-client-id="${fromAttrs}" ${api} data-allowed-event-types="identify,page"></script>`);
    equal(win.optimization.config.clientId, fromWindow);
    deepEqual([...win.optimization.config.allowedEventTypes], ['page']);
    equal(win.optimization.config.experienceBaseUrl, EMULATOR, 'attributes still fill what the object leaves out');
    equal((await settledPageEvents(win.optimization, 1)).length, 1);
    deepEqual(await requestsFor(fromAttrs), []);
  });

  it('callbacks queued on a window.optimization stub run once when ready; later pushes run at once', async () => {
    const org = uniqueOrg('umd-queue');
    const { win, spy } = await page(`
      <script>
        window.calls = [];
        window.optimization = window.optimization || [];
        optimization.push((o) => calls.push(['queued', o.config.clientId]));
        optimization.push(() => { throw new Error('a broken callback'); });
        optimization.push((o) => calls.push(['queued second', o === window.optimization]));
      </script>
      <script src="${BUNDLE}" data-client-id="${org}" ${api}></script>
      <script>optimization.push((o) => calls.push(['after load', o === window.optimization]));</script>`);
    deepEqual(win.calls, [['queued', org], ['queued second', true], ['after load', true]], 'each once, in order, past a broken one');
    equal(spy.withCode('E006').length, 1, 'the broken callback is reported');
    equal(Array.isArray(win.optimization), false);
  });

  it('data-auto-page="false" sends no page event until the page calls page()', async () => {
    const org = uniqueOrg('umd-noauto');
    const { win } = await page(`<script src="${BUNDLE}" data-client-id="${org}" ${api} data-auto-page="false"></script>`);
    await win.optimization.flush(); // idle: what the load sent has been delivered
    deepEqual(await requestsFor(org), [], 'nothing sent on load');
    await win.optimization.page();
    equal((await settledPageEvents(win.optimization, 1)).length, 1);
  });

  it('including the script twice is harmless: one instance, one page event, warning E005', async () => {
    const org = uniqueOrg('umd-twice');
    const { win, spy, trap } = await page(`
      <script src="${BUNDLE}" data-client-id="${org}" ${api}></script>
      <script>window.first = window.optimization;</script>
      <script src="${BUNDLE}" data-client-id="${org}" ${api}></script>`);
    ok(win.first, 'the first copy made the instance');
    equal(win.optimization, win.first, 'the second copy made no other');
    equal((await settledPageEvents(win.optimization, 1)).length, 1, 'one page event');
    equal(spy.withCode('E005').length, 1);
    equal(spy.warns.length + spy.errors.length, 1, 'nothing else logged');
    deepEqual(trap.errors, [], 'no "already defined" custom element error');
  });

  it('window.ContentfulOptimization has the statics the README documents, and only those', async () => {
    const readme = await (await fetch('/README.md')).text();
    const section = readme.slice(readme.indexOf('`window.ContentfulOptimization` is'), readme.indexOf('Code that runs before the bundle'));
    const documented = [...section.matchAll(/^\| `(\w+)/gm)].map((m) => m[1]).sort();
    ok(documented.length >= 5, `the README's table was found: ${documented.join(', ')}`);
    const { win } = await page(`<script src="${BUNDLE}" ${api}></script>`);
    const C = win.ContentfulOptimization;
    deepEqual(Object.keys(C).sort(), documented);
    equal(C.ANONYMOUS_ID_COOKIE, 'ctfl-opt-aid');
    equal(C.HANDOFF_ELEMENT_ID, 'ctfl-optimization-data');
    let thrown: any;
    try { C.init({ clientId: '' }); } catch (error) { thrown = error; }
    ok(thrown instanceof C.OptimizationError, String(thrown));
    equal(thrown.code, 'E002', 'the clientId is missing');
    equal(win.optimization, undefined, 'nothing made from a bad configuration');
  });

  it('without data-client-id: error E004, elements show their baseline, and init() still works', async () => {
    const { win, doc, spy, trap } = await page(`<script src="${BUNDLE}" ${api}></script>`);
    equal(spy.withCode('E004').length, 1);
    ok(spy.errors[0]!.includes('data-client-id'), 'the message says what to add');
    equal(win.optimization, undefined);
    doc.body.innerHTML = `<ctfl-optimized-entry entry-id="entry-b" timeout="200"><p>Baseline</p>
      <template data-variant-id="entry-v"><p>Variant</p></template></ctfl-optimized-entry>`;
    const el = doc.querySelector('ctfl-optimized-entry')!;
    const { detail } = await nextEvent<CustomEvent>(el, 'ctfl-entry-resolved');
    equal(detail.timedOut, true);
    equal(shownText(el), 'Baseline');
    equal(spy.withCode('E034').length, 1, 'one warning: no runtime on the page');
    const org = uniqueOrg('umd-init');
    const sdk = win.ContentfulOptimization.init({ clientId: org, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR } });
    equal(win.optimization, sdk);
    equal((await settledPageEvents(sdk, 1)).length, 1);
    deepEqual(trap.errors, []);
  });

  it('init() from the page\'s own script: what it queues in the same task leaves with the page event, and consent(false) there withdraws it', async () => {
    const { win, trap } = await page(`<script src="${BUNDLE}" ${api}></script>`);
    const org = uniqueOrg('umd-init-task');
    const sdk = win.ContentfulOptimization.init(win.JSON.parse(JSON.stringify({ clientId: org, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR }, defaults: { consent: true } })));
    // The payload is made in the page's realm, as the page's own script would make it.
    void sdk.identify(win.JSON.parse('{ "userId": "ada" }'));
    await settledPageEvents(sdk, 1);
    const posts = (await requestsFor(org)).filter((r) => r.path.startsWith('/v2/') && r.method === 'POST');
    deepEqual(posts.map((r) => r.body.events.map((e: any) => e.type)), [['page', 'identify']], 'one request with both events');
    // A second page whose script withdraws consent right after init(): the page event never leaves.
    unmountAll();
    const second = await page(`<script src="${BUNDLE}" ${api}></script>`);
    const org2 = uniqueOrg('umd-init-withdrawn');
    const sdk2 = second.win.ContentfulOptimization.init({
      clientId: org2, api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR }, defaults: { consent: true },
    });
    sdk2.consent(false);
    await sdk2.flush();
    // The withdrawal is remembered in localStorage, which the next tests' pages share.
    second.win.localStorage.clear();
    deepEqual((await requestsFor(org2)).filter((r) => r.path.startsWith('/v2/')), [], 'nothing sent after consent was withdrawn in the same task');
    deepEqual([...trap.errors, ...second.trap.errors], []);
  });

  it('window.ctflOptimizationConfig without a clientId (and no data-client-id) also reports E004', async () => {
    const { win, spy } = await page(`
      <script>window.ctflOptimizationConfig = { api: { experienceBaseUrl: ${JSON.stringify(EMULATOR)} } };</script>
      <script src="${BUNDLE}"></script>`);
    equal(spy.withCode('E004').length, 1);
    equal(win.optimization, undefined);
  });
  it('loads the consent bridge chunk only when the page has a <ctfl-consent-bridge>, also one added later', async () => {
    const org = uniqueOrg('umd-chunk');
    const { win, doc, spy, trap } = await page(`<script src="${BUNDLE}" data-client-id="${org}" ${api}></script>`);
    await settledPageEvents(win.optimization, 1);
    const chunkRequests = () => win.performance.getEntriesByType('resource').filter((e: PerformanceResourceTiming) => e.name.includes('optimization.consent-bridge.js'));
    equal(chunkRequests().length, 0, 'a page without a bridge never fetches its chunk');
    equal(win.customElements.get('ctfl-consent-bridge'), undefined);
    // A single-page app adds the bridge after load: the chunk arrives and the bridge passes the choice on.
    const bridge = doc.createElement('ctfl-consent-bridge');
    bridge.setAttribute('source', 'manual');
    doc.body.append(bridge);
    await waitFor(() => win.customElements.get('ctfl-consent-bridge'), 4000, 'the chunk defines the element');
    equal(chunkRequests().length, 1);
    equal(win.optimization.consentState.events, undefined);
    (bridge as any).grant();
    equal(win.optimization.consentState.events, true, 'the lazily defined bridge talks to the same runtime');
    const second = doc.createElement('ctfl-consent-bridge');
    second.setAttribute('source', 'manual');
    doc.body.append(second);
    await Promise.resolve(); // the bundle's mutation observer has run: a chunk it loads has its <script> at once
    equal(chunkScripts(doc, 'consent-bridge').length, 1, 'loaded once');
    equal(chunkRequests().length, 1, 'fetched once');
    deepEqual([...spy.warns, ...spy.errors], []);
    deepEqual(trap.errors, []);
  });
  it('under a nonce-based CSP with Trusted Types required, the chunk loads with the bundle\'s nonce and no violation', async () => {
    const org = uniqueOrg('umd-csp');
    const { win, doc, spy, trap } = await page(`
      <meta http-equiv="Content-Security-Policy" content="script-src 'nonce-t3st'; object-src 'none'; require-trusted-types-for 'script'">
      <script nonce="t3st">window.violations = []; document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));</script>
      <script nonce="t3st" src="${BUNDLE}" data-client-id="${org}" ${api}></script>`);
    const bridge = doc.createElement('ctfl-consent-bridge');
    bridge.setAttribute('source', 'manual');
    doc.body.append(bridge);
    await waitFor(() => win.customElements.get('ctfl-consent-bridge'), 4000, 'the chunk defines the element');
    const chunk = [...doc.scripts].find((s) => s.src.endsWith('/optimization.consent-bridge.js'))!;
    equal(chunk.nonce, 't3st');
    deepEqual(win.violations, []);
    deepEqual([...spy.warns, ...spy.errors], []);
    deepEqual(trap.errors, []);
  });

  it('a Trusted Types policy list without ctfl-optimization: warning E008, the page keeps working', async () => {
    const org = uniqueOrg('umd-tt');
    const { win, doc, spy, trap } = await page(`
      <meta http-equiv="Content-Security-Policy" content="require-trusted-types-for 'script'; trusted-types site-policy">
      <script src="${BUNDLE}" data-client-id="${org}" ${api}></script>`);
    doc.body.append(doc.createElement('ctfl-consent-bridge'));
    await waitFor(() => spy.warns.some((w) => w.includes('ctfl-opt/E008')), 4000, 'warning E008');
    equal(win.customElements.get('ctfl-consent-bridge'), undefined);
    await settledPageEvents(win.optimization, 1);
    deepEqual(trap.errors, []);
  });
  it('a bridge inside a shadow root (hidden from the bundle) works after ContentfulOptimization.loadConsentBridge()', async () => {
    const org = uniqueOrg('umd-shadow');
    const { win, doc, trap } = await page(`<script src="${BUNDLE}" data-client-id="${org}" ${api}></script>`);
    const host = doc.createElement('div');
    doc.body.append(host);
    const bridge = doc.createElement('ctfl-consent-bridge');
    bridge.setAttribute('source', 'manual');
    host.attachShadow({ mode: 'open' }).append(bridge);
    await Promise.resolve(); // the bundle's mutation observer has run: a chunk it loads has its <script> at once
    equal(chunkScripts(doc, 'consent-bridge').length, 0, 'the bundle cannot see it: no chunk asked for');
    equal(win.customElements.get('ctfl-consent-bridge'), undefined, 'the bundle cannot see it');
    await win.ContentfulOptimization.loadConsentBridge();
    ok(win.customElements.get('ctfl-consent-bridge'));
    (bridge as any).grant();
    equal(win.optimization.consentState.events, true);
    deepEqual(trap.errors, []);
  });
});
