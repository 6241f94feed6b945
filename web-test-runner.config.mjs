// Browser tests in one real engine per run — Chromium (Debian's /usr/bin/chromium or CHROME_PATH),
// Firefox (firefox-esr over WebDriver BiDi) or WebKit (WebKitWebDriver + MiniBrowser on a virtual
// display), chosen by CTFL_ENGINE (scripts/test-browser.mjs and scripts/test.mjs set it; default
// chromium) — against a real emulator process started here for the whole run. Each test file uses
// its own organization id, so files never see each other's profiles or events.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { webdriverLauncher } from '@web/test-runner-webdriver';
import puppeteer from 'puppeteer-core';
import { chromiumPath, chromiumArgs } from './scripts/chromium.mjs';
import { CONCURRENCY, currentEngine, ensureDisplay, firefoxLaunchOptions, startWebKitDriver } from './scripts/engines.mjs';
import { startEmulator } from './test/helpers/emulator.mjs';
import { driverCommandsPlugin } from './test/helpers/wtr-commands.mjs';

/**
 * @sinonjs/fake-timers is CommonJS, which the browser cannot import: its entry is served as one ES
 * module instead (bundled with esbuild on first request), for test/helpers/browser.ts's fakeClock().
 */
function fakeTimersAsModule() {
  let code;
  return {
    name: 'ctfl-fake-timers-esm',
    async serve(context) {
      if (!context.path.endsWith('/@sinonjs/fake-timers/src/fake-timers-src.js')) return undefined;
      code ??= (await build({
        stdin: { contents: "import m from '@sinonjs/fake-timers'; export const { withGlobal, timers, createClock, install } = m; export default m;", resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
        // `util` is required only under Node (`process` present): left out.
        bundle: true, format: 'esm', platform: 'browser', external: ['util'], write: false, logLevel: 'silent',
      })).outputFiles[0].text;
      return { body: code, type: 'js' };
    },
  };
}

const engine = currentEngine();
const emulator = await startEmulator();
process.on('exit', () => emulator.child.kill('SIGTERM'));

// Two test files run at once (concurrency 2) and cookies, localStorage and IndexedDB belong to the
// origin: in one shared browser context a file's clearBrowserState() would wipe the other file's
// profile mid-test. Each page gets its own context (the launcher reuses pages between files, which
// run one after the other and clear storage in beforeEach).
const ownContext = async ({ browser }) => (await browser.createBrowserContext()).newPage();

async function browsers() {
  if (engine === 'chromium') {
    return [chromeLauncher({ launchOptions: { executablePath: chromiumPath() ?? undefined, headless: true, args: chromiumArgs }, createPage: ownContext })];
  }
  if (engine === 'firefox') {
    // puppeteer-core speaks WebDriver BiDi to Firefox. One file at a time: at concurrency 2 the
    // second file's tab is a background tab of the same window, and a hidden page gets no
    // IntersectionObserver callbacks, animation frames or mouse events.
    return [chromeLauncher({ puppeteer, launchOptions: firefoxLaunchOptions(), createPage: ownContext, concurrency: 1 })];
  }
  // WebKit: one classic WebDriver session for the whole run (files run one after another in its
  // one window; above concurrency 1 the launcher would put files in iframes of one page, sharing
  // storage). MiniBrowser needs a display: a virtual one.
  const { display } = await ensureDisplay();
  const driver = await startWebKitDriver(display);
  return [webdriverLauncher(driver.options)];
}

export default {
  files: ['test/browser/**/*.test.ts'],
  // An IP host, not `localhost`: WebKit refuses `Domain=localhost` cookies (the suites write
  // `Domain=<this host>` through the cookie.domain and stateEntries.domain options) and accepts
  // `Domain=127.0.0.1` like the other engines; it is a secure context everywhere, as localhost is.
  hostname: '127.0.0.1',
  nodeResolve: true,
  concurrency: CONCURRENCY[engine],
  testsFinishTimeout: 300_000,
  // A shared 2-core CI machine under load can take long to start Firefox or a WebDriver session.
  browserStartTimeout: 120_000,
  // Test-only routes on the page's own origin: a server-set cookie (e.g. HttpOnly, or another path),
  // which page script cannot produce itself.
  middleware: [
    async (ctx, next) => {
      if (ctx.path !== '/__test/set-cookie') return next();
      const q = ctx.query;
      let cookie = `${q.name}=${q.value}; Path=${q.path || '/'}; SameSite=Lax`;
      if (q.httponly) cookie += '; HttpOnly';
      if (q.maxage) cookie += `; Max-Age=${q.maxage}`;
      ctx.set('Set-Cookie', cookie);
      ctx.body = 'ok';
    },
  ],
  plugins: [
    driverCommandsPlugin(),
    fakeTimersAsModule(),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json', define: { __DEV__: 'true', __UMD__: 'false', __VERSION__: '"test"', __PACKAGE_NAME__: '"@ctfl/optimization-elements"' } }),
  ],
  browsers: await browsers(),
  testFramework: { config: { timeout: 10_000 } },
  testRunnerHtml: (testFramework) => `<!doctype html><html><head>
    <script>window.__EMULATOR_URL__ = ${JSON.stringify(emulator.url)}; window.__ENGINE__ = ${JSON.stringify(engine)};</script>
    </head><body><script type="module" src="${testFramework}"></script></body></html>`,
};
