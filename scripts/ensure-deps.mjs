#!/usr/bin/env node
// `npm start` and `npm test` must work on a fresh clone with nothing run before them: install the
// dependencies when node_modules is missing or older than package-lock.json.
import { existsSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  // `npm install` (which keeps the versions in package-lock.json), not `npm ci`: npm 11 writes lock
  // files without the other platforms' optional packages of rollup (pulled in by the test runner)
  // and `npm ci` then refuses the lock as out of sync.
  console.log('Installing dependencies (npm install)…');
  execSync('npm install --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
