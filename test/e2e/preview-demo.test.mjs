// The preview panel on the demo site (demo/, served with dist/ as `npm start` does) under a strict
// Content-Security-Policy: a previewer adds ?ctfl-preview, forces a variant, and keeps the panel
// and the override on the site's next page; nothing of it reaches the emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startEmulator } from '../helpers/emulator.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { chromiumPath, chromiumArgs } from '../../scripts/chromium.mjs';

let emulator, demo, browser;

before(async () => {
  emulator = await startEmulator();
  demo = await startDemoServer({
    port: 0, emulatorUrl: emulator.url,
    headers: { 'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ${emulator.url}` },
  });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await emulator?.stop();
});

test('?ctfl-preview on the demo: the panel opens from its chunk, an override shows at once and follows to the next page, unsent', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  const chunk = page.waitForResponse((r) => r.url().endsWith('/dist/optimization.preview.js'));
  await page.goto(`${demo.url}/?ctfl-preview`);
  assert.equal((await chunk).status(), 200);
  await page.waitForFunction(() => document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('aside'));
  await page.waitForFunction(() => window.optimization?.state.requestState.status === 'success');
  const panel = page.locator('ctfl-preview-panel');
  // The visitor consents (views are tracked, the profile kept across pages); the panel sits over the
  // banner's buttons until it moves to the other corner.
  await panel.getByRole('button', { name: 'Move to the left' }).click();
  await page.click('#consent-accept');
  const profileId = await page.evaluate(() => window.optimization.profile.id);
  await assert.doesNotReject(panel.getByText(profileId).waitFor(), 'the panel shows the visitor');

  // The teaser experiment: force the variant this visitor does not have.
  const teaser = page.locator('section.teaser ctfl-optimized-entry');
  const own = Number(await teaser.getAttribute('data-ctfl-variant-index'));
  await panel.getByLabel('expTeaserAbTest0000001').selectOption({ label: own === 0 ? 'Variant 1 (teaserVariant000000001)' : 'Baseline' });
  assert.equal(await teaser.getAttribute('data-ctfl-variant-index'), String(1 - own));
  assert.equal(await teaser.getAttribute('data-ctfl-override'), '');
  await page.waitForTimeout(1500); // in view long enough for view events

  // The site's next page, without ?ctfl-preview: the tab's preview session goes on.
  await page.click('nav a[href="/product.html"]');
  await page.waitForFunction(() => document.querySelector('ctfl-preview-panel')?.shadowRoot?.querySelector('aside'));
  const productTeaser = page.locator('ctfl-optimized-entry.product-teaser');
  await page.waitForFunction((i) => document.querySelector('ctfl-optimized-entry.product-teaser')?.dataset.ctflVariantIndex === i, String(1 - own));
  assert.equal(await productTeaser.getAttribute('data-ctfl-override'), '');
  assert.equal(await page.evaluate(() => window.optimization.profile?.id), profileId, 'the same visitor');

  // Closing restores the visitor's own decision.
  await panel.getByRole('button', { name: 'Close' }).click();
  assert.equal(await productTeaser.getAttribute('data-ctfl-variant-index'), String(own));
  assert.equal(await page.locator('ctfl-preview-panel').count(), 0);

  // What reached the emulator: views flowed, none of them of the forced teaser.
  await page.evaluate(() => window.optimization.flush());
  const { events } = await (await fetch(`${emulator.url}/_emulator/events?organization=demo-org`)).json();
  const views = events.map((e) => e.event).filter((e) => e.type === 'component');
  assert.ok(views.some((e) => e.componentId === 'heroBaseline0000000001'), `views are tracked: ${views.map((e) => e.componentId)}`);
  assert.ok(!views.some((e) => e.experienceId === 'expTeaserAbTest0000001' && e.variantIndex !== own), 'no view of the forced variant');
  const { requests } = await (await fetch(`${emulator.url}/_emulator/requests?organization=demo-org`)).json();
  const forced = own === 0 ? 'teaserVariant000000001' : 'teaserBaseline00000001';
  for (const r of requests) assert.ok(!JSON.stringify(r.body ?? '').includes(forced), `the forced entry in ${r.method} ${r.path}`);
  assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
  assert.deepEqual(errors, []);
  await context.close();
});
