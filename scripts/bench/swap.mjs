// DOM swap cost: pages with N live <ctfl-optimized-entry> elements showing the baseline; a new
// selection arrives (identify() puts the visitor in the hero's audience) and we time, from the
// moment the runtime publishes it, until every element has swapped to the variant (committed to the
// DOM), and until the next frame with those swaps has rendered. The network is not in the figure:
// the clock starts when the response has been applied to the runtime's state.
//
// Re-render cost, on the same page afterwards: views flowing in (trackView(), as the elements send
// them) change the runtime's state but nothing any entry shows. We count how often entries asked the
// runtime for their decision (resolveEntry() calls, the work of a re-render) and time the views.
import { summarize } from './stats.mjs';

export const SIZES = [10, 100, 1000];
/** Views sent per measurement: each is one state change (the emitted-events list). */
export const VIEWS = 100;

async function once(browser, siteUrl, n) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const t = Date.now();
    await page.goto(`${siteUrl}/swap.html?n=${n}`);
    await page.waitForFunction((count) => window.optimization?.state?.requestState?.status === 'success'
      && document.querySelectorAll('ctfl-optimized-entry[data-ctfl-variant-index="0"]').length === count, n, { timeout: 30_000 });
    const loadMs = Date.now() - t;
    await page.evaluate(() => { window.__swap.armed = true; void window.optimization.identify({ userId: 'bench-visitor', traits: { plan: 'pro' } }); });
    await page.waitForFunction(() => window.__swap.painted !== undefined, null, { timeout: 30_000 });
    const m = await page.evaluate(() => ({ ...window.__swap }));
    if (errors.length) throw new Error(`page errors with ${n} entries: ${errors.join('; ')}`);
    if (m.swapped !== n || m.total !== n) throw new Error(`${m.swapped} of ${m.total} entries (expected ${n}) showed the variant when the selection had been applied`);
    const r = await page.evaluate((views) => {
      const sdk = window.optimization;
      let resolutions = 0;
      const resolve = sdk.resolveEntry;
      sdk.resolveEntry = function (...args) { resolutions++; return resolve.apply(this, args); };
      let changes = -1; // subscribe() calls once at once
      const off = sdk.states.events.subscribe(() => { changes++; });
      const t0 = performance.now();
      for (let i = 0; i < views; i++) {
        void sdk.trackView({ componentId: `bench-view-${i}`, viewId: `bench-view-${i}`, viewDurationMs: 1000, sticky: false });
      }
      const ms = performance.now() - t0;
      sdk.resolveEntry = resolve;
      off();
      return { ms, resolutions, emitted: changes };
    }, VIEWS);
    if (r.emitted < VIEWS) throw new Error(`only ${r.emitted} of ${VIEWS} views left the consent gate`);
    return { commitMs: m.committed - m.t0, paintMs: m.painted - m.t0, loadMs, viewsMs: r.ms, resolutionsPerView: r.resolutions / VIEWS };
  } finally {
    await context.close();
  }
}

/** @param {{ browser: import('playwright-core').Browser, siteUrl: string, runs: number, sizes?: number[], warmup?: boolean, log?: (s: string) => void }} options */
export async function benchSwap({ browser, siteUrl, runs, sizes = SIZES, warmup = true, log = () => {} }) {
  if (warmup) await once(browser, siteUrl, sizes[0]);
  const points = [];
  for (const n of sizes) {
    const raw = [];
    for (let i = 0; i < runs; i++) raw.push(await once(browser, siteUrl, n));
    const point = {
      entries: n,
      commitMs: summarize(raw.map((r) => r.commitMs)),
      paintMs: summarize(raw.map((r) => r.paintMs)),
      viewsMs: summarize(raw.map((r) => r.viewsMs)),
      resolutionsPerView: summarize(raw.map((r) => r.resolutionsPerView)),
      raw,
    };
    point.commitUsPerEntry = (point.commitMs.median * 1000) / n;
    points.push(point);
    log(`  ${n} entries: committed ${point.commitMs.median.toFixed(2)} ms, next frame ${point.paintMs.median.toFixed(2)} ms; `
      + `${VIEWS} views ${point.viewsMs.median.toFixed(2)} ms, ${point.resolutionsPerView.median} entry re-renders per view`);
  }
  return { runs, views: VIEWS, points };
}
