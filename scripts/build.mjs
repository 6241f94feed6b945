#!/usr/bin/env node
// Builds every bundle into dist/ with esbuild. Entries whose source does not exist yet are skipped,
// so the build works at every stage of the project.
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8')));

const define = {
  __VERSION__: JSON.stringify(pkg.version),
  __PACKAGE_NAME__: JSON.stringify(pkg.name),
  __UMD__: 'false',
};
const umdDefine = { ...define, __DEV__: 'false', __UMD__: 'true' };

/**
 * A chunk of the script-tag bundle (dist/optimization.<name>.js) imports the runtime registry and
 * lit's ReactiveElement from the bundle that loaded it (src/chunks/shared.ts), never a copy: one
 * registry means one runtime for every element.
 */
const sharedWithBundle = {
  name: 'shared-with-bundle',
  setup(b) {
    b.onResolve({ filter: /^@lit\/reactive-element$/ }, () => ({ path: 'reactive-element', namespace: 'ctfl-shared' }));
    b.onResolve({ filter: /\/browser\/registry\.js$/ }, () => ({ path: 'registry', namespace: 'ctfl-shared' }));
    b.onLoad({ filter: /.*/, namespace: 'ctfl-shared' }, ({ path }) => ({
      contents: `const s = window.ContentfulOptimization && window.ContentfulOptimization[Symbol.for('ctfl-optimization.shared')];
if (!s) throw new Error('ctfl-opt/E008: load optimization.umd.js before its chunks');
${path === 'registry' ? 'export const { currentRuntime, onRuntime, provideRuntime } = s;' : 'export const { ReactiveElement } = s;'}`,
      loader: 'js',
    }));
  },
};
/** Lazily loaded chunks of the script-tag bundle: [entry, output name]. */
const chunks = [
  ['src/chunks/consent-bridge.ts', 'consent-bridge'],
];

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  // Browser ESM for developers (class, elements, constants; deps stay external for their bundler).
  { entryPoints: ['src/index.ts'], outfile: 'dist/optimization.mjs', format: 'esm', platform: 'browser',
    target: 'es2022', packages: 'external', sourcemap: true, define: { ...define, __DEV__: 'true' } },
  // The script-tag bundle: everything inlined, minified, dev-only checks stripped.
  { entryPoints: ['src/umd.ts'], outfile: 'dist/optimization.umd.js', format: 'iife', platform: 'browser',
    target: 'es2022', minify: true, sourcemap: true, legalComments: 'none', define: umdDefine },
  ...chunks.map(([entry, name]) => ({
    entryPoints: [entry], outfile: `dist/optimization.${name}.js`, format: 'iife', platform: 'browser',
    target: 'es2022', minify: true, sourcemap: true, legalComments: 'none', define: umdDefine, plugins: [sharedWithBundle],
  })),
  // Stateless server entry.
  { entryPoints: ['src/server/index.ts'], outfile: 'dist/server.mjs', format: 'esm', platform: 'node',
    target: 'node20', packages: 'external', sourcemap: true, define: { ...define, __DEV__: 'true' } },
  // The emulator and its CLI.
  { entryPoints: ['src/emulator/index.ts'], outfile: 'dist/emulator.mjs', format: 'esm', platform: 'node',
    target: 'node20', packages: 'external', sourcemap: true, define: { ...define, __DEV__: 'true' } },
];

mkdirSync('dist', { recursive: true });
const started = Date.now();
await Promise.all(
  targets
    .filter((t) => existsSync(t.entryPoints[0]))
    .map((t) => build({ bundle: true, logLevel: 'warning', ...t })),
);

// Type declarations (dist/types) and the Custom Elements Manifest (dist/custom-elements.json), so
// editors and Storybook know every element's attributes, properties, events and slots.
// Declarations are emitted even when the type-check has errors; `npm test` type-checks separately.
if (!process.argv.includes('--no-types')) {
  const run = (args) => spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const tsc = run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit', 'false', '--emitDeclarationOnly']);
  if (!existsSync('dist/types/index.d.ts')) process.stderr.write(tsc.stdout + tsc.stderr);
  const cem = run(['node_modules/@custom-elements-manifest/analyzer/cem.js', 'analyze', '--litelement', '--globs', 'src/elements/*.ts', '--exclude', 'src/elements/index.ts', '--outdir', 'dist', '--quiet']);
  if (cem.status !== 0) { process.stderr.write(cem.stdout + cem.stderr); process.exitCode = 1; }
}
console.log(`built dist/ in ${Date.now() - started} ms`);
