// One small browser API for the end-to-end tests, over the driver each engine has here:
// Chromium through playwright-core (CDP), Firefox through puppeteer-core (WebDriver BiDi), WebKit
// through webdriverio (classic WebDriver against WebKitWebDriver + MiniBrowser on a virtual display).
// The engine is CTFL_ENGINE (default chromium; scripts/test.mjs runs test/e2e/ once per engine).
//
// Only what every engine can do the same way is offered: navigate, reload, run a function in the
// page (its result travels as JSON, so `undefined` stays `undefined` everywhere), click an element
// like a user (the driver's own click: real pointer input), press keys and type (the driver's own
// keyboard input), read an element's text, count or checked state, size the viewport, take a
// screenshot, read and clear cookies through the driver (with path, SameSite, HttpOnly and expiry —
// the Cookie Store API gives those in Chromium only), open more tabs of a visitor and close them.
// Watching the page from its first line and reading (or holding) the HTTP exchanges is done by the
// site proxy (test/helpers/site.mjs), not by a driver.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { Key, remote } from 'webdriverio';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { currentEngine, ensureDisplay, engineVersion, firefoxLaunchOptions, startWebKitDriver } from '../../scripts/engines.mjs';
import { readProblemsInPage, readShowsInPage } from './site.mjs';

export const ENGINE = currentEngine();

/** `fn(arg)` in the page as one expression whose value is a JSON string. */
function expression(fn, arg) {
  const source = typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
  return `(async () => { const r = await (${source})(${arg === undefined ? '' : JSON.stringify(arg)}); return JSON.stringify(r === undefined ? {} : { v: r }); })()`;
}
const decode = (s) => { const o = JSON.parse(s); return 'v' in o ? o.v : undefined; };

