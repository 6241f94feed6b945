// Browser tests in a real Chromium (Debian's /usr/bin/chromium or CHROME_PATH), against a real
// emulator process started here for the whole run. Each test file uses its own organization id, so
// files never see each other's profiles or events.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { chromiumPath, chromiumArgs } from './scripts/chromium.mjs';
import { startEmulator } from './test/helpers/emulator.mjs';

const emulator = await startEmulator();
process.on('exit', () => emulator.child.kill('SIGTERM'));

export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 2,
  testsFinishTimeout: 300_000,
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
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json', define: { __DEV__: 'true', __UMD__: 'false', __VERSION__: '"test"', __PACKAGE_NAME__: '"@ctfl/optimization-elements"' } }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: chromiumPath() ?? undefined, headless: true, args: chromiumArgs },
      // Two test files run at once (concurrency 2) and cookies, localStorage and IndexedDB belong to
      // the origin: in one shared browser context a file's clearBrowserState() would wipe the other
      // file's profile mid-test. Each page gets its own context (the launcher reuses pages between
      // files, which run one after the other and clear storage in beforeEach).
      createPage: async ({ browser }) => (await browser.createBrowserContext()).newPage(),
    }),
  ],
  testFramework: { config: { timeout: 10_000 } },
  testRunnerHtml: (testFramework) => `<!doctype html><html><head>
    <script>window.__EMULATOR_URL__ = ${JSON.stringify(emulator.url)};</script>
    </head><body><script type="module" src="${testFramework}"></script></body></html>`,
};
