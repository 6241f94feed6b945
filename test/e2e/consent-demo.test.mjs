// The consent demo pages as visitors see them, in this run's engine (CTFL_ENGINE: Chromium, Firefox
// or WebKit; test/helpers/driver.mjs): the real emulator and the demo origin under a strict
// Content-Security-Policy (no inline script). Each page's stand-in CMP banner is clicked like a
// visitor would; the SDK's consent, the cookie and a reload (the CMP's stored choice) are checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../helpers/emulator.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { launch } from '../helpers/driver.mjs';
import { startSite } from '../helpers/site.mjs';

let emulator, server, demo, browser;

before(async () => {
  emulator = await startEmulator();
  const csp = `default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ${emulator.url}`;
  server = await startDemoServer({ port: 0, emulatorUrl: emulator.url, headers: { 'Content-Security-Policy': csp } });
  demo = await startSite(server.url);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.close();
  await server?.close();
  await emulator?.stop();
});

/** Page errors, console errors and CSP violations in the tab, and requests to the site that failed. */
const problemsOf = async (page, mark) => [
  ...(await page.problems()).filter((p) => /^(pageerror|console\.error|csp):/.test(p)),
  ...demo.since(mark).filter((e) => e.status >= 400 && !e.path.startsWith('/favicon.ico')).map((e) => `${e.status} ${e.method} ${e.path}`),
];

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
const aid = async (page) => (await page.cookies()).find((c) => c.name === 'ctfl-opt-aid');

for (const [path, partial] of PAGES) {
  test(`${path}: the banner's choices reach the SDK, a reload keeps them, a rejection revokes`, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const mark = demo.mark();

    await page.goto(`${demo.url}/${path}`);
    await page.waitForFunction(() => window.optimization?.state);
    await page.waitForVisible('#cmp-banner');
    assert.equal(await held(page).then((h) => h[0] === true), false, 'no grant before a choice');

    await page.click('[data-action=partial]');
    await until(page, partial);
    await page.click('[data-action=settings]');
    await page.click('[data-action=accept]');
    await until(page, [true, true]);
    await page.waitForFunction(() => document.cookie.includes('ctfl-opt-aid='), undefined, { timeout: 5000 });
    assert.equal((await aid(page)).value, await page.evaluate(() => window.optimization.state.profile.id));

    await page.reload();
    await page.waitForFunction(() => window.optimization?.state);
    await until(page, [true, true]);
    assert.equal(await page.isVisible('#cmp-banner'), false, 'the stored choice hides the banner');
    const decision = await page.text('#bridge-decision');
    assert.ok(path === 'consent.html' || decision.includes('"events":true'), `the bridge re-read the stored choice: ${decision}`);

    await page.click('[data-action=settings]');
    await page.click('[data-action=reject]');
    await until(page, [false, false]);
    assert.equal(await aid(page), undefined, 'the cookie is cleared');
    assert.deepEqual(await problemsOf(page, mark), []);
    await context.close();
  });
}
