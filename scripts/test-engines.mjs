#!/usr/bin/env node
// `npm run test:browser` and `npm run test:e2e`: one kind of suite in the engines asked for.
//
//   npm run test:browser -- --engine firefox                         browser suites in Firefox
//   npm run test:browser -- --engine webkit --files test/browser/umd.test.ts
//   npm run test:e2e -- --engine chromium,webkit test/e2e/demo.test.mjs
//
// Without --engine (or CTFL_ENGINES), all three engines, one after another. Other arguments go to
// web-test-runner (browser) or node --test (e2e: test files).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { e2eFiles, ensureDisplay, missingMessage, selectEngines } from './engines.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [kind, ...argv] = process.argv.slice(2);
if (kind !== 'browser' && kind !== 'e2e') {
  console.error('usage: node scripts/test-engines.mjs browser|e2e [--engine chromium|firefox|webkit] [args…]');
  process.exit(2);
}
const { engines, rest } = selectEngines(argv);
const missing = missingMessage(engines);
if (missing) { console.error(missing); process.exit(1); }

const display = engines.includes('webkit') ? await ensureDisplay() : undefined;
let code = 0;
for (const engine of engines) {
  console.log(`\n▶ ${kind} tests in ${engine}`);
  const args = kind === 'browser'
    ? ['node_modules/@web/test-runner/dist/bin.js', ...rest]
    : ['--test', '--test-concurrency=1', '--test-reporter=spec', ...(rest.length ? rest : e2eFiles(engine))];
  const env = { ...process.env, CTFL_ENGINE: engine, ...(display ? { CTFL_DISPLAY: display.display } : {}) };
  const status = await new Promise((resolve) => spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env }).on('close', resolve));
  if (status !== 0) code = 1;
}
await display?.stop();
process.exit(code);
