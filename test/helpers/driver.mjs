// One small browser API for the end-to-end tests, over the driver each engine has here:
// Chromium through playwright-core (CDP), Firefox through puppeteer-core (WebDriver BiDi), WebKit
// through webdriverio (classic WebDriver against WebKitWebDriver + MiniBrowser on a virtual display).
// The engine is CTFL_ENGINE (default chromium; scripts/test.mjs runs test/e2e/ once per engine).
//
// Only what every engine can do the same way is offered: navigate, reload, run a function in the
// page (its result travels as JSON, so `undefined` stays `undefined` everywhere), click an element
// like a user (the driver's own click: real pointer input), read cookies through the driver (with
// path, SameSite, HttpOnly and expiry — the Cookie Store API gives those in Chromium only), open
// more tabs of a visitor and close them. Watching the page from its first line and reading the
// HTTP exchanges is done by the site proxy (test/helpers/site.mjs), not by a driver.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { remote } from 'webdriverio';
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
  /** @param {{ evaluate(expr: string): Promise<string>, click(find: string): Promise<void>, goto(url: string): Promise<void>, reload(): Promise<void>, close(opts: { runBeforeUnload?: boolean }): Promise<void>, url(): Promise<string>, cookies(): Promise<ReturnType<typeof cookie>[]> }} impl */
  constructor(impl, context) { this.impl = impl; this.context = context; this.seen = new Set(); }

  // Problems are read before every navigation this API makes as well: Firefox shows a page restored
  // from its back/forward cache the sessionStorage it had then, without what later pages wrote.
  async goto(url) { await this.#collect(); return this.impl.goto(url); }
  async reload() { await this.#collect(); return this.impl.reload(); }
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
        async newPage() {
          const p = await ctx.newPage();
          return new Page({
            evaluate: (expr) => p.evaluate(expr),
            async click(find) {
              const handle = (await p.evaluateHandle(find)).asElement();
              await handle.click();
              await handle.dispose();
            },
            goto: async (url) => { await p.goto(url); },
            reload: async () => { await p.reload(); },
            close: (opts) => p.close({ runBeforeUnload: !!opts.runBeforeUnload }),
            url: async () => p.url(),
            cookies: () => context.cookies(),
          }, context);
        },
        cookies: async () => (await ctx.cookies()).map(cookie),
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
  return {
    async newContext() {
      const ctx = await browser.createBrowserContext();
      let pages = 0;
      const context = {
        async newPage() {
          // A visitor's second page is a window of its own, as Chromium's are: a background tab
          // would be hidden (no animation frames, IntersectionObserver or pointer events there).
          const p = await ctx.newPage(pages++ ? { type: 'window' } : undefined);
          return new Page({
            evaluate: (expr) => /** @type {Promise<string>} */ (p.evaluate(expr)),
            async click(find) {
              const handle = await p.evaluateHandle(find);
              await /** @type {import('puppeteer-core').ElementHandle<Element>} */ (handle.asElement()).click();
              await handle.dispose();
            },
            goto: async (url) => { await p.goto(url, { waitUntil: 'load' }); },
            reload: async () => { await p.reload({ waitUntil: 'load' }); },
            close: (opts) => p.close({ runBeforeUnload: !!opts.runBeforeUnload }),
            url: async () => p.url(),
            cookies: () => context.cookies(),
          }, context);
        },
        cookies: async () => (await ctx.cookies()).map(cookie),
        close: () => ctx.close(),
      };
      return context;
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// WebKit: webdriverio, classic WebDriver

async function launchWebKit() {
  const { display, stop: stopDisplay } = await ensureDisplay();
  const drivers = new Set();
  return {
    async newContext() {
      // A WebDriver session is a browser profile of its own (ephemeral storage): one per visitor.
      // WebKitWebDriver serves one session at a time, so each visitor gets a driver of its own.
      const driver = await startWebKitDriver(display);
      drivers.add(driver);
      const b = await remote(driver.options);
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
        async newPage() {
          let handle = first;
          if (handle) first = undefined;
          else handle = (await inWindow(current, () => b.createWindow('window'))).handle;
          return new Page({
            evaluate: (expr) => inWindow(handle, () => b.execute(`return ${expr}`)),
            click: (find) => inWindow(handle, async () => {
              const ref = await b.execute(`return ${find}`);
              await (await b.$(ref)).click();
            }),
            goto: (url) => inWindow(handle, () => b.navigateTo(url)),
            reload: () => inWindow(handle, () => b.refresh()),
            close: () => inWindow(handle, async () => {
              await b.closeWindow();
              const left = await b.getWindowHandles();
              if (left.length) { current = left[0]; await b.switchToWindow(current); } else current = undefined;
            }),
            url: () => inWindow(handle, () => b.getUrl()),
            cookies: () => inWindow(handle, async () => (await b.getAllCookies()).map(cookie)),
          }, context);
        },
        // Classic WebDriver reports the cookies of the current document's site.
        cookies: () => inWindow(current, async () => (await b.getAllCookies()).map(cookie)),
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
    },
  };
}

/** The browser of this run's engine. */
export async function launch() {
  if (ENGINE === 'firefox') return launchFirefox();
  if (ENGINE === 'webkit') return launchWebKit();
  return launchChromium();
}

export const engineLabel = () => `${ENGINE} (${engineVersion(ENGINE)})`;
