// The three browser engines the tests run in, where each is installed, and how to start what it
// needs: Chromium (Debian's `chromium`), Firefox (Debian's `firefox-esr`, driven over WebDriver BiDi
// by puppeteer-core) and WebKit (Debian's `webkit2gtk-driver`: WebKitWebDriver and MiniBrowser,
// driven over classic WebDriver by webdriverio). MiniBrowser has no headless mode: it gets a
// virtual display (Xvfb) started here, never the developer's own screen.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { chromiumPath } from './chromium.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** Test files run one at a time in Firefox and WebKit (see web-test-runner.config.mjs for why). */
export const CONCURRENCY = { chromium: 2, firefox: 1, webkit: 1 };

export function firefoxPath() {
  const candidates = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

export function webkitDriverPath() {
  const candidates = [process.env.WEBKIT_WEBDRIVER_PATH, '/usr/bin/WebKitWebDriver'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** MiniBrowser of webkit2gtk-4.1 (or 4.0/6.0) under /usr/lib/<multiarch>/. */
export function miniBrowserPath() {
  if (process.env.MINIBROWSER_PATH) return existsSync(process.env.MINIBROWSER_PATH) ? process.env.MINIBROWSER_PATH : null;
  for (const lib of ['/usr/lib', '/usr/libexec']) {
    let dirs = [];
    try { dirs = readdirSync(lib); } catch { continue; }
    for (const arch of ['', ...dirs.filter((d) => d.includes('-linux-'))]) {
      for (const api of ['webkit2gtk-4.1', 'webkitgtk-6.0', 'webkit2gtk-4.0']) {
        const p = [lib, arch, api, 'MiniBrowser'].filter(Boolean).join('/');
        if (existsSync(p)) return p;
      }
    }
  }
  return null;
}

export function xvfbPath() {
  const candidates = [process.env.XVFB_PATH, '/usr/bin/Xvfb'];
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** What is missing to run `engine` here (Debian package names), or an empty list. */
export function missingFor(engine) {
  if (engine === 'chromium') return chromiumPath() ? [] : ['chromium'];
  if (engine === 'firefox') return firefoxPath() ? [] : ['firefox-esr'];
  if (engine === 'webkit') {
    const out = [];
    if (!webkitDriverPath() || !miniBrowserPath()) out.push('webkit2gtk-driver');
    // A real display also works (DISPLAY set), but the tests prefer their own virtual one.
    if (!xvfbPath() && !process.env.DISPLAY) out.push('xvfb');
    return out;
  }
  throw new Error(`unknown engine "${engine}" (one of ${ENGINES.join(', ')})`);
}

/** The message for engines that cannot run here (code E111), or undefined when all can. */
export function missingMessage(engines) {
  const missing = engines.map((e) => [e, missingFor(e)]).filter(([, m]) => m.length);
  if (!missing.length) return undefined;
  const pkgs = [...new Set(missing.flatMap(([, m]) => m))];
  return `ctfl-opt/E111: cannot run the browser tests in ${missing.map(([e]) => e).join(', ')}: missing ${pkgs.join(', ')}.\n` +
    `  Install Debian's packages:  sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}\n` +
    '  or point at other builds: CHROME_PATH, FIREFOX_PATH, WEBKIT_WEBDRIVER_PATH + MINIBROWSER_PATH\n' +
    `  or choose engines:        npm test -- --engine ${ENGINES.find((e) => !missingFor(e).length) ?? 'chromium'}  (or CTFL_ENGINES=…)`;
}

/**
 * The engines asked for: `--engine X` / `--engine=X` (repeatable, or comma separated) in `argv`,
 * else `CTFL_ENGINES` (comma separated), else all three. Returns them and the remaining arguments.
 */
export function selectEngines(argv = [], env = process.env) {
  const chosen = [];
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--engine' || a === '--engines') chosen.push(...String(argv[++i] ?? '').split(','));
    else if (/^--engines?=/.test(a)) chosen.push(...a.slice(a.indexOf('=') + 1).split(','));
    else rest.push(a);
  }
  if (!chosen.length && env.CTFL_ENGINES) chosen.push(...env.CTFL_ENGINES.split(','));
  const engines = [...new Set(chosen.map((e) => e.trim().toLowerCase()).filter(Boolean))];
  for (const e of engines) if (!ENGINES.includes(e)) throw new Error(`ctfl-opt/E111: unknown engine "${e}"; the engines are ${ENGINES.join(', ')}`);
  return { engines: engines.length ? engines : [...ENGINES], rest };
}

/** The engine of this process (web-test-runner config, end-to-end tests): `CTFL_ENGINE`, default chromium. */
export function currentEngine(env = process.env) {
  const e = (env.CTFL_ENGINE || 'chromium').toLowerCase();
  if (!ENGINES.includes(e)) throw new Error(`ctfl-opt/E111: CTFL_ENGINE="${env.CTFL_ENGINE}" is not one of ${ENGINES.join(', ')}`);
  return e;
}

/** The installed browser's version, for the logs and the README (best effort). */
export function engineVersion(engine) {
  const run = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim(); } catch { return ''; } };
  if (engine === 'chromium') return run(chromiumPath() ?? 'chromium', ['--version']).split('\n').pop() ?? '';
  if (engine === 'firefox') return run(firefoxPath() ?? 'firefox-esr', ['--version']);
  if (engine === 'webkit') {
    const pkg = run('dpkg-query', ['-W', '-f=${Version}', 'webkit2gtk-driver']);
    return pkg ? `WebKitGTK ${pkg}` : run(webkitDriverPath() ?? 'WebKitWebDriver', ['--version']);
  }
  return '';
}

/** A free TCP port on 127.0.0.1 (for WebKitWebDriver, which takes its port as an argument). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = /** @type {import('node:net').AddressInfo} */ (s.address()); s.close(() => resolve(port)); });
  });
}

