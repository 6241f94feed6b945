#!/usr/bin/env node
// `npm run bench` (issue 8): our script-tag bundle side by side with @ninetailed/experience.js.
// Writes bench/report.md, bench/report.json and bench/scaling.svg. Not part of `npm test`: speeds
// are reported (medians and ranges), never asserted.
//
//   node scripts/bench.mjs            full run (≥ 20 runs per page-load scenario); a few minutes
//   node scripts/bench.mjs --smoke    a few runs of everything into bench/tmp/smoke/ (< 60 s; CI)
//   options: --out DIR, --runs N (page loads), --only weight,paint,steps,swap,queue,emulator, --no-build
//
// Exits non-zero when any section fails (a page error, a wrong swap, a missing build, …).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, loadavg, type as osType, release, arch } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { root, startEmulator } from '../test/helpers/emulator.mjs';
import { chromiumPath, chromiumArgs } from './chromium.mjs';
import { benchWeight } from './bench/weight.mjs';
import { startBenchSite } from './bench/pages.mjs';
import { benchPaint } from './bench/paint.mjs';
import { benchFirstRequest, buildMarkedBundle } from './bench/first-request.mjs';
import { benchSwap } from './bench/swap.mjs';
import { benchQueue } from './bench-queue.mjs';
import { benchEmulator } from './bench-emulator.mjs';
import { renderReport, chartFor } from './bench/report.mjs';
import { summarize } from './bench/stats.mjs';

const { values } = parseArgs({ options: {
  smoke: { type: 'boolean', default: false },
  out: { type: 'string' },
  runs: { type: 'string' },
  only: { type: 'string' },
  'no-build': { type: 'boolean', default: false },
} });
const smoke = values.smoke;
const plan = smoke
  ? { paintRuns: 2, swapRuns: 1, queueRuns: 1, queueEvents: 200, emulatorDuration: 2, emulatorConnections: 20 }
  : { paintRuns: 20, swapRuns: 10, queueRuns: 5, queueEvents: 1000, emulatorDuration: 10, emulatorConnections: 50 };
if (values.runs) plan.paintRuns = Math.max(1, Number(values.runs));
const outDir = values.out ?? join(root, 'bench', ...(smoke ? ['tmp', 'smoke'] : []));
const only = values.only ? new Set(values.only.split(',')) : null;
const wanted = (name) => !only || only.has(name);
const LATENCY_MS = 50;
const started = Date.now();
const log = (s) => console.log(s);

if (!chromiumPath()) { console.error('ctfl-opt/E110: no Chromium found; install Debian\'s chromium or set CHROME_PATH'); process.exit(1); }

// Measure what the source builds to now (types are not needed here).
if (!values['no-build']) {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--no-types'], { stdio: 'inherit' });
  if (b.status !== 0) { console.error('bench: the build failed'); process.exit(1); }
}

const git = (...args) => {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
const report = {
  date: new Date().toISOString(),
  // What was measured: the commit, and whether the working tree differed from it under src/.
  source: { commit: git('rev-parse', '--short', 'HEAD'), srcModified: !!git('status', '--porcelain', '--', 'src') },
  mode: smoke ? 'smoke' : 'full',
  command: smoke ? 'node scripts/bench.mjs --smoke' : 'npm run bench',
  plan: { ...plan, emulatorLatencyMs: LATENCY_MS },
  machine: {
    os: `${osType()} ${release()} ${arch()}`,
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown',
    cpuCount: cpus().length,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    chromium: null,
    loadAverageAtStart: loadavg().map((v) => +v.toFixed(2)),
    loadAverageAtEnd: null,
  },
  sections: {},
};

/** Runs one section; a failure is recorded (and fails the run) without stopping the others. */
async function section(name, fn) {
  if (!wanted(name)) return;
  const t0 = Date.now();
  log(`bench: ${name}…`);
  try {
    report.sections[name] = { status: 'ok', ...(await fn()), seconds: +((Date.now() - t0) / 1000).toFixed(1) };
  } catch (error) {
    console.error(`bench: ${name} failed: ${error?.stack ?? error}`);
    report.sections[name] = { status: 'failed', error: String(error?.message ?? error), seconds: +((Date.now() - t0) / 1000).toFixed(1) };
  }
}

await section('weight', async () => ({ result: await benchWeight() }));

let browser, emulator, site, setupError, marked;
try {
  // A browser, emulator or site that does not start fails the sections that need it (reported).
  try {
    if (wanted('paint') || wanted('swap') || wanted('queue') || wanted('steps')) {
      browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
      report.machine.chromium = browser.version();
    }
    if (wanted('paint') || wanted('swap') || wanted('steps')) {
      emulator = await startEmulator(['--latency', String(LATENCY_MS)]);
      // A marked bundle that cannot be built (a source anchor gone, dist/ not built from src/) fails the steps section only.
      marked = wanted('steps') ? await buildMarkedBundle().catch((error) => ({ error })) : undefined;
      site = await startBenchSite({ emulatorUrl: emulator.url, markedBundle: typeof marked === 'string' ? marked : undefined });
    }
  } catch (error) {
    setupError = error;
  }
  const ready = () => { if (setupError) throw setupError; };
  await section('paint', async () => { ready(); return { result: { ...(await benchPaint({ browser, siteUrl: site.url, runs: plan.paintRuns, warmup: !smoke, log })), referencePageBundleBytes: site.referenceBundleBytes } }; });
  await section('steps', async () => { ready(); if (marked?.error) throw marked.error; return { result: await benchFirstRequest({ browser, siteUrl: site.url, runs: plan.paintRuns }) }; });
  await section('swap', async () => { ready(); return { result: await benchSwap({ browser, siteUrl: site.url, runs: plan.swapRuns, warmup: !smoke, log }) }; });
  // The queue benchmark starts its own emulator (no added latency), as scripts/bench-queue.mjs does.
  await section('queue', async () => {
    if (!browser) ready();
    const r = await benchQueue({ browser, runs: plan.queueRuns, events: plan.queueEvents });
    return { result: { ...r, summary: { persistRate: summarize(r.persistRates), drainMs: summarize(r.drainMs) } } };
  });
} finally {
  await site?.close();
  await emulator?.stop();
  await browser?.close();
}
await section('emulator', async () => {
  const result = await benchEmulator({ duration: plan.emulatorDuration, connections: plan.emulatorConnections });
  if (result.non2xxOrErrors > 0) throw new Error(`${result.non2xxOrErrors} non-2xx answers or errors under load`);
  return { result };
});

report.machine.loadAverageAtEnd = loadavg().map((v) => +v.toFixed(2));
report.seconds = +((Date.now() - started) / 1000).toFixed(1);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
const svg = chartFor(report);
if (svg) writeFileSync(join(outDir, 'scaling.svg'), svg);
writeFileSync(join(outDir, 'report.md'), renderReport(report));
const failed = Object.entries(report.sections).filter(([, s]) => s.status !== 'ok').map(([k]) => k);
log(`bench: wrote ${join(outDir, 'report.md')} in ${report.seconds} s${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;