/** A function run in the page that returns the element to act on; `target` is CSS or such a function. */
function finder(target, arg) {
  if (typeof target === 'string') return `(() => document.querySelector(${JSON.stringify(target)}))()`;
  return `(${target.toString()})(${arg === undefined ? '' : JSON.stringify(arg)})`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Page {
  /**
   * @param {{
   *   evaluate(expr: string): Promise<string>, click(find: string): Promise<void>,
   *   goto(url: string, timeout?: number): Promise<void>, reload(timeout?: number): Promise<void>,
   *   close(opts: { runBeforeUnload?: boolean }): Promise<void>, url(): Promise<string>,
   *   cookies(): Promise<ReturnType<typeof cookie>[]>,
   *   press(key: string): Promise<void>,
   *   setViewportSize(size: Viewport): Promise<void>, screenshot(opts: { path: string, fullPage?: boolean }): Promise<void>,
   * }} impl
   */
  constructor(impl, context) { this.impl = impl; this.context = context; this.seen = new Set(); }

  // Problems are read before every navigation this API makes as well: Firefox shows a page restored
  // from its back/forward cache the sessionStorage it had then, without what later pages wrote.
  /**
   * Opens `url` and waits for its load event (`timeout` in ms: the driver's own when not given).
   * @param {string} url
   * @param {{ timeout?: number }} [options]
   */
  async goto(url, { timeout } = {}) { await this.#collect(); return this.impl.goto(url, timeout); }
  /** @param {{ timeout?: number }} [options] */
  async reload({ timeout } = {}) { await this.#collect(); return this.impl.reload(timeout); }
  url() { return this.impl.url(); }
  async close(opts = {}) { await this.#collect(); return this.impl.close(opts); }

  async #collect() {
    try {
      const list = await Promise.race([this.evaluate(readProblemsInPage), sleep(2000).then(() => [])]);
      for (const p of list ?? []) this.seen.add(p);
    } catch { /* no page yet */ }
  }

  /** Runs `fn(arg)` in the page and returns its (JSON) result. */
  async evaluate(fn, arg) { return decode(await this.impl.evaluate(expression(fn, arg))); }

  /**
   * Polls `fn(arg)` in the page until it returns something truthy, and returns that. A navigation
   * under way (the document is being replaced) counts as not yet.
   */
  async waitForFunction(fn, arg, { timeout = 10_000 } = {}) {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        // One call may not answer at all: a call that reached a document just frozen into the
        // back/forward cache (Firefox over BiDi). The next call reaches the document shown.
        const v = await Promise.race([this.evaluate(fn, arg), sleep(2000).then(() => { throw new Error('no answer from the page'); })]);
        if (v) return v;
      } catch (error) { last = error; }
      if (Date.now() > end) throw new Error(`timed out (${timeout} ms)${last ? ` (last: ${last.message.slice(0, 300)})` : ''} waiting for ${String(fn).slice(0, 200)}`);
      await sleep(50);
    }
  }

  /** Clicks the element `target` finds (CSS, or a function run in the page returning it) with the driver's pointer. */
  async click(target, arg) {
    await this.#collect();
    await this.waitForFunction(`(() => { const el = ${finder(target, arg)}; return !!el && el.isConnected && el.getClientRects().length > 0; })()`, undefined, { timeout: 5000 });
    await this.impl.click(finder(target, arg));
  }

  /**
   * Clicks `target` and waits until the page it leads to has loaded (a form post and its redirect,
   * a link): the document is another one and has finished loading.
   */
  async clickAndWaitForNavigation(target, arg, { timeout = 15_000 } = {}) {
    const before = await this.evaluate(() => window.__e2eDoc ?? null);
    await this.click(target, arg);
    await this.waitForFunction((doc) => window.__e2eDoc && window.__e2eDoc !== doc && document.readyState === 'complete', before, { timeout });
  }

  /**
   * Presses a key where the focus is, as a keyboard does (keydown, the key's default action, keyup),
   * by playwright's key names: 'Tab', 'Space', 'Enter', 'Escape', 'Backspace', 'ArrowDown', 'a' …,
   * with modifiers as 'Shift+Tab'.
   */
  async press(key) { await this.#collect(); await this.impl.press(key); }

  /** Types `text` where the focus is, a key press per character. */

  /** Sizes the page's viewport (CSS pixels; the window around it in WebKit). */
  setViewportSize(size) { return this.impl.setViewportSize(size); }

  /** A PNG of the page (`fullPage`: all of it, in Chromium and Firefox; WebKit's driver gives the viewport only). */
  screenshot({ path, fullPage = false }) { return this.impl.screenshot({ path, fullPage }); }

  /** The textContent of the first element matching `selector`, once there is one. */
  textContent(selector, { timeout = 5000 } = {}) {
    return this.waitForFunction((s) => { const el = document.querySelector(s); return el ? { t: el.textContent } : undefined; }, selector, { timeout }).then((r) => r.t);
  }

  /** How many elements match `selector` now. */
  count(selector) { return this.evaluate((s) => document.querySelectorAll(s).length, selector); }

  /** Whether the checkbox (or radio button) `selector` finds is checked, once there is one. */
  isChecked(selector, { timeout = 5000 } = {}) {
    return this.waitForFunction((s) => { const el = /** @type {HTMLInputElement | null} */ (document.querySelector(s)); return el ? { c: el.checked } : undefined; }, selector, { timeout }).then((r) => r.c);
  }

  /** The rendered text (innerText) of the first element matching `selector`. */
  text(selector) {
    return this.waitForFunction((s) => { const el = document.querySelector(s); return el ? { t: el.innerText } : undefined; }, selector, { timeout: 5000 }).then((r) => r.t);
  }

  isVisible(selector) {
    return this.evaluate((s) => {
      const el = document.querySelector(s);
      return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    }, selector);
  }

  waitForVisible(selector, options) {
    return this.waitForFunction((s) => {
      const el = document.querySelector(s);
      return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    }, selector, options);
  }

  /** The documents shown in this tab, oldest first: `{ doc, persisted, url }` (`persisted`: from the back/forward cache). */
  shows() { return this.evaluate(readShowsInPage); }

  /**
   * The browser's Back, as a visitor presses it (history.back(): every driver's own back command
   * waits for a load that a page restored from the back/forward cache never has), until the page
   * it leads to is shown.
   */
  async back({ timeout = 15_000 } = {}) {
    await this.#collect();
    const before = (await this.shows()).at(-1)?.id ?? null;
    await this.evaluate(() => { setTimeout(() => history.back(), 0); });
    // The page shown next has recorded a pageshow of its own (a count would not do: see #collect).
    return this.waitForFunction(`document.readyState === 'complete' && ((s) => s && s.id !== ${JSON.stringify(before)} && s)(${readShowsInPage}.at(-1))`, undefined, { timeout });
  }

  /** Uncaught errors, unhandled rejections, console errors/warnings and CSP violations in this tab so far. */
  async problems() {
    await this.#collect();
    return [...this.seen];
  }

  /** The cookies of the page's current site, as the browser keeps them (via the driver). */
  cookies() { return this.impl.cookies(); }
}

/** @typedef {{ width: number, height: number }} Viewport */

/** playwright's key names, and a 'Shift+Tab' combination, as its parts. */
function keyParts(key) {
  return key.length > 1 && key.includes('+') ? key.split('+').map((k) => k || '+') : [key];
}

/** A key name as a WebDriver key (a character, or one of the Private Use Area codes of the spec). */
function webdriverKey(name) {
  const named = {
    Tab: Key.Tab, Space: Key.Space, Enter: Key.Enter, Escape: Key.Escape, Backspace: Key.Backspace, Delete: Key.Delete,
    ArrowLeft: Key.ArrowLeft, ArrowRight: Key.ArrowRight, ArrowUp: Key.ArrowUp, ArrowDown: Key.ArrowDown,
    Home: Key.Home, End: Key.End, PageUp: Key.PageUp, PageDown: Key.PageDown,
    Shift: Key.Shift, Control: Key.Control, Alt: Key.Alt, Meta: Key.Command,
  };
  if (name in named) return named[name];
  if ([...name].length === 1) return name;
  throw new Error(`no WebDriver key for "${name}"`);
}

/** A cookie the way every driver can report it. */
function cookie(c) {
  const sameSite = c.sameSite ? String(c.sameSite).charAt(0).toUpperCase() + String(c.sameSite).slice(1).toLowerCase() : undefined;
  const expires = c.expires ?? c.expiry;
  return {
    name: c.name, value: c.value, domain: c.domain, path: c.path, httpOnly: !!c.httpOnly, secure: !!c.secure, sameSite,
    // Seconds since the epoch, or undefined for a session cookie.
    expires: typeof expires === 'number' && expires > 0 ? expires : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Chromium: playwright-core

async function launchChromium() {
  const browser = await chromium.launch({ executablePath: chromiumPath() ?? undefined, args: chromiumArgs, headless: true });
  return {
    async newContext() {
      const ctx = await browser.newContext();
      const context = {
        /** @param {{ viewport?: Viewport }} [options] */
        async newPage({ viewport } = {}) {
          const p = await ctx.newPage();
          if (viewport) await p.setViewportSize(viewport);
          return new Page({
            evaluate: (expr) => p.evaluate(expr),
            async click(find) {
              const handle = (await p.evaluateHandle(find)).asElement();
              await handle.click();
              await handle.dispose();
            },
            goto: async (url, timeout) => { await p.goto(url, { timeout }); },
            reload: async (timeout) => { await p.reload({ timeout }); },
            close: (opts) => p.close({ runBeforeUnload: !!opts.runBeforeUnload }),
            url: async () => p.url(),
            cookies: () => context.cookies(),
            press: (key) => p.keyboard.press(key),
            setViewportSize: (size) => p.setViewportSize(size),
            screenshot: async ({ path, fullPage }) => { await p.screenshot({ path, fullPage }); },
          }, context);
        },
        cookies: async () => (await ctx.cookies()).map(cookie),
        /** Deletes every cookie of this visitor. */
        clearCookies: () => ctx.clearCookies(),
        close: () => ctx.close(),
      };
      return context;
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// Firefox: puppeteer-core over WebDriver BiDi

async function launchFirefox() {
  const browser = await puppeteer.launch(firefoxLaunchOptions());
  /** @type {Set<import('puppeteer-core').Page>} */
  const open = new Set();
  return {
    async newContext() {
      const ctx = await browser.createBrowserContext();
      const context = {
        /** @param {{ viewport?: Viewport }} [options] */
        async newPage({ viewport } = {}) {
          // A page opened while another is open (the visitor's own second page, or another
          // visitor's) is a window of its own, as Chromium's are: a background tab would be hidden
          // (no animation frames, IntersectionObserver or pointer events there).
          for (const o of open) if (o.isClosed()) open.delete(o);
          const p = await ctx.newPage(open.size ? { type: 'window' } : undefined);
          open.add(p);
          p.once('close', () => open.delete(p));
          if (viewport) await p.setViewport(viewport);
          return new Page({
            evaluate: (expr) => /** @type {Promise<string>} */ (p.evaluate(expr)),
            async click(find) {
              const handle = await p.evaluateHandle(find);
              await /** @type {import('puppeteer-core').ElementHandle<Element>} */ (handle.asElement()).click();
              await handle.dispose();
            },
            goto: async (url, timeout) => { await p.goto(url, { waitUntil: 'load', timeout }); },
            reload: async (timeout) => { await p.reload({ waitUntil: 'load', timeout }); },
            close: (opts) => p.close({ runBeforeUnload: !!opts.runBeforeUnload }),
            url: async () => p.url(),
            cookies: () => context.cookies(),
            async press(key) {
              // puppeteer's BiDi keyboard knows the space bar as ' ' only.
              const parts = /** @type {import('puppeteer-core').KeyInput[]} */ (keyParts(key).map((k) => (k === 'Space' ? ' ' : k)));
              const last = parts.pop();
              for (const m of parts) await p.keyboard.down(m);
              await p.keyboard.press(last);
              for (const m of parts.reverse()) await p.keyboard.up(m);
            },
            setViewportSize: (size) => p.setViewport(size),
            screenshot: async ({ path, fullPage }) => { await p.screenshot({ path: /** @type {`${string}.png`} */ (path), fullPage }); },
          }, context);
        },
        cookies: async () => (await ctx.cookies()).map(cookie),
        /** Deletes every cookie of this visitor. */
        clearCookies: async () => { await ctx.deleteCookie(...(await ctx.cookies())); },
        close: () => ctx.close(),
      };
      return context;
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// WebKit: webdriverio, classic WebDriver

/**
 * MiniBrowser's toolbar keeps its window at least 447 px wide: a 320 px viewport (a phone's) could
 * not be had. GTK reads a user style sheet from $XDG_CONFIG_HOME/gtk-3.0/gtk.css, and one that lets
 * the toolbar's buttons and address field shrink brings the window's minimum down to ~305 px. It
 * styles MiniBrowser's own widgets only (WebKitGTK draws the page itself: text, form controls and
 * scrollbars measure the same with it). The rest of the user's configuration is linked in as it is.
 */
const MINIBROWSER_CSS = 'window button, window entry { min-width: 0; padding-left: 0; padding-right: 0; }\n';
async function webkitConfigHome() {
  const original = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  const dir = await mkdtemp(join(tmpdir(), 'ctfl-webkit-config-'));
  const linkAll = async (from, to, except) => {
    const names = await readdir(from).catch(() => []);
    for (const name of names) if (name !== except) await symlink(join(from, name), join(to, name));
  };
  await linkAll(original, dir, 'gtk-3.0');
  await mkdir(join(dir, 'gtk-3.0'));
  await linkAll(join(original, 'gtk-3.0'), join(dir, 'gtk-3.0'), 'gtk.css');
  const own = await readFile(join(original, 'gtk-3.0', 'gtk.css'), 'utf8').catch(() => '');
  await writeFile(join(dir, 'gtk-3.0', 'gtk.css'), `${own}\n${MINIBROWSER_CSS}`);
  // rm does not follow the links: only the directory made here goes.
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function launchWebKit() {
  const { display, stop: stopDisplay } = await ensureDisplay();
  const config = await webkitConfigHome();
  const drivers = new Set();
  return {
    async newContext() {
      // A WebDriver session is a browser profile of its own (ephemeral storage): one per visitor.
      // WebKitWebDriver serves one session at a time, so each visitor gets a driver of its own.
      const driver = await startWebKitDriver(display, { env: { XDG_CONFIG_HOME: config.dir } });
      drivers.add(driver);
      const b = await remote(driver.options);
      // A script may run as long as in the other engines (WebDriver's default ends it after 30 s).
      await b.setTimeout({ script: 600_000 });
      let current = await b.getWindowHandle();
      let first = current;
      // One command at a time per session, in the window it is meant for.
      let queue = Promise.resolve();
      const inWindow = (handle, fn) => {
        const run = queue.then(async () => {
          if (current !== handle) { await b.switchToWindow(handle); current = handle; }
          return fn();
        });
        queue = run.catch(() => {});
        return run;
      };
      const context = {
        /** @param {{ viewport?: Viewport }} [options] */
        async newPage({ viewport } = {}) {
          let handle = first;
          if (handle) first = undefined;
          else handle = (await inWindow(current, () => b.createWindow('window'))).handle;
          if (viewport) await inWindow(handle, () => fitWindow(b, viewport));
          return new Page({
            evaluate: (expr) => inWindow(handle, () => b.execute(`return ${expr}`)),
            click: (find) => inWindow(handle, async () => {
              const ref = await b.execute(`return ${find}`);
              await (await b.$(ref)).click();
            }),
            goto: (url, timeout) => inWindow(handle, () => withPageLoadTimeout(b, timeout, () => b.navigateTo(url))),
            reload: (timeout) => inWindow(handle, () => withPageLoadTimeout(b, timeout, () => b.refresh())),
            close: () => inWindow(handle, async () => {
              await b.closeWindow();
              const left = await b.getWindowHandles();
              if (left.length) { current = left[0]; await b.switchToWindow(current); } else current = undefined;
            }),
            url: () => inWindow(handle, () => b.getUrl()),
            cookies: () => inWindow(handle, async () => (await b.getAllCookies()).map(cookie)),
            press: (key) => inWindow(handle, async () => {
              const parts = keyParts(key).map(webdriverKey);
              const actions = [...parts.map((value) => ({ type: 'keyDown', value })), ...parts.reverse().map((value) => ({ type: 'keyUp', value }))];
              await b.performActions([{ type: 'key', id: 'keyboard', actions }]);
              await b.releaseActions();
            }),
            setViewportSize: (size) => inWindow(handle, () => fitWindow(b, size)),
            // Classic WebDriver's screenshot is of the viewport.
            screenshot: ({ path }) => inWindow(handle, async () => { await b.saveScreenshot(path); }),
          }, context);
        },
        // Classic WebDriver reports (and deletes) the cookies of the current document's site.
        cookies: () => inWindow(current, async () => (await b.getAllCookies()).map(cookie)),
        /** Deletes every cookie of this visitor (of the site its current page is on: one site per visitor here). */
        clearCookies: () => inWindow(current, () => b.deleteAllCookies()),
        close: async () => {
          await b.deleteSession().catch(() => {});
          await driver.stop();
          drivers.delete(driver);
        },
      };
      return context;
    },
    async close() {
      for (const d of drivers) await d.stop();
      await stopDisplay();
      await config.remove();
    },
  };
}

/**
 * Sizes the current window so that its viewport (innerWidth × innerHeight) is `size`: classic
 * WebDriver sizes windows, and MiniBrowser's may have more around its web view than the page.
 */
async function fitWindow(b, { width, height }) {
  const inner = async () => /** @type {[number, number]} */ (await b.execute('return [innerWidth, innerHeight]'));
  let seen = await inner();
  for (let attempt = 0; attempt < 5 && (seen[0] !== width || seen[1] !== height); attempt++) {
    const rect = await b.getWindowRect();
    await b.setWindowRect(null, null, rect.width + width - seen[0], rect.height + height - seen[1]);
    // The page learns of its new size a little later.
    for (let end = Date.now() + 2000; ; await sleep(50)) {
      const now = await inner();
      if ((now[0] !== seen[0] || now[1] !== seen[1]) || Date.now() > end) { seen = now; break; }
    }
  }
  if (seen[0] !== width || seen[1] !== height) throw new Error(`the viewport is ${seen[0]}×${seen[1]}, not ${width}×${height}`);
}

/** Runs a navigation with WebDriver's page-load timeout set to `timeout` (ms) when given. */
async function withPageLoadTimeout(b, timeout, navigate) {
  if (timeout === undefined) return navigate();
  await b.setTimeout({ pageLoad: timeout });
  try { return await navigate(); } finally { await b.setTimeout({ pageLoad: 300_000 }); }
}

/** The browser of this run's engine. */
export async function launch() {
  if (ENGINE === 'firefox') return launchFirefox();
  if (ENGINE === 'webkit') return launchWebKit();
  return launchChromium();
}

export const engineLabel = () => `${ENGINE} (${engineVersion(ENGINE)})`;
