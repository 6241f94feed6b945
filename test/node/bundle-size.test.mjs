// Budgets are tests: the script-tag bundle's gzip size, and what must never ship in it.
// (Speeds are benchmarks, not tests: see `npm run bench`.)
import { test } from 'node:test';
import assert, { ok } from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { bundleScenario, SCENARIOS, gzip, brotli } from '../../scripts/bench/weight.mjs';
import { root } from '../helpers/emulator.mjs';
import { join } from 'node:path';

const UMD = join(root, 'dist', 'optimization.umd.js');
/**
 * Issue 4 sets a budget of 20,000 B gzip for dist/optimization.umd.js with its elements in it. It
 * is NOT met (see the closing notes of issue 4): lit's ReactiveElement and zod/mini, the product's
 * chosen dependencies, alone take ~7.4 KB of it. The consent bridge is a lazily loaded chunk
 * (dist/optimization.consent-bridge.js). Until the budget is decided this test is a ratchet at the
 * measured size, so the bundle can only shrink; lower it whenever the bundle does.
 */
const BUDGET_GZIP = 20_000;
// +300 B for the preview panel's hook (issue 10): `?ctfl-preview`, optimization.preview(), and the
// resolvers and elements reading through preview overrides (the panel itself is a chunk).
// +450 B for the hardening of issue 9: answers nested past 64 levels refused and redirects not
// followed; stored values, the handoff and restored queue events validated (depth, __proto__,
// event shape); state entries validated one by one and malformed ones removed; restored queues
// gated by this page's consent; purges reaching Insights events waiting for the lock; keepalive
// only under 64 KB.
// +50 B after review: `?ctfl-preview` matched as a parameter (not any query containing the text) and
// ContentfulOptimization.loadConsentBridge() for a bridge inside a shadow root.
// +1,500 B for the reference method contract: each call checked against its payload shape with a
// message that shows the right form (E015), trackCurrentPage(), refusal errors passed back, and
// unknown configuration keys reported with the nearest valid one (E009). Issue 18 decides the
// budget and the freedoms (own base class, lighter validation) to reach it.
// −4,800 B: the browser reads wire shapes and its configuration through the hand-written checks of
// src/core/checks.ts (held to the zod schemas by test/node/wire-contract.test.mjs), not zod/mini.
// +1,000 B: elements that never move a framework's children (manual slots, flag-key), headless entries, one state subscription per runtime, page events on route changes.
// −820 B: the elements extend a small base class of ours (src/elements/base.ts) instead of lit's
// ReactiveElement; lit stays in the preview panel's chunk, which renders templates.
// +1,350 B: every engine's page lifecycle — IndexedDB operations and Web Lock waits that settle
// (timeouts, then memory), no transaction left open in the back/forward cache, the tab lock held only
// while something is persisted and handed over on the way into the cache, reconciling on the way
// back; destroy() delivering what was queued just before; no retry spin when no request can be made.
const RATCHET_GZIP = 23_100;
const CHUNK_RATCHET_GZIP = { 'consent-bridge': 3_300 };

test(`dist/optimization.umd.js does not grow past ${RATCHET_GZIP} B gzip (the ${BUDGET_GZIP} B budget is not met yet)`, () => {
  assert.ok(existsSync(UMD), 'run the build first (npm test does)');
  const buf = readFileSync(UMD);
  const gz = gzip(buf);
  console.log(`optimization.umd.js: ${buf.length} B raw, ${gz} B gzip, ${brotli(buf)} B brotli (ratchet ${RATCHET_GZIP} B, budget ${BUDGET_GZIP} B gzip: ${gz - BUDGET_GZIP} B over)`);
  assert.ok(gz <= RATCHET_GZIP, `${gz} B gzip grew past the ${RATCHET_GZIP} B ratchet`);
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

test('the shipped bundle never evaluates strings or writes HTML, and has no dev-only code', () => {
  const text = readFileSync(UMD, 'utf8');
  for (const forbidden of ['eval(', 'Function(', 'innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'createContextualFragment', '__DEV__', 'debugger']) {
    assert.ok(!text.includes(forbidden), `dist/optimization.umd.js contains ${forbidden}`);
  }
});
