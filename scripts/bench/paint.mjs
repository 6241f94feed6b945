// Time to personalized content in Chromium: from navigation start to the first animation frame that
// shows the hero's variant, for our script tag and for the same page built with the reference SDK,
// against the emulator (`--latency 50`). Also: baseline frames painted before the variant (sampled
// every animation frame by test/helpers/frame-probe.mjs) and cumulative layout shift.
import { FRAME_PROBE } from '../../test/helpers/frame-probe.mjs';
import { HERO_BASELINE, HERO_VARIANT, RUN_MARK_NAME } from './pages.mjs';
import { summarize, ratio } from './stats.mjs';

/**
 * Runs after FRAME_PROBE: stamps each sampled frame with performance.now() (window.__frameTimes,
 * index-aligned with window.__frames) and sums layout shifts without recent input (window.__cls).
 */
const TIMING_PROBE = `
  window.__frameTimes = [];
  Object.defineProperty(window.__frames, 'push', { value: function (v) {
    window.__frameTimes.push(performance.now());
    return Array.prototype.push.call(this, v);
  } });
  window.__cls = 0;
  window.__longTasks = 0;
  try {
    new PerformanceObserver(function (list) {
      for (const e of list.getEntries()) window.__longTasks += e.duration;
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) { /* no long task timing */ }
  new PerformanceObserver(function (list) {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__cls += e.value;
  }).observe({ type: 'layout-shift', buffered: true });`;

/** The same markup with the variant inline and no script: what each scenario is measured against. */
const FLOOR = { url: '/floor.html' };

export const SCENARIOS = [
  { key: 'newVisitor', label: 'new visitor (first page view, in the audience)',
    ours: { url: '/ours.html?utm_campaign=spring' }, reference: { url: '/reference.html?utm_campaign=spring' } },
  { key: 'returning', label: 'returning visitor (second page view; selections cached)',
    ours: { prime: '/ours.html?utm_campaign=spring', url: '/ours.html' },
    reference: { prime: '/reference.html?utm_campaign=spring', url: '/reference.html' } },
  { key: 'handoff', label: 'server handoff (server-rendered variant, first page view)',
    ours: { url: '/handoff/ours.html?utm_campaign=spring' }, reference: { url: '/handoff/reference.html?utm_campaign=spring' },
    floor: { url: '/floor.html?decide=1&utm_campaign=spring' } },
  // Diagnostic, ours only: without persistence consent the runtime has no IndexedDB state to load
  // before its first request. Compared with the reference's new visitor.
  { key: 'newVisitorNoPersistence', label: 'new visitor, persistence consent withheld (diagnostic, ours only)', diagnostic: true,
    ours: { url: '/ours.html?utm_campaign=spring&persist=0' }, reference: null, compareWith: 'newVisitor' },
];

const waitVariant = (page) => page.waitForFunction((t) => window.__frames?.includes(t), HERO_VARIANT, { timeout: 15_000, polling: 'raf' });

/** One measured page view in a fresh browser context (after an unmeasured priming view, if any). */
async function measure(browser, siteUrl, { url, prime }) {
  const context = await browser.newContext();
  try {
    return await measureIn(context, siteUrl, { url, prime });
  } finally {
    await context.close();
  }
}

async function measureIn(context, siteUrl, { url, prime }) {
  {
    await context.addInitScript(FRAME_PROBE);
    await context.addInitScript(TIMING_PROBE);
    const errors = [];
    if (prime) {
      // The priming view in a page of its own: the measured page's counters start from zero.
      const primer = await context.newPage();
      primer.on('pageerror', (e) => errors.push(String(e)));
      await primer.goto(siteUrl + prime);
      await waitVariant(primer);
      await primer.waitForTimeout(50); // let the SDK finish writing its caches
      await primer.close();
    }
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    // Main-thread cost of the page (Chromium's own counters): script evaluation and all tasks.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const before = metricsOf(await cdp.send('Performance.getMetrics'));
    await page.goto(siteUrl + url);
    await waitVariant(page);
    const after = metricsOf(await cdp.send('Performance.getMetrics'));
    // Two more frames and a pause: late layout shifts are counted too.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 100)))));
    const m = await page.evaluate(({ baseline, variant, runMark }) => {
      const i = window.__frames.indexOf(variant);
      const before = window.__frames.slice(0, i);
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const profiles = performance.getEntriesByType('resource').find((e) => /\/v2\/organizations\/[^/]+\/environments\/[^/]+\/profiles/.test(e.name));
      return {
        ttpcMs: window.__frameTimes[i],
        baselineFrames: before.filter((f) => f === baseline).length,
        hiddenFrames: before.filter((f) => f === '(hidden)').length,
        // The hero is in the DOM and visible but the parser has not delivered its heading yet.
        emptyFrames: before.filter((f) => f === '(empty)').length,
        cls: window.__cls,
        ttfbMs: nav ? nav.responseStart : null,
        fcpMs: fcp ? fcp.startTime : null,
        headScriptDoneMs: window.__headScriptDone ?? null,
        // When the browser's first Experience API request left (none on a handed-off page of ours).
        requestStartMs: profiles?.startTime ?? null,
        // When its answer had arrived.
        responseEndMs: profiles?.responseEnd ?? null,
        // When the blocking script had arrived, and when its first statement ran (the bench's mark,
        // after compilation).
        scriptStartMs: performance.getEntriesByType('resource').find((e) => /\/(dist\/optimization\.umd|reference\/page)\.js$/.test(e.name))?.responseEnd ?? null,
        scriptRunsMs: performance.getEntriesByName(runMark)[0]?.startTime ?? null,
        longTaskMs: window.__longTasks ?? 0,
        framesBefore: i,
      };
    }, { baseline: HERO_BASELINE, variant: HERO_VARIANT, runMark: RUN_MARK_NAME });
    if (errors.length) throw new Error(`page errors on ${url}: ${errors.join('; ')}`);
    m.scriptMs = (after.ScriptDuration - before.ScriptDuration) * 1000;
    m.taskMs = (after.TaskDuration - before.TaskDuration) * 1000;
    return m;
  }
}

