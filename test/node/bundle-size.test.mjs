// Budgets are tests: the script-tag bundle's gzip size, and what must never ship in it.
// (Speeds are benchmarks, not tests: see `npm run bench`.)
import { test } from 'node:test';
import assert, { ok } from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { bundleScenario, SCENARIOS, gzip, brotli } from '../../scripts/bench/weight.mjs';
import { root } from '../helpers/emulator.mjs';
import { loadErrors } from '../../scripts/error-table.mjs';
import { join } from 'node:path';

const UMD = join(root, 'dist', 'optimization.umd.js');
/**
 * The file the script tag loads blocks the page: it has a hard budget of 20,000 B gzip with its
 * elements in it. What is not needed to make the first decision and send the first request loads
 * after it: the consent bridge (only on pages that have one), the preview panel (only for a
 * previewer) and the deferred chunk (durable queues and their recovery, route tracking, views and
 * hovers, configuration warnings). A change that needs bytes here pays for them elsewhere.
 */
const BUDGET_GZIP = 20_000;
/** The chunks are not budgeted (they do not block the page) but must not grow unnoticed. */
const CHUNK_RATCHET_GZIP = { 'consent-bridge': 3_300, deferred: 8_200 };

test(`dist/optimization.umd.js is at most ${BUDGET_GZIP} B gzip`, () => {
  assert.ok(existsSync(UMD), 'run the build first (npm test does)');
  const buf = readFileSync(UMD);
  const gz = gzip(buf);
  console.log(`optimization.umd.js: ${buf.length} B raw, ${gz} B gzip, ${brotli(buf)} B brotli (budget ${BUDGET_GZIP} B gzip: ${BUDGET_GZIP - gz} B left)`);
  assert.ok(gz <= BUDGET_GZIP, `${gz} B gzip is over the ${BUDGET_GZIP} B budget`);
});

test('lazily loaded chunks stay small and share the bundle\'s lit and runtime registry', () => {
  for (const [name, ratchet] of Object.entries(CHUNK_RATCHET_GZIP)) {
    const buf = readFileSync(join(root, 'dist', `optimization.${name}.js`));
    console.log(`optimization.${name}.js: ${buf.length} B raw, ${gzip(buf)} B gzip, ${brotli(buf)} B brotli`);
    assert.ok(gzip(buf) <= ratchet, `${name}: ${gzip(buf)} B gzip grew past ${ratchet} B`);
    // A copy of ReactiveElement or of the registry would mean a second runtime registry.
    assert.ok(!buf.toString().includes('reactiveElementVersions'), `${name} carries its own copy of lit`);
  }
});

test('the preview panel is a chunk of its own: not in the bundle or the package entry, and on the bundle\'s registry', () => {
  const preview = readFileSync(join(root, 'dist', 'optimization.preview.js'));
  // It carries its own lit (LitElement and templates): it loads only for a previewer.
  console.log(`optimization.preview.js (lazily loaded, with its own lit): ${preview.length} B raw, ${gzip(preview)} B gzip, ${brotli(preview)} B brotli`);
  const text = preview.toString();
  ok(text.includes('ctfl-optimization.shared'), 'the chunk takes the runtime registry from the bundle');
  ok(!text.includes('ctfl-opt-flush') && !text.includes('sendBeacon'), 'the chunk carries no copy of the runtime');
  const umd = readFileSync(UMD, 'utf8');
  ok(!umd.includes('Personalization preview') && !umd.includes('litElementVersions'), 'the bundle does not carry the panel or its lit');
  ok(!umd.includes('import('), 'nor the package\'s dynamic import of it');
  const esm = readFileSync(join(root, 'dist', 'optimization.mjs'), 'utf8');
  ok(!esm.includes('Personalization preview') && !esm.includes('LitElement'), 'dist/optimization.mjs does not carry the panel');
  const split = /import\("\.\/(chunks\/preview-[\w-]+\.mjs)"\)/.exec(esm);
  ok(split, 'dist/optimization.mjs imports the panel on demand');
  ok(readFileSync(join(root, 'dist', split[1]), 'utf8').includes('Personalization preview'), `${split[1]} is the panel`);
});

test('usage scenarios: runtime only, and runtime + one entry element', async () => {
  // The scenarios and build options the weight benchmark reports (scripts/bench/weight.mjs).
  const runtime = await bundleScenario(SCENARIOS.runtime.source);
  const withEntry = await bundleScenario(SCENARIOS.runtimeWithEntry.source);
  console.log(`runtime only: ${gzip(runtime)} B gzip, ${brotli(runtime)} B brotli`);
  console.log(`runtime + <ctfl-optimized-entry>: ${gzip(withEntry)} B gzip, ${brotli(withEntry)} B brotli`);
  // Each scenario must cost less than the whole bundle, or tree-shaking is broken.
  const whole = gzip(readFileSync(UMD));
  assert.ok(gzip(runtime) < gzip(withEntry), 'the element adds bytes');
  assert.ok(gzip(withEntry) <= whole, 'a scenario is never larger than the whole bundle');
});

test('the shipped bundle and its chunks never evaluate strings or write HTML, and have no dev-only code', () => {
  for (const file of ['optimization.umd.js', 'optimization.deferred.js', 'optimization.consent-bridge.js']) {
    const text = readFileSync(join(root, 'dist', file), 'utf8');
    for (const forbidden of ['eval(', 'Function(', 'innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'createContextualFragment', '__DEV__', 'debugger']) {
      assert.ok(!text.includes(forbidden), `dist/${file} contains ${forbidden}`);
    }
  }
});

test('the table of error codes stays out of the shipped bundle and its chunks: they print the code and the detail only', async () => {
  const errors = Object.entries(await loadErrors());
  for (const file of ['optimization.umd.js', 'optimization.deferred.js', 'optimization.consent-bridge.js', 'optimization.preview.js']) {
    const text = readFileSync(join(root, 'dist', file), 'utf8');
    const shipped = errors.filter(([, e]) => text.includes(e.meaning) || text.includes(e.action)).map(([code]) => code);
    assert.deepEqual(shipped, [], `dist/${file} carries the table's text of ${shipped.join(', ')}`);
  }
});
