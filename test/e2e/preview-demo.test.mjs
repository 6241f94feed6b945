// The preview panel on the demo site (demo/, served with dist/ as `npm start` does) under a strict
// Content-Security-Policy, in this run's engine (CTFL_ENGINE; test/helpers/driver.mjs): a previewer
// adds ?ctfl-preview, forces a variant, and keeps the panel and the override on the site's next
// page; nothing of it reaches the emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../helpers/emulator.mjs';
import { waitFor } from '../helpers/wait.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { launch } from '../helpers/driver.mjs';
import { startSite } from '../helpers/site.mjs';

let emulator, server, demo, browser;

before(async () => {
  emulator = await startEmulator();
  server = await startDemoServer({
    port: 0, emulatorUrl: emulator.url,
    headers: { 'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ${emulator.url}` },
  });
  demo = await startSite(server.url);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await server?.close();
  await emulator?.stop();
});

/** A button of the preview panel (in its shadow root) by its text, as a user finds it. */
const panelButton = (name) => [...(document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelectorAll('button') ?? [])]
  .find((b) => b.textContent.trim() === name);

test('?ctfl-preview on the demo: the panel opens from its chunk, an override shows at once and follows to the next page, unsent', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const mark = demo.mark();
  await page.goto(`${demo.url}/?ctfl-preview`);
  await page.waitForFunction(() => document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('aside'));
  assert.equal(demo.since(mark).find((e) => e.path === '/dist/optimization.preview.js')?.status, 200, 'the chunk was loaded');
  await page.waitForFunction(() => window.optimization?.state.requestState.status === 'success');
  // The visitor consents (views are tracked, the profile kept across pages); the panel sits over the
  // banner's buttons until it moves to the other corner.
  await page.click(panelButton, 'Move to the left');
  await page.click('#consent-accept');
  const profileId = await page.evaluate(() => window.optimization.state.profile.id);
  await page.waitForFunction((id) => document.querySelector('ctfl-preview-panel')?.shadowRoot?.textContent.includes(id), profileId, { timeout: 5000 });

  // The teaser experiment: force the variant this visitor does not have. (The choice is made as a
  // user's would end: the select's value changes and it fires input and change.)
  const teaser = 'section.teaser ctfl-optimized-entry';
  const attr = (sel, name) => page.evaluate(([s, n]) => document.querySelector(s)?.getAttribute(n) ?? null, [sel, name]);
  const own = Number(await attr(teaser, 'data-ctfl-variant-index'));
  const chosen = await page.evaluate(([id, label]) => {
    const root = document.querySelector('ctfl-preview-panel').shadowRoot;
    const forId = [...root.querySelectorAll('label')].find((l) => l.textContent.includes(id))?.htmlFor;
    const select = forId && /** @type {HTMLSelectElement | null} */ (root.getElementById(forId));
    const option = select && [...select.options].find((o) => o.textContent.trim() === label);
    if (!option) return null;
    select.value = option.value;
    select.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    select.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
    return option.value;
  }, ['expTeaserAbTest0000001', own === 0 ? 'Variant 1 (teaserVariant000000001)' : 'Baseline']);
  assert.notEqual(chosen, null, 'the panel offers the other variant');
  assert.equal(await attr(teaser, 'data-ctfl-variant-index'), String(1 - own));
  assert.equal(await attr(teaser, 'data-ctfl-override'), '');
  // An entry of the test's own, put on the page now (fixed in a corner, through the CSSOM, which the
  // page's style-src allows: nothing moves): its view's second begins after the forced teaser's would
  // have (were overrides tracked), so once its view is in, the teaser's would be in too.
  await page.evaluate(() => {
    const sentinel = document.createElement('ctfl-optimized-entry');
    sentinel.setAttribute('entry-id', 'e2eViewSentinel');
    Object.assign(sentinel.style, { position: 'fixed', top: '0', right: '0', width: '120px', height: '40px' });
    sentinel.textContent = 'Sentinel';
    document.body.append(sentinel);
  });
  await waitFor(async () => {
    await page.evaluate(() => window.optimization.flush());
    const { events } = await (await fetch(`${emulator.url}/_emulator/events?organization=demo-org`)).json();
    return events.some((e) => e.event.type === 'component' && e.event.componentId === 'e2eViewSentinel');
  }, 5000, 'a view of the sentinel entry');

  // The site's next page, without ?ctfl-preview: the tab's preview session goes on.
  await page.clickAndWaitForNavigation('nav a[href="/product.html"]');
  await page.waitForFunction(() => document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('aside'));
  const productTeaser = 'ctfl-optimized-entry.product-teaser';
  await page.waitForFunction((i) => (/** @type {HTMLElement | null} */ (document.querySelector('ctfl-optimized-entry.product-teaser')))?.dataset.ctflVariantIndex === i, String(1 - own));
  assert.equal(await attr(productTeaser, 'data-ctfl-override'), '');
  assert.equal(await page.evaluate(() => window.optimization.state.profile?.id), profileId, 'the same visitor');

  // Closing restores the visitor's own decision.
  await page.click(panelButton, 'Close');
  await page.waitForFunction(() => !document.querySelector('ctfl-preview-panel'));
  assert.equal(await attr(productTeaser, 'data-ctfl-variant-index'), String(own));
  // What reached the emulator: views flowed, none of them of the forced teaser.
  await page.evaluate(() => window.optimization.flush());
  const { events } = await (await fetch(`${emulator.url}/_emulator/events?organization=demo-org`)).json();
  const views = events.map((e) => e.event).filter((e) => e.type === 'component');
  assert.ok(views.some((e) => e.componentId === 'heroBaseline0000000001'), `views are tracked: ${views.map((e) => e.componentId)}`);
  assert.ok(!views.some((e) => e.experienceId === 'expTeaserAbTest0000001' && e.variantIndex !== own), 'no view of the forced variant');
  const { requests } = await (await fetch(`${emulator.url}/_emulator/requests?organization=demo-org`)).json();
  const forced = own === 0 ? 'teaserVariant000000001' : 'teaserBaseline00000001';
  for (const r of requests) assert.ok(!JSON.stringify(r.body ?? '').includes(forced), `the forced entry in ${r.method} ${r.path}`);
  const problems = await page.problems();
  assert.deepEqual(problems.filter((p) => p.startsWith('csp:')), [], 'no CSP violation');
  assert.deepEqual(problems.filter((p) => p.startsWith('pageerror')), []);
  await context.close();
});
