// Pure TypeScript modules of src/core/ under node:test: each entry is bundled by esbuild into a
// temporary ES module and imported, so the tests run the sources (not dist/) without a TS loader.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { root } from './emulator.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ctfl-ts-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/**
 * Imports `entry` (a path from the project root) as bundled by esbuild, with the build constants set:
 * `__DEV__` true as in the package, or false (`{ dev: false }`) as in the script-tag bundle.
 * @param {string} entry
 * @param {{ dev?: boolean }} [options]
 */
export async function importTs(entry, { dev = true } = {}) {
  const out = join(dir, `m${n++}.mjs`);
  await esbuild.build({
    entryPoints: [join(root, entry)], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'silent',
    define: { __DEV__: String(dev), __UMD__: 'false', __VERSION__: '"test"', __PACKAGE_NAME__: '"@ctfl/optimization-elements"' },
  });
  return import(pathToFileURL(out).href);
}

/**
 * The exports of several source modules as one object, for suites that test internals no entry
 * point exports (the emulator's rules, statistics and store): `importTsAll('src/emulator/stats.ts', …)`.
 * @param {...string} entries paths from the project root
 */
export async function importTsAll(...entries) {
  return Object.assign({}, ...(await Promise.all(entries.map((entry) => importTs(entry)))));
}