const metricsOf = ({ metrics }) => Object.fromEntries(metrics.map((x) => [x.name, x.value]));

const summarizeRuns = (runs) => ({
  ttpcMs: summarize(runs.map((r) => r.ttpcMs)),
  baselineFrames: summarize(runs.map((r) => r.baselineFrames)),
  hiddenFrames: summarize(runs.map((r) => r.hiddenFrames)),
  emptyFrames: summarize(runs.map((r) => r.emptyFrames)),
  cls: summarize(runs.map((r) => r.cls)),
  ttfbMs: summarize(runs.map((r) => r.ttfbMs)),
  fcpMs: summarize(runs.map((r) => r.fcpMs)),
  requestStartMs: summarize(runs.map((r) => r.requestStartMs)),
  // Per run: the request's round trip (latency and the emulator's work), and from its answer to the frame showing the variant.
  answerMs: summarize(runs.map((r) => (r.requestStartMs == null || r.responseEndMs == null ? null : r.responseEndMs - r.requestStartMs))),
  answerToVariantMs: summarize(runs.map((r) => (r.responseEndMs == null ? null : r.ttpcMs - r.responseEndMs))),
  headScriptDoneMs: summarize(runs.map((r) => r.headScriptDoneMs)),
  scriptStartMs: summarize(runs.map((r) => r.scriptStartMs)),
  // Per run: how long after the SDK's script started to run its first Experience request left.
  requestAfterScriptStartMs: summarize(runs.map((r) => (r.requestStartMs === null || r.scriptStartMs === null ? null : r.requestStartMs - r.scriptStartMs))),
  requestAfterScriptRunsMs: summarize(runs.map((r) => (r.requestStartMs === null || r.scriptRunsMs == null ? null : r.requestStartMs - r.scriptRunsMs))),
  compileMs: summarize(runs.map((r) => (r.scriptRunsMs == null || r.scriptStartMs === null ? null : r.scriptRunsMs - r.scriptStartMs))),
  scriptMs: summarize(runs.map((r) => r.scriptMs)),
  taskMs: summarize(runs.map((r) => r.taskMs)),
  longTaskMs: summarize(runs.map((r) => r.longTaskMs)),
  framesBefore: summarize(runs.map((r) => r.framesBefore)),
  // Per run: how long after the SDK's script ran its first Experience request left.
  requestAfterScriptMs: summarize(runs.map((r) => (r.requestStartMs === null || r.headScriptDoneMs === null ? null : r.requestStartMs - r.headScriptDoneMs))),
  maxBaselineFrames: Math.max(...runs.map((r) => r.baselineFrames)),
  maxCls: Math.max(...runs.map((r) => r.cls)),
});

/**
 * @param {{ browser: import('playwright-core').Browser, siteUrl: string, runs: number, warmup?: boolean, log?: (s: string) => void }} options
 */
export async function benchPaint({ browser, siteUrl, runs, warmup = true, log = () => {} }) {
  // One warm-up view of each page, not counted (first compile of each script, server caches).
  const sides = (s) => ['ours', 'reference'].filter((side) => s[side]);
  if (warmup) {
    await measure(browser, siteUrl, FLOOR);
    for (const s of SCENARIOS) if (s.floor) await measure(browser, siteUrl, s.floor);
    for (const s of SCENARIOS) for (const side of sides(s)) await measure(browser, siteUrl, s[side]);
  }
  const scenarios = {};
  for (const s of SCENARIOS) {
    const raw = { ours: [], reference: [], floor: [] };
    for (let i = 0; i < runs; i++) {
      // Alternate which page goes first, so drifting machine load is shared evenly; the floor is
      // measured in every round, next to the pages it is compared with.
      const order = [...sides(s), 'floor'];
      if (i % 2) order.reverse();
      for (const side of order) raw[side].push(await measure(browser, siteUrl, side === 'floor' ? s.floor ?? FLOOR : s[side]));
    }
    const ours = summarizeRuns(raw.ours);
    const reference = s.reference ? summarizeRuns(raw.reference) : null;
    const floor = summarizeRuns(raw.floor);
    const theirs = reference ?? scenarios[s.compareWith]?.reference;
    const overFloor = (x) => (x ? { ttpcMs: x.ttpcMs.median - floor.ttpcMs.median, fcpMs: x.fcpMs.median - floor.fcpMs.median } : null);
    scenarios[s.key] = {
      label: s.label, diagnostic: !!s.diagnostic, comparedWith: reference ? s.key : s.compareWith,
      ours, reference, floor, oursOverFloor: overFloor(ours), referenceOverFloor: overFloor(theirs),
      ttpcRatio: ratio(ours.ttpcMs.median, theirs?.ttpcMs.median), raw,
    };
    log(`  ${s.key}: ours ${ours.ttpcMs.median.toFixed(1)} ms, reference ${theirs ? theirs.ttpcMs.median.toFixed(1) : 'n/a'} ms, floor ${floor.ttpcMs.median.toFixed(1)} ms`);
  }
  return { runs, warmup, scenarios };
}
