#!/usr/bin/env node
// Builds every bundle into dist/ with esbuild. Entries whose source does not exist yet are skipped,
// so the build works at every stage of the project.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { compact, umdOptions } from './esbuild-umd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync('package.json', 'utf8')));

const define = {
  __VERSION__: JSON.stringify(pkg.version),
  __PACKAGE_NAME__: JSON.stringify(pkg.name),
  __UMD__: 'false',
};
const umd = umdOptions(pkg.version, pkg.name);

/**
 * A chunk of the script-tag bundle (dist/optimization.<name>.js) takes what it `share`s from the
 * bundle that loaded it (src/chunks/shared.ts), never a copy: `registry` (one registry means one
 * runtime for every element) and, for chunks whose elements extend it, `base-element` (the elements'
 * base class, src/elements/base.ts) `parts` (what a chunk brings the runtime, src/browser/parts.ts) and `route-state`
 * (route changes under way, which route tracking sets and the entries read).
 * A chunk built on LitElement bundles its own lit.
 */
const SHARED_MODULES = {
  registry: { filter: /\/browser\/registry\.js$/, exports: 'currentRuntime, onRuntime, provideRuntime' },
  'base-element': { filter: /elements\/base\.js$|^\.\/base\.js$/, exports: 'BaseElement' },
  parts: { filter: /\/browser\/parts\.js$/, exports: 'parts' },
  'route-state': { filter: /\/route-state\.js$/, exports: 'routesPending' },
};
const sharedWithBundle = (share) => ({
  name: 'shared-with-bundle',
  setup(b) {
    for (const name of share) {
      b.onResolve({ filter: SHARED_MODULES[name].filter }, () => ({ path: name, namespace: 'ctfl-shared' }));
    }
    b.onLoad({ filter: /.*/, namespace: 'ctfl-shared' }, ({ path }) => ({
      contents: `const s = window.ContentfulOptimization && window.ContentfulOptimization[Symbol.for('ctfl-optimization.shared')];
if (!s) throw new Error('ctfl-opt/E008: load optimization.umd.js before its chunks');
export const { ${SHARED_MODULES[path].exports} } = s;`,
      loader: 'js',
    }));
  },
});
/** Lazily loaded chunks of the script-tag bundle, each written to dist/optimization.<name>.js. */
const chunks = [
  { entry: 'src/chunks/consent-bridge.ts', name: 'consent-bridge', share: ['registry', 'base-element'] },
  { entry: 'src/chunks/preview.ts', name: 'preview', share: ['registry'] },
  // Loaded after the first Experience request has left (src/browser/durable-queues.ts, src/umd.ts).
  { entry: 'src/chunks/deferred.ts', name: 'deferred', share: ['parts', 'route-state'] },
];

const umdTarget = { ...umd, entryPoints: ['src/umd.ts'], outfile: 'dist/optimization.umd.js', sourcemap: true };
/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  // Browser ESM for developers (class, elements, constants; deps stay external for their bundler).
  // Split: what loads on demand (the preview panel) is a module of its own under dist/chunks/.
  { entryPoints: [{ in: 'src/index.ts', out: 'optimization' }], outdir: 'dist', entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]', outExtension: { '.js': '.mjs' }, splitting: true, format: 'esm', platform: 'browser',
    target: 'es2022', packages: 'external', sourcemap: true, define: { ...define, __DEV__: 'true' } },
  // The script-tag bundle: everything inlined, minified, dev-only checks stripped.
  umdTarget,
  ...chunks.map(({ entry, name, share }) => ({
    ...umd, entryPoints: [entry], outfile: `dist/optimization.${name}.js`, sourcemap: true,
    plugins: [sharedWithBundle(share), ...umd.plugins],
  })),
  // Stateless server entry.
  { entryPoints: ['src/server/index.ts'], outfile: 'dist/server.mjs', format: 'esm', platform: 'node',
    target: 'node20', packages: 'external', sourcemap: true, define: { ...define, __DEV__: 'true' } },
  // The emulator and its CLI.
  { entryPoints: ['src/emulator/index.ts'], outfile: 'dist/emulator.mjs', format: 'esm', platform: 'node',
    target: 'node20', packages: 'external', sourcemap: true, define: { ...define, __DEV__: 'true' } },
  // The emulator dashboard's script, served by the emulator as /_emulator/dashboard.js.
  { entryPoints: ['src/emulator/dashboard-client.ts'], outfile: 'dist/emulator-dashboard.js', format: 'iife', platform: 'browser',
    target: 'es2022', minify: true, sourcemap: false, define: { ...define, __DEV__: 'false' } },
];

mkdirSync('dist', { recursive: true });
// Split ESM chunks are content-hashed: drop the previous build's.
rmSync('dist/chunks', { recursive: true, force: true });
const started = Date.now();
// The script-tag bundle first: its chunks rename internal members as it did (its mangleCache).
const { mangleCache } = await build({ bundle: true, logLevel: 'warning', ...umdTarget, mangleCache: {} });
await Promise.all(
  targets
    .filter((t) => t !== umdTarget && existsSync(t.entryPoints[0].in ?? t.entryPoints[0]))
    .map((t) => build({ bundle: true, logLevel: 'warning', ...t, ...(t.mangleProps ? { mangleCache } : {}) })),
);
// The script-tag bundle and its chunks: terser's pass after esbuild's (scripts/esbuild-umd.mjs).
await Promise.all(['optimization.umd.js', ...chunks.map((c) => `optimization.${c.name}.js`)].map(async (file) => {
  const path = join('dist', file);
  if (!existsSync(path)) return;
  const out = await compact(readFileSync(path, 'utf8'), readFileSync(`${path}.map`, 'utf8'), file);
  writeFileSync(path, out.code);
  if (out.map) writeFileSync(`${path}.map`, out.map);
}));

// Type declarations (dist/types) and the Custom Elements Manifest (dist/custom-elements.json), so
// editors and Storybook know every element's attributes, properties, events and slots.
// Declarations are emitted even when the type-check has errors; `npm test` type-checks separately.
if (!process.argv.includes('--no-types')) {
  const run = (args) => spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const tsc = run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit', 'false', '--emitDeclarationOnly', '--stripInternal']);
  // Every module entry's declarations: those package.json `exports` name (`.`, `./server`, `./emulator`).
  const declared = Object.values(pkg.exports).flatMap((e) => (e && typeof e === 'object' && e.types ? [e.types] : []));
  const missing = declared.filter((file) => !existsSync(file));
  if (missing.length) {
    process.stderr.write(`missing type declarations: ${missing.join(', ')}\n${tsc.stdout}${tsc.stderr}`);
    process.exitCode = 1;
  }
  const cem = run(['node_modules/@custom-elements-manifest/analyzer/cem.js', 'analyze', '--litelement', '--globs', 'src/elements/*.ts', '--exclude', 'src/elements/index.ts', '--outdir', 'dist', '--quiet']);
  if (cem.status !== 0) { process.stderr.write(cem.stdout + cem.stderr); process.exitCode = 1; }
}
console.log(`built dist/ in ${Date.now() - started} ms`);
