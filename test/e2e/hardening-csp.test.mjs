// Hardening (issue 9): the demo under a strict Content-Security-Policy, then also with Trusted Types
// required, in real Chromium against the real emulator. Personalized content must show and nothing
// may be reported: no `securitypolicyviolation` event (listened for before any page script runs), no
// report to the policy's report endpoint, no console error and no page error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startEmulator } from '../helpers/emulator.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { startSsrDemo } from '../../demo/ssr/server.mjs';
import { chromiumPath, chromiumArgs } from '../../scripts/chromium.mjs';
import { shownText } from '../helpers/shown-text.mjs';

const HERO_VARIANT = 'Plans that grow with you';
const STRICT = "script-src 'self'; style-src 'self'; object-src 'none'";
const TRUSTED_TYPES = `${STRICT}; require-trusted-types-for 'script'`;
const POLICIES = [['strict CSP', STRICT], ['strict CSP + Trusted Types', TRUSTED_TYPES]];

let emulator, browser;
const servers = {};
const reports = [];

/** Collects the browser's violation reports (report-uri), whatever format it posts. */
const reportEndpoint = (req, res) => {
  if (req.url !== '/__csp-report') return false;
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => { reports.push(body); res.writeHead(204).end(); });
  return true;
};

before(async () => {
  emulator = await startEmulator(['--latency', '20']);
  for (const [name, policy] of POLICIES) {
    servers[name] = await startDemoServer({
      port: 0, emulatorUrl: emulator.url, handler: reportEndpoint,
      headers: { 'Content-Security-Policy': `${policy}; report-uri /__csp-report` },
    });
  }
  browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(servers)) await s.close();
  await emulator?.stop();
});

/** A visitor whose page records every CSP violation, console error and page error. */
async function visitor() {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A missing favicon is the browser's own request, not the page's: its 404 is not a problem.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });
  return { context, page, problems };
}

const violations = (page) => page.evaluate(() => window.__violations);

test('the control: an injected inline script is blocked, reported by the event and to the report endpoint', async () => {
  const { context, page } = await visitor();
  await page.goto(`${servers['strict CSP'].url}/pricing.html`);
  await page.evaluate(() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.head.append(s); });
  await page.waitForFunction(() => window.__violations.length > 0);
  assert.equal(await page.evaluate(() => window.__ran), undefined, 'the inline script did not run');
  for (let i = 0; i < 100 && !reports.length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(reports.length > 0, 'the report endpoint received the report');
  reports.length = 0;
  await context.close();
});

test('the control: with Trusted Types required, a string assigned to innerHTML is refused and reported', async () => {
  const { context, page } = await visitor();
  await page.goto(`${servers['strict CSP + Trusted Types'].url}/pricing.html`);
  const refused = await page.evaluate(() => { try { document.body.insertAdjacentHTML('beforeend', '<b>x</b>'); return false; } catch { return true; } });
  assert.equal(refused, true);
  assert.ok((await violations(page)).some((v) => v.startsWith('require-trusted-types-for')), 'reported');
  for (let i = 0; i < 100 && !reports.length; i++) await new Promise((r) => setTimeout(r, 50));
  reports.length = 0;
  await context.close();
});

for (const [name] of POLICIES) {
  test(`${name}: the demo's personalized hero, merge tag, flag and pages work with no violation reported`, async () => {
    const base = servers[name].url;
    const { context, page, problems } = await visitor();
    // The spring campaign's audience sees the hero variant on the first page view.
    await page.goto(`${base}/?utm_campaign=spring`);
    await page.waitForFunction(() => document.querySelector('ctfl-optimized-entry.hero')?.dataset.ctflVariantIndex === '1');
    assert.equal(await page.locator('ctfl-optimized-entry.hero h1').first().innerText(), HERO_VARIANT);
    assert.equal(await page.evaluate(shownText, 'ctfl-flag[key="hero-cta"]') !== '', true, 'the flag shows a value');
    await page.click('#consent-accept');
    await page.click('#sign-in');
    await page.waitForFunction(() => document.querySelector('.greeting ctfl-merge-tag')?.shadowRoot?.textContent === 'Ada');
    for (const path of ['/product.html', '/pricing.html', '/']) {
      await page.goto(`${base}${path}`);
      await page.waitForFunction(() => window.optimization?.state.requestState.status === 'success');
    }
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`${name}: a consent page (its bridge is a lazily loaded chunk) takes the visitor's choice with no violation`, async () => {
    const base = servers[name].url;
    const { context, page, problems } = await visitor();
    await page.goto(`${base}/consent.html`);
    await page.locator('#cmp-banner').waitFor({ state: 'visible' });
    await page.click('[data-action=accept]');
    await page.waitForFunction(() => window.optimization?.state.consent === true && window.optimization.state.persistenceConsent === true, undefined, { timeout: 5000 });
    await page.waitForFunction(() => document.cookie.includes('ctfl-opt-aid='));
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('the server-rendered demo under its own strict policy plus Trusted Types: the variant is in the first paint, no violation', async () => {
  const ssr = await startSsrDemo({ port: 0, emulatorUrl: emulator.url, trustedTypes: true });
  try {
    const { context, page, problems } = await visitor();
    const response = await page.goto(`${ssr.url}/?utm_campaign=spring`);
    assert.match(response.headers()['content-security-policy'], /require-trusted-types-for 'script'/);
    assert.equal(await page.locator('ctfl-optimized-entry.hero h1').first().innerText(), HERO_VARIANT);
    await page.waitForFunction(() => window.optimization?.state.requestState.status !== 'idle' || window.optimization?.state.profile);
    assert.deepEqual(await violations(page), []);
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await ssr.close();
  }
});

test('no violation reached the report endpoints (report-uri) either', async () => {
  // Reports are sent asynchronously; the pages above are closed, so give them a moment.
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(reports, []);
});
