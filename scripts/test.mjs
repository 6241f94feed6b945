#!/usr/bin/env node
// `npm test`: everything, in order — build, type-check, Node suites (emulator, server), browser
// suites in real Chromium, end-to-end suites — then one closing line `N passed, N failed`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { chromiumPath } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

if (!chromiumPath()) {
  await run('check chromium', process.execPath, ['scripts/check-chromium.mjs']);
  process.exit(1);
}

const hasTests = (dir, re) => existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => re.test(String(f)));
let passed = 0;
let failed = 0;
const failures = [];

const steps = [
  ['build', process.execPath, ['scripts/build.mjs']],
  ['typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']],
  hasTests('test/node', /\.test\.mjs$/) && ['node tests', process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/node/']],
  hasTests('test/browser', /\.test\.ts$/) && ['browser tests', process.execPath, ['node_modules/@web/test-runner/dist/bin.js']],
  hasTests('test/e2e', /\.test\.mjs$/) && ['end-to-end tests', process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/e2e/']],
].filter(Boolean);

for (const [name, cmd, args] of steps) {
  const { code, output } = await run(name, cmd, args);
  // Count what each runner reports, so the closing line covers every suite.
  const nodePass = /ℹ pass (\d+)/.exec(output);
  const nodeFail = /ℹ fail (\d+)/.exec(output);
  const wtr = [...output.matchAll(/(\d+) passed, (\d+) failed/g)].pop();
  if (nodePass) { passed += Number(nodePass[1]); failed += Number(nodeFail?.[1] ?? 0); }
  else if (wtr) { passed += Number(wtr[1]); failed += Number(wtr[2]); }
  if (code !== 0) {
    failures.push(name);
    if (!nodeFail && !wtr) failed += 1;
    if (name === 'build') break;
  }
}

console.log(`\n${failures.length ? `failed steps: ${failures.join(', ')}` : 'all steps green'}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failures.length ? 1 : 0);

function run(name, cmd, args) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
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
