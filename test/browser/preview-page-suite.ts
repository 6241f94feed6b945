// The preview panel on a real page (test/fixtures/preview/page.html in an iframe), run twice: from
// source (src/umd.ts as a module: the panel comes from a dynamic import) and through the built
// script-tag bundle with its sibling chunk dist/optimization.preview.js. Opening with ?ctfl-preview
// and with optimization.preview(), an override applied to the page, the preview session surviving
// a reload in the same tab, closing, and a strict style-src Content-Security-Policy.
import { PREVIEW_SESSION_KEY } from '../../src/browser/overrides.js';
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { clearBrowserState, insightsEventsFor, requestsFor, uniqueOrg, waitFor } from '../helpers/browser.js';
import { button, choose, control, durableState, openFixture, panelText, TEASER } from '../helpers/preview.js';

export function runPreviewPageSuite(build: 'src' | 'umd'): void {
  const TEXT = ['Meet the new dashboard', 'Your data, one click away'];

  /** The fixture page, its teaser once decided, and the visitor's own variant index of it. */
  async function page(query = '', csp?: string) {
    const org = uniqueOrg(`preview-${build}`);
    const f = await openFixture({ org, build, query, csp });
    const teaser = () => f.doc.querySelector<HTMLElement>('ctfl-optimized-entry')!;
    await waitFor(() => teaser()?.dataset.ctflExperienceId === TEASER.experience, 8000, 'the teaser decision');
    const own = Number(teaser().dataset.ctflVariantIndex);
    return Object.assign(f, { org, teaser, own }); // keeps f's getters: win and doc follow navigations
  }

  const chunkLoads = (win: Window) => win.performance.getEntriesByType('resource')
    .filter((e) => /\/optimization\.preview\.js$|\/src\/chunks\/preview\.ts$/.test(new URL(e.name).pathname));
  /** The bundle's <script> elements for the panel's chunk: inserted the moment the chunk is asked for. */
  const chunkScripts = (doc: Document) => doc.querySelectorAll('script[src$="/optimization.preview.js"]').length;
  /**
   * The page did not ask for the panel by itself: its runtime decides that while it starts (the
   * fixture counts its preview() calls), and through the bundle asking inserts the chunk's <script>
   * at once — so nothing is left to wait for.
   */
  const notAskedFor = (win: Window) => equal((win as unknown as { previewCalls: number }).previewCalls, 0, 'the page never called preview()');

  describe(`preview panel on a page (${build})`, () => {
    beforeEach(clearBrowserState);
    afterEach(() => { for (const el of document.querySelectorAll('.fixture-frame')) el.remove(); });

    it('?ctfl-preview opens the panel, and an override changes the page at once', async () => {
      const p = await page('?ctfl-preview');
      const panel = await p.panel();
      equal(chunkLoads(p.win).length, 1, 'the panel\'s module was fetched once');
      equal((p.win as unknown as { previewCalls: number }).previewCalls, 1, 'the runtime asked for it once, by itself');
      ok(panelText(panel).includes(p.win.optimization.state.profile.id), 'it shows this visitor');
      await choose(panel, TEASER.experience, p.own === 0 ? 'Variant 1' : 'Baseline');
      equal(p.teaser().dataset.ctflVariantIndex, String(1 - p.own));
      equal(p.teaser().innerText.trim(), TEXT[1 - p.own]);
      ok(p.teaser().hasAttribute('data-ctfl-override'));
      deepEqual(p.win.warnings.filter((w) => w.includes('ctfl-opt')), [], 'nothing to warn about');
    });

    it('a query that merely contains the text (utm_content=ctfl-preview-test) does not open it', async () => {
      const p = await page('?utm_content=ctfl-preview-test&x=ctfl-preview');
      notAskedFor(p.win);
      equal(chunkScripts(p.doc), 0);
      equal(p.doc.querySelector('ctfl-preview-panel'), null);
      equal(chunkLoads(p.win).length, 0);
    });

    it('optimization.preview() opens it on a page without ?ctfl-preview; the chunk loads only then', async () => {
      const p = await page();
      notAskedFor(p.win);
      equal(chunkScripts(p.doc), 0);
      equal(p.doc.querySelector('ctfl-preview-panel'), null);
      equal(chunkLoads(p.win).length, 0, 'a visitor\'s page never fetches the panel');
      const panel = await p.win.optimization.preview();
      equal(panel, p.doc.querySelector('ctfl-preview-panel'));
      equal(chunkLoads(p.win).length, 1);
      ok(panel.shadowRoot.querySelector('h2').matches(':focus'), 'focus is in the panel');
    });

    it('an override survives a reload in the same tab and the next page; it is never sent; closing ends it', async function () {
      this.timeout(30_000); // four page loads
      const p = await page('?ctfl-preview');
      const forced = p.own === 0 ? TEASER.variant : TEASER.baseline; // the entry the override shows
      await choose(await p.panel(), TEASER.experience, p.own === 0 ? 'Variant 1' : 'Baseline');
      const stored = durableState(p.win);
      // A reload, then the site's next page: no ?ctfl-preview, the tab's preview session goes on.
      for (const query of ['?ctfl-preview', '']) {
        await p.navigate(query);
        const panel = await p.panel();
        await waitFor(() => p.teaser()?.dataset.ctflVariantIndex === String(1 - p.own), 6000, 'the override after the reload');
        ok(p.teaser().hasAttribute('data-ctfl-override'));
        equal(control(panel, TEASER.experience).selectedOptions[0]!.textContent!.trim().startsWith(p.own === 0 ? 'Variant 1' : 'Baseline'), true,
          'the panel shows the choice');
        await waitFor(() => p.win.optimization.state.requestState.status === 'success', 6000, 'this page\'s Experience response');
      }
      // The visitor's stored selections and cookies are theirs, not the override.
      deepEqual(JSON.parse(durableState(p.win).localStorage['__ctfl_opt_selected-optimizations__']!)
        .find((o: { experienceId: string }) => o.experienceId === TEASER.experience).variantIndex, p.own);
      equal(durableState(p.win).cookies, stored.cookies);
      // An entry of the test's own, put on the page now: its view's second begins after the
      // teaser's would have (were the override tracked), so once its view is in, the teaser's is too.
      const own = p.doc.createElement('ctfl-optimized-entry');
      own.setAttribute('entry-id', 'preview-view-control');
      own.textContent = 'Control entry';
      p.doc.body.append(own); // after the teaser (which p.teaser() finds first), still on screen
      await waitFor(async () => {
        await p.win.optimization.flush();
        return (await insightsEventsFor(p.org)).some((e) => e.event.type === 'component' && e.event.componentId === 'preview-view-control');
      }, 5000, 'a view of the control entry');
      await p.win.optimization.flush();
      for (const r of await requestsFor(p.org)) {
        ok(!JSON.stringify(r.body).includes(forced), `the forced entry in ${r.method} ${r.path}`);
      }
      // Closed: the visitor's own decision at once, and on the next load no panel and no override.
      button(await p.panel(), 'Close').click();
      equal(p.doc.querySelector('ctfl-preview-panel'), null, 'the panel left the page');
      equal(p.teaser().dataset.ctflVariantIndex, String(p.own));
      equal(p.win.sessionStorage.getItem(PREVIEW_SESSION_KEY), null);
      await p.navigate('');
      await waitFor(() => p.teaser()?.dataset.ctflExperienceId === TEASER.experience, 6000, 'the decision');
      equal(p.teaser().dataset.ctflVariantIndex, String(p.own));
      notAskedFor(p.win);
      equal(chunkScripts(p.doc), 0);
      equal(p.doc.querySelector('ctfl-preview-panel'), null, 'no panel');
      equal(chunkLoads(p.win).length, 0, 'and no chunk');
    });

    it('works under a strict style-src \'self\' Content-Security-Policy (constructable stylesheets)', async () => {
      const p = await page('?ctfl-preview', "style-src 'self'");
      const panel = await p.panel();
      // The policy is in force: an inline <style> is refused.
      const probe = p.doc.createElement('style');
      probe.textContent = '#before { color: rgb(1, 2, 3); }';
      p.doc.head.append(probe);
      await waitFor(() => p.win.violations.some((v) => v.startsWith('style-src')), 2000, 'the inline style refused');
      equal(p.win.getComputedStyle(p.doc.getElementById('before')!).color === 'rgb(1, 2, 3)', false);
      const violations = p.win.violations.length;
      // The panel's own styles apply.
      equal(p.win.getComputedStyle(panel).position, 'fixed');
      equal(p.win.getComputedStyle(panel.shadowRoot!.querySelector('header')!).backgroundColor, 'rgb(241, 241, 246)');
      await choose(panel, TEASER.experience, p.own === 0 ? 'Variant 1' : 'Baseline');
      const badge = panel.shadowRoot!.querySelector('.badge')!;
      equal(p.win.getComputedStyle(badge).color, 'rgb(255, 255, 255)');
      // A violation of the test's own, after the panel rendered: violations are reported in order,
      // so once this one is in, one the panel caused would be in too.
      const sentinel = p.doc.createElement('style');
      sentinel.textContent = '#before { color: rgb(4, 5, 6); }';
      p.doc.head.append(sentinel);
      await waitFor(() => p.win.violations.length > violations, 2000, 'the test\'s own inline style refused');
      equal(p.win.violations.length, violations + 1, `no violation from the panel: ${p.win.violations.join(', ')}`);
    });
  });
}
