// The consent demo pages as visitors see them: real Chromium (playwright-core, Debian's build), the
// real emulator and the demo origin under a strict Content-Security-Policy (no inline script). Each
// page's stand-in CMP banner is clicked like a visitor would; the SDK's consent, the cookie and a
// reload (the CMP's stored choice) are checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startEmulator } from '../helpers/emulator.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { chromiumPath, chromiumArgs } from '../../scripts/chromium.mjs';

let emulator, demo, browser;

before(async () => {
  emulator = await startEmulator();
  const csp = `default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ${emulator.url}`;
  demo = await startDemoServer({ port: 0, emulatorUrl: emulator.url, headers: { 'Content-Security-Policy': csp } });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await emulator?.stop();
});

// [page, SDK choices after the banner's partial button]
const PAGES = [
  ['consent.html', [true, false]],
  ['consent-tcf.html', [false, false]],
  ['consent-onetrust.html', [false, false]],
  ['consent-cookiebot.html', [false, false]],
  ['consent-usercentrics.html', [false, false]],
  ['consent-gcm.html', [false, false]],
];

const held = (page) => page.evaluate(() => [window.optimization.state.consent, window.optimization.state.persistenceConsent]);
const until = (page, expected) => page.waitForFunction(
  (e) => window.optimization?.state && window.optimization.state.consent === e[0] && window.optimization.state.persistenceConsent === e[1],
  expected, { timeout: 5000 },
);

for (const [path, partial] of PAGES) {
  test(`${path}: the banner's choices reach the SDK, a reload keeps them, a rejection revokes`, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });

    await page.goto(`${demo.url}/${path}`);
    await page.waitForFunction(() => window.optimization?.state);
    await page.locator('#cmp-banner').waitFor({ state: 'visible' });
    assert.equal(await held(page).then((h) => h[0] === true), false, 'no grant before a choice');

    await page.click('[data-action=partial]');
    await until(page, partial);
    await page.click('[data-action=settings]');
    await page.click('[data-action=accept]');
    await until(page, [true, true]);
    await page.waitForFunction(() => document.cookie.includes('ctfl-opt-aid='), undefined, { timeout: 5000 });

    await page.reload();
    await page.waitForFunction(() => window.optimization?.state);
    await until(page, [true, true]);
    assert.equal(await page.locator('#cmp-banner').isVisible(), false, 'the stored choice hides the banner');
    const decision = await page.locator('#bridge-decision').innerText();
    assert.ok(path === 'consent.html' || decision.includes('"events":true'), `the bridge re-read the stored choice: ${decision}`);

    await page.click('[data-action=settings]');
    await page.click('[data-action=reject]');
    await until(page, [false, false]);
    assert.equal((await context.cookies()).find((c) => c.name === 'ctfl-opt-aid'), undefined, 'the cookie is cleared');
    assert.deepEqual(problems, []);
    await context.close();
  });
}
