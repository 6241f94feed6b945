// Where the first Experience request's time goes, step by step: the script-tag bundle built again
// with a `performance.mark()` at each step between its first statement and the request's fetch()
// (inserted here, at anchors in the source; the product carries no marks), loaded as a new visitor
// in fresh browser contexts. Built with the real bundle's mangleCache, so the chunks in dist/ fit it.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../../test/helpers/emulator.mjs';
import { umdOptions, compact } from '../esbuild-umd.mjs';
import { RUN_MARK_NAME } from './pages.mjs';
import { summarize } from './stats.mjs';

const P = 'ctfl-step:';

/**
 * The marks, in the order the bundle passes them: [source file, anchor text, mark, where].
 * A missing anchor fails the section: update it here when the source changes.
 */
const MARKS = [
  ['src/umd.ts', '  g.__ctflOptimizationLoaded__ = true;\n', 'modules', 'after'],
  ['src/umd.ts', '  defineContentElements();\n', 'elements', 'after'],
  ['src/umd.ts', '  const config = readConfig();\n', 'config', 'after'],
  ['src/browser/optimization.ts', "    const debug = kv.getValid(STORAGE_KEYS.debug, DebugFlag, undefined, false) === 'true';\n", 'storage', 'after'],
  ['src/browser/optimization.ts', "    this._store = createStore(initialState(this), (error) => this._log.error('E010', '', error));\n", 'initial', 'after'],
  ['src/browser/optimization.ts', '    if (persisting) adoptCookie(this);\n', 'cookie', 'after'],
  ['src/browser/optimization.ts', '    provideRuntime(this);\n', 'constructed', 'after'],
  ['src/umd.ts', '      void sdk.page();\n', 'page', 'after'],
  ['src/core/api.ts', "    res = await f(url, { ...init, redirect: 'manual', signal: controller?.signal });\n", 'fetch', 'before'],
  // The first document.cookie read alone (inside the `cookie` step).
  ['src/browser/cookies.ts', '  try { all = doc.cookie; } catch { return out; }\n', 'cookie-read-start', 'before'],
  ['src/browser/cookies.ts', '  try { all = doc.cookie; } catch { return out; }\n', 'cookie-read-end', 'after'],
];

/** What each step from the previous mark is, for the report. */
export const STEP_LABELS = {
  compile: 'the file arrived → its first statement runs (compiling)',
  modules: 'modules evaluated (classes, checks, constants)',
  elements: 'elements defined',
  config: 'configuration read (data-attributes, window config)',
  storage: 'configuration resolved, localStorage opened (first read)',
  initial: 'initial state: consent, profile, selections (steps 1–4)',
  cookie: '`ctfl-opt-aid` read and adopted (steps 5–6)',
  constructed: 'state entries, queue recovery started, lifecycle, tab sync',
  page: 'stub callbacks run, page event checked and built',
  fetch: 'request body built, fetch() called',
  total: 'total: first statement → fetch()',
  cookieRead: 'of which the first `document.cookie` read (a synchronous call to the browser)',
};

const mangleOf = (options) => build({ ...options, entryPoints: [join(root, 'src', 'umd.ts')], write: false, outfile: 'x.js', mangleCache: {} });

