// Waiting in the end-to-end suites (node:test): for something to happen (a poll, never a fixed
// sleep), and for a page's runtime to be idle before a check that nothing more was sent.

/**
 * Polls `fn` every `interval` ms until it returns a truthy value, and returns that value; throws
 * after `timeout` ms. What `fn` throws is thrown at once.
 * @template T
 * @param {() => T | Promise<T>} fn
 * @param {number} [timeout]
 * @param {string} [what] named in the timeout's message
 * @param {number} [interval]
 * @returns {Promise<T>}
 */
export async function waitFor(fn, timeout = 5000, what = 'condition', interval = 50) {
  const end = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out (${timeout} ms) waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/**
 * Run in a page (`page.evaluate(pageIdle)`): resolves once the page's runtime is idle — after the
 * next frame and a task (or 100 ms, when the page has no frames), when route tracking has sent, or
 * decided not to send, the page event of every URL change made before (src/browser/navigation.ts),
 * then once `window.optimization.flush()` is over (it waits for a delivery under way too). The
 * browser suites' afterNextRender() (test/helpers/browser.ts) in page form.
 */
export async function pageIdle() {
  await new Promise((resolve) => {
    let called = false;
    const once = () => { if (!called) { called = true; resolve(undefined); } };
    requestAnimationFrame(() => setTimeout(once, 0));
    setTimeout(once, 100);
  });
  await window.optimization.flush();
}
