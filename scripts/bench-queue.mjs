// Benchmark for issue 6 (not a test): events/s persisted by the queue (IndexedDB) and the time to
// drain 1,000 queued events after coming back online, in Debian Chromium against a local emulator.
// Usage: node scripts/build.mjs && node scripts/bench-queue.mjs [runs=5] [events=1000]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { root, startEmulator } from '../test/helpers/emulator.mjs';
import { chromiumPath, chromiumArgs } from './chromium.mjs';

const RUNS = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 1000);
const emulator = await startEmulator();
const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!/^\/(dist|test\/fixtures)\//.test(path)) { res.writeHead(404).end(); return; }
  try { res.writeHead(200, { 'Content-Type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(await readFile(join(root, path))); } catch { res.writeHead(404).end(); }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });

const persistedCount = () => new Promise((resolve) => {
  const req = indexedDB.open('ctfl-optimization-queue');
  req.onsuccess = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains('queues')) { db.close(); resolve(0); return; }
    const all = db.transaction('queues').objectStore('queues').getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.reduce((n, q) => n + q.i.length, 0)); };
  };
});

const persistRates = [];
const drainMs = [];
for (let run = 0; run < RUNS; run++) {
  const org = `bench-${Date.now().toString(36)}-${run}`;
  const context = await browser.newContext();
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
    const { events } = await (await fetch(`${emulator.url}/_emulator/events?organization=${org}`)).json();
    if (events.length >= N) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  drainMs.push(Date.now() - t0);
  await context.close();
}

const stat = (xs, unit, digits = 0) => {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return `median ${median.toFixed(digits)} ${unit} (range ${s[0].toFixed(digits)}–${s[s.length - 1].toFixed(digits)}, ${s.length} runs)`;
};
console.log(`events persisted to IndexedDB: ${stat(persistRates, 'events/s')}  [${N} events made at once, until all are stored]`);
console.log(`drain ${N} queued events after coming back online: ${stat(drainMs, 'ms')}`);
await browser.close();
await new Promise((r) => server.close(r));
await emulator.stop();
