#!/usr/bin/env node
// `npm test`: everything, in order — build, type-check (the sources, then the suites), Node suites
// (emulator, server), then for each browser engine (Chromium, Firefox, WebKit) the browser suites and
// the end-to-end suites — then one line per engine and one closing line `N passed, N failed`.
//
//   npm test                          all three engines
//   npm test -- --engine firefox      one engine (repeatable, or comma separated; or CTFL_ENGINES=…)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { e2eFiles, ensureDisplay, engineVersion, missingMessage, selectEngines } from './engines.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const { engines } = selectEngines(process.argv.slice(2));
const missing = missingMessage(engines);
if (missing) {
  console.error(missing);
  process.exit(1);
}

const hasTests = (dir, re) => existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => re.test(String(f)));
let passed = 0;
let failed = 0;
const failures = [];
const perEngine = [];

// One virtual display for every WebKit run of this process (MiniBrowser has no headless mode).
let display;
if (engines.includes('webkit')) {
  display = await ensureDisplay();
  process.env.CTFL_DISPLAY = display.display;
}
const stopDisplay = async () => { await display?.stop(); display = undefined; };
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { void stopDisplay().finally(() => process.exit(130)); });

const steps = [
  ['build', process.execPath, ['scripts/build.mjs']],
  ['typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']],
  // The browser's sources once more without Node's types: a Node global there is an error.
  ['typecheck (browser sources)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.browser.json']],
  // The suites themselves: the browser ones as browser code (no Node types), the Node and end-to-end
  // ones as checked JavaScript against dist/types (hence after the build).
  ['typecheck tests (browser)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test-browser.json']],
  ['typecheck tests (node)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test-node.json']],
  hasTests('test/node', /\.test\.mjs$/) && ['node tests', process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/node/']],
  ...engines.flatMap((engine) => [
    hasTests('test/browser', /\.test\.ts$/) && [`browser tests (${engine})`, process.execPath, ['node_modules/@web/test-runner/dist/bin.js'], engine],
    e2eFiles(engine).length && [`end-to-end tests (${engine})`, process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...e2eFiles(engine)], engine],
  ]),
].filter(Boolean);

for (const [name, cmd, args, engine] of steps) {
  const started = Date.now();
  const { code, output } = await run(name, cmd, args, engine ? { CTFL_ENGINE: engine } : {});
  // Count what each runner reports, so the closing line covers every suite.
  const nodePass = /ℹ pass (\d+)/.exec(output);
  const nodeFail = /ℹ fail (\d+)/.exec(output);
  const wtr = [...output.matchAll(/(\d+) passed, (\d+) failed/g)].pop();
  let p = 0;
  let f = 0;
  if (nodePass) { p = Number(nodePass[1]); f = Number(nodeFail?.[1] ?? 0); } else if (wtr) { p = Number(wtr[1]); f = Number(wtr[2]); }
  if (code !== 0 && !f) f = 1;
  passed += p;
  failed += f;
  if (engine) perEngine.push(`${name}: ${p} passed, ${f} failed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (code !== 0) {
    failures.push(name);
    if (name === 'build') break;
  }
}
await stopDisplay();

if (perEngine.length) {
  console.log('\nengines:');
  for (const e of engines) console.log(`  ${e}: ${engineVersion(e)}`);
  for (const line of perEngine) console.log(`  ${line}`);
}
console.log(`\n${failures.length ? `failed steps: ${failures.join(', ')}` : 'all steps green'}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failures.length ? 1 : 0);

function run(name, cmd, args, env) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env } });
    let output = '';
    const onData = (stream) => (chunk) => { output += chunk; stream.write(chunk); };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('close', (code) => {
      console.log(`◀ ${name}: ${code === 0 ? 'ok' : `exit ${code}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      resolve({ code, output });
    });
  });
}