const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
// A test process that ends takes its display and drivers with it.
process.once('exit', () => { for (const c of children) try { c.kill('SIGTERM'); } catch { /* gone */ } });

/**
 * A virtual display for MiniBrowser. `CTFL_DISPLAY` (set by scripts/test.mjs for its whole run) is
 * reused; otherwise an Xvfb is started that picks a free display itself (`-displayfd`) and stops
 * with this process. Falls back to the session's own DISPLAY when Xvfb is not installed.
 */
export async function ensureDisplay() {
  if (process.env.CTFL_DISPLAY) return { display: process.env.CTFL_DISPLAY, stop: async () => {} };
  const xvfb = xvfbPath();
  if (!xvfb) {
    if (process.env.DISPLAY) return { display: process.env.DISPLAY, stop: async () => {} };
    throw new Error(missingMessage(['webkit']));
  }
  const child = track(spawn(xvfb, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp', '-noreset'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  }));
  let err = '';
  child.stderr.on('data', (c) => { err += c; });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not report a display:\n${err}`)), 15_000);
    child.stdio[3].on('data', (c) => {
      out += c;
      const m = /^(\d+)\n/.exec(out);
      if (m) { clearTimeout(timer); resolve(`:${m[1]}`); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}):\n${err}`)); });
  });
  return { display, child, stop: () => stopChild(child) };
}

/**
 * WebKitWebDriver on a free port, its MiniBrowser windows on `display` (`env`: more environment for
 * both). Returns the webdriverio connection options for a session (classic WebDriver; MiniBrowser in
 * automation mode).
 * @param {string} display
 * @param {{ env?: Record<string, string> }} [options]
 */
export async function startWebKitDriver(display, { env = {} } = {}) {
  const driver = webkitDriverPath();
  const browser = miniBrowserPath();
  if (!driver || !browser) throw new Error(missingMessage(['webkit']));
  const port = await freePort();
  const child = track(spawn(driver, [`--port=${port}`, '--host=127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, DISPLAY: display, GDK_BACKEND: 'x11', LIBGL_ALWAYS_SOFTWARE: '1' },
  }));
  let out = '';
  // CTFL_WEBKIT_LOG=<file>: the driver's and MiniBrowser's own output, for debugging a WebKit run.
  const log = process.env.CTFL_WEBKIT_LOG ? createWriteStream(process.env.CTFL_WEBKIT_LOG, { flags: 'a' }) : undefined;
  const keep = (c) => { out = (out + c).slice(-20_000); log?.write(c); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // Ready once it answers /status.
  const end = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode}):\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(`WebKitWebDriver did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    child,
    output: () => out,
    options: webkitSessionOptions(port, browser),
    stop: () => stopChild(child),
  };
}

export function webkitSessionOptions(port, browser = miniBrowserPath()) {
  return {
    hostname: '127.0.0.1',
    port,
    path: '/',
    logLevel: /** @type {const} */ ('error'),
    connectionRetryCount: 0,
    capabilities: {
      browserName: 'MiniBrowser',
      'wdio:enforceWebDriverClassic': true,
      'webkitgtk:browserOptions': { binary: browser, args: ['--automation'] },
    },
  };
}

async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, 3000);
  await exited;
  clearTimeout(timer);
}

/** Firefox launch options for puppeteer-core (WebDriver BiDi; Debian's firefox-esr). */
export function firefoxLaunchOptions() {
  return {
    browser: /** @type {const} */ ('firefox'),
    executablePath: firefoxPath() ?? undefined,
    headless: true,
    // A closed network: no update checks, telemetry, captive-portal or remote-settings requests.
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'browser.shell.checkDefaultBrowser': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'toolkit.telemetry.enabled': false,
    },
  };
}

/**
 * The end-to-end test files to run in `engine`: in Chromium all of test/e2e/; in Firefox and WebKit
 * those written for every engine (they drive the browser through test/helpers/driver.mjs) — a file
 * that drives Chromium through playwright-core itself runs once, in the Chromium pass.
 */
export function e2eFiles(engine, dir = 'test/e2e') {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(dir, f));
  if (engine === 'chromium') return files;
  return files.filter((f) => /from ['"]\.\.\/helpers\/driver\.mjs['"]/.test(readFileSync(f, 'utf8')));
}
