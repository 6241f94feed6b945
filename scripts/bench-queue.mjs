// Benchmark for issue 6 (not a test): events/s persisted by the queue (IndexedDB) and the time to
// drain 1,000 queued events after coming back online, in Debian Chromium against a local emulator.
// Usage: node scripts/build.mjs && node scripts/bench-queue.mjs [runs=5] [events=1000]
// `npm run bench` imports benchQueue() for its queue section.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { root, startEmulator } from '../test/helpers/emulator.mjs';
import { chromiumPath, chromiumArgs } from './chromium.mjs';
import { summarize, fmtSummary } from './bench/stats.mjs';

const persistedCount = () => new Promise((resolve) => {
  const req = indexedDB.open('ctfl-optimization-queue');
  req.onsuccess = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains('queues')) { db.close(); resolve(0); return; }
    const all = db.transaction('queues').objectStore('queues').getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.reduce((n, q) => n + q.i.length, 0)); };
  };
});

/**
 * Measures, `runs` times, how fast `events` click events made at once reach IndexedDB while offline,
 * and how long the emulator takes to receive all of them once the page is back online. Starts its
 * own emulator and Chromium unless given (and then leaves them running).
 * @param {{ runs?: number, events?: number, browser?: import('playwright-core').Browser, emulator?: { url: string } }} [options]
 * @returns {Promise<{ runs: number, events: number, persistRates: number[], drainMs: number[] }>}
 */
export async function benchQueue({ runs = 5, events = 1000, browser: givenBrowser, emulator: givenEmulator } = {}) {
  const N = events;
  const emulator = givenEmulator ?? await startEmulator();
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!/^\/(dist|test\/fixtures)\//.test(path)) { res.writeHead(404).end(); return; }
    try { res.writeHead(200, { 'Content-Type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(await readFile(join(root, path))); } catch { res.writeHead(404).end(); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = givenBrowser ?? await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });

  const persistRates = [];
  const drainMs = [];
  try {
    for (let run = 0; run < runs; run++) {
      const org = `bench-${Date.now().toString(36)}-${run}`;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${origin}/test/fixtures/delivery/index.html?org=${org}&api=${encodeURIComponent(emulator.url)}`);
        await page.evaluate(async () => { await window.optimization.ready; await window.optimization.page(); });
        await context.setOffline(true);
        // Events made in one go; the clock stops when IndexedDB holds all of them.
        const ms = await page.evaluate(async ({ n, count }) => {
          const count_ = new Function(`return (${count})()`);
          const t0 = performance.now();
          for (let i = 0; i < n; i++) void window.optimization.trackClick({ componentId: 'hero', experienceId: 'exp', variantIndex: 0 });
          while ((await count_()) < n) await new Promise((r) => setTimeout(r, 2));
          return performance.now() - t0;
        }, { n: N, count: persistedCount.toString() });
        persistRates.push(N / (ms / 1000));
        const t0 = Date.now();
        await context.setOffline(false); // the browser fires 'online': the runtime flushes
        for (;;) {
          const { events: got } = await (await fetch(`${emulator.url}/_emulator/events?organization=${org}`)).json();
          if (got.length >= N) break;
          if (Date.now() - t0 > 60_000) throw new Error(`the emulator received ${got.length} of ${N} events within 60 s`);
          await new Promise((r) => setTimeout(r, 5));
        }
        drainMs.push(Date.now() - t0);
      } finally {
        await context.close();
      }
    }
  } finally {
    if (!givenBrowser) await browser.close();
    await new Promise((r) => server.close(r));
    if (!givenEmulator) await emulator.stop();
  }
  return { runs, events: N, persistRates, drainMs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { persistRates, drainMs, events: N } = await benchQueue({ runs: Number(process.argv[2] ?? 5), events: Number(process.argv[3] ?? 1000) });
  const stat = (xs, unit) => fmtSummary(summarize(xs), unit, 0);
  console.log(`events persisted to IndexedDB: ${stat(persistRates, 'events/s')}  [${N} events made at once, until all are stored]`);
  console.log(`drain ${N} queued events after coming back online: ${stat(drainMs, 'ms')}`);
}
