// The package build (dist/optimization.mjs, split by esbuild): the preview panel is a module of its
// own under dist/chunks/, fetched by optimization.preview() and not before. Build first:
// node scripts/build.mjs. Bare imports (lit, zod, …) resolve from node_modules, as a bundler would.
import { deepEqual, equal, ok } from '../helpers/assert.js';
import { clearBrowserState, EMULATOR, uniqueOrg, waitFor } from '../helpers/browser.js';
import { control, TEASER } from '../helpers/preview.js';

const modules = () => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/dist/'));

describe('preview panel in the package build (dist/optimization.mjs)', () => {
  before(clearBrowserState);

  it('optimization.preview() imports the panel\'s module on demand, and it previews this runtime', async () => {
    const pkg = await import('/dist/optimization.mjs' as string);
    pkg.defineElements();
    ok(modules().some((p) => p === '/dist/optimization.mjs'));
    equal(modules().filter((p) => p.startsWith('/dist/chunks/preview-')).length, 0, 'not loaded with the package');
    equal(customElements.get('ctfl-preview-panel'), undefined);
    const sdk = new pkg.ContentfulOptimization({ clientId: uniqueOrg('esm'), api: { experienceBaseUrl: EMULATOR, insightsBaseUrl: EMULATOR }, defaults: { consent: true } });
    try {
      await sdk.page();
      const el = document.createElement('div');
      el.innerHTML = `<ctfl-optimized-entry entry-id="${TEASER.baseline}"><p>Baseline</p><template data-variant-id="${TEASER.variant}"><p>Variant</p></template></ctfl-optimized-entry>`;
      document.body.append(el);
      const teaser = el.firstElementChild as HTMLElement;
      await waitFor(() => teaser.dataset.ctflExperienceId === TEASER.experience, 4000, 'the teaser decision');
      const own = Number(teaser.dataset.ctflVariantIndex);
      const panel = await sdk.preview();
      deepEqual(modules().filter((p) => p.startsWith('/dist/chunks/preview-')).length, 1, 'the panel\'s own module, once');
      equal(panel.localName, 'ctfl-preview-panel');
      const select = control(panel, TEASER.experience);
      select.value = String(1 - own);
      select.dispatchEvent(new Event('change'));
      equal(teaser.dataset.ctflVariantIndex, String(1 - own), 'the override reaches the package\'s elements');
      ok(teaser.hasAttribute('data-ctfl-override'));
      panel.close();
      equal(teaser.dataset.ctflVariantIndex, String(own));
      el.remove();
    } finally {
      sdk.destroy();
    }
  });
});
