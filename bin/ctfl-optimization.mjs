#!/usr/bin/env node
// `ctfl-optimization serve …` — the local Experience/Insights API emulator.
// Runs the built dist/emulator.mjs; in a source checkout that has not been built yet, builds first.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'emulator.mjs');
if (!existsSync(entry)) {
  const build = join(root, 'scripts', 'build.mjs');
  if (!existsSync(build)) {
    console.error('ctfl-opt/E100: dist/emulator.mjs is missing; reinstall the package.');
    process.exit(1);
  }
  execFileSync(process.execPath, [build], { stdio: 'inherit' });
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