/** The bundle with marks, minified as dist/optimization.umd.js is. */
export async function buildMarkedBundle() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const options = umdOptions(pkg.version, pkg.name);
  const plain = await mangleOf(options);
  const { mangleCache } = plain;
  // The chunks come from dist/: the bundle they were built with must be this source's, or the renamed
  // internal members may differ (e.g. `--no-build` after a source change).
  const dist = readFileSync(join(root, 'dist', 'optimization.umd.js'), 'utf8').replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, '');
  if ((await compact(plain.outputFiles[0].text)).code !== dist) throw new Error('bench marks: dist/optimization.umd.js is not built from the current src/; run the bench without --no-build');
  const byFile = new Map();
  for (const m of MARKS) byFile.set(join(root, m[0]), [...(byFile.get(join(root, m[0])) ?? []), m]);
  const marks = {
    name: 'bench-marks',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, ({ path }) => {
        const list = byFile.get(path);
        if (!list) return undefined;
        let text = readFileSync(path, 'utf8');
        for (const [file, anchor, name, where] of list) {
          if (!text.includes(anchor)) throw new Error(`bench marks: ${file} no longer contains ${JSON.stringify(anchor.trim())}; update scripts/bench/first-request.mjs`);
          const mark = `performance.mark(${JSON.stringify(P + name)});\n`;
          text = text.replace(anchor, where === 'before' ? mark + anchor : anchor + mark);
        }
        return { contents: text, loader: 'ts' };
      });
    },
  };
  const out = await build({
    ...options, entryPoints: [join(root, 'src', 'umd.ts')], write: false, outfile: 'x.js', mangleCache, plugins: [...options.plugins, marks],
  });
  return (await compact(out.outputFiles[0].text)).code;
}

/** One page load in a fresh context: the bench's marks (first of each name), the file's arrival. */
async function load(browser, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForFunction((p) => performance.getEntriesByName(p + 'fetch').length > 0, P, { timeout: 15_000 });
    const r = await page.evaluate(({ p, runMark }) => {
      const arrival = performance.getEntriesByType('resource').find((e) => /\/(optimization\.umd|minimal)\.js$/.test(e.name))?.responseEnd ?? null;
      const marks = {};
      for (const e of performance.getEntriesByType('mark')) if (e.name.startsWith(p) && !(e.name.slice(p.length) in marks)) marks[e.name.slice(p.length)] = e.startTime;
      return { arrival, start: performance.getEntriesByName(runMark)[0]?.startTime ?? null, marks };
    }, { p: P, runMark: RUN_MARK_NAME });
    if (errors.length) throw new Error(`page errors on ${url}: ${errors.join('; ')}`);
    return r;
  } finally {
    await context.close();
  }
}

/**
 * The marked bundle's steps, and beside them (alternating, one page load each) the floor: a script
 * that only reads the cookie and localStorage and calls fetch(), with our code compiled but not run
 * (pages.mjs, /minimal.html).
 * @param {{ browser: import('playwright-core').Browser, siteUrl: string, runs: number }} options
 */
export async function benchFirstRequest({ browser, siteUrl, runs }) {
  const raw = [], floor = [];
  for (let i = 0; i < runs + 1; i++) {
    // The first round warms the site and the browser: not counted.
    const pair = [[raw, '/marked.html?utm_campaign=spring'], [floor, '/minimal.html']];
    if (i % 2) pair.reverse();
    for (const [into, path] of pair) {
      const r = await load(browser, siteUrl + path);
      if (i > 0) into.push(r);
    }
  }
  const order = ['modules', 'elements', 'config', 'storage', 'initial', 'cookie', 'constructed', 'page', 'fetch'];
  /** From mark `a` (the first statement when null) to mark `b`, or null when either is missing. */
  const since = (r, a, b) => {
    const from = a === null ? r.start : r.marks[a];
    return from == null || r.marks[b] === undefined ? null : r.marks[b] - from;
  };
  const compile = (r) => (r.arrival === null || r.start === null ? null : r.start - r.arrival);
  const steps = { compile: summarize(raw.map(compile)) };
  for (const [i, name] of order.entries()) steps[name] = summarize(raw.map((r) => since(r, i === 0 ? null : order[i - 1], name)));
  steps.total = summarize(raw.map((r) => since(r, null, 'fetch')));
  steps.cookieRead = summarize(raw.map((r) => since(r, 'cookie-read-start', 'cookie-read-end')));
  return {
    runs: raw.length, steps,
    floor: {
      total: summarize(floor.map((r) => since(r, null, 'fetch'))),
      cookieRead: summarize(floor.map((r) => since(r, 'cookie-read-start', 'cookie-read-end'))),
      compile: summarize(floor.map(compile)),
    },
  };
}
