// Weight: gzip and brotli bytes of the script-tag bundle, of the usage scenarios, and of
// @ninetailed/experience.js (core; core + insights + privacy plugins) bundled the same way.
//
// The scenario sources and the esbuild options are exported so every measurement of "how big is a
// scenario" (this benchmark, the bundle budget test) builds them identically.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { join } from 'node:path';
import { build } from 'esbuild';
import { compact, umdOptions } from '../esbuild-umd.mjs';
import { root } from '../../test/helpers/emulator.mjs';
import { ratio } from './stats.mjs';

export const gzip = (buf) => gzipSync(buf, { level: 9 }).length;
export const brotli = (buf) => brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

/** How dist/optimization.umd.js is built (scripts/esbuild-umd.mjs): IIFE, minified, browser, es2022, then terser's pass. */
/** @type {import('esbuild').BuildOptions} */
export const SCENARIO_BUILD = { ...umdOptions(), write: false, logLevel: 'silent' };

/** Usage scenarios: what a page that uses only part of the package ships. */
export const SCENARIOS = {
  runtime: {
    label: 'runtime only',
    source: `import { ContentfulOptimization } from './src/browser/optimization.ts'; new ContentfulOptimization({ clientId: 'x' }).page();`,
  },
  runtimeWithEntry: {
    label: 'runtime + <ctfl-optimized-entry>',
    source: `import { ContentfulOptimization } from './src/browser/optimization.ts';
    import { OptimizedEntryElement } from './src/elements/optimized-entry.ts';
    customElements.define('ctfl-optimized-entry', OptimizedEntryElement);
    new ContentfulOptimization({ clientId: 'x' }).page();`,
  },
};

/** The reference SDK, through its documented constructor, bundled with the same options. */
export const REFERENCE_SCENARIOS = {
  core: {
    label: '@ninetailed/experience.js (core)',
    source: `import { Ninetailed } from '@ninetailed/experience.js';
    new Ninetailed({ clientId: 'x', environment: 'main' }).page();`,
  },
  corePlugins: {
    label: 'core + insights + privacy plugins',
    source: `import { Ninetailed } from '@ninetailed/experience.js';
    import { NinetailedInsightsPlugin } from '@ninetailed/experience.js-plugin-insights';
    import { NinetailedPrivacyPlugin } from '@ninetailed/experience.js-plugin-privacy';
    new Ninetailed({ clientId: 'x', environment: 'main' }, { plugins: [new NinetailedInsightsPlugin(), new NinetailedPrivacyPlugin()] }).page();`,
  },
};

/**
 * Bundles one scenario source (TypeScript or JavaScript) from the package root; returns the bytes.
 * @param {string} source
 * @param {{ loader?: import('esbuild').Loader }} [options]
 */
export async function bundleScenario(source, { loader = 'ts' } = {}) {
  const out = await build({ ...SCENARIO_BUILD, stdin: { contents: source, resolveDir: root, loader } });
  return Buffer.from((await compact(out.outputFiles[0].text)).code);
}

const sizes = (buf) => ({ raw: buf.length, gzip: gzip(buf), brotli: brotli(buf) });

function referenceVersion(name) {
  try { return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version; } catch { return null; }
}

/** @returns {Promise<object>} the weight section of the report */
export async function benchWeight() {
  const umdPath = join(root, 'dist', 'optimization.umd.js');
  if (!existsSync(umdPath)) throw new Error('dist/optimization.umd.js is missing: run node scripts/build.mjs first');
  const ours = { umd: { label: 'dist/optimization.umd.js (everything)', ...sizes(readFileSync(umdPath)) } };
  for (const [key, s] of Object.entries(SCENARIOS)) ours[key] = { label: s.label, ...sizes(await bundleScenario(s.source)) };
  // Lazily loaded chunks, if the build makes any: reported on their own, not added to the bundle.
  const chunks = readdirSync(join(root, 'dist'))
    .filter((f) => /^optimization\..+\.js$/.test(f) && f !== 'optimization.umd.js')
    .sort()
    .map((f) => ({ file: `dist/${f}`, ...sizes(readFileSync(join(root, 'dist', f))) }));
  const reference = {};
  for (const [key, s] of Object.entries(REFERENCE_SCENARIOS)) reference[key] = { label: s.label, ...sizes(await bundleScenario(s.source, { loader: 'js' })) };
  const pairs = [
    ['runtime', 'core'], ['runtime', 'corePlugins'], ['runtimeWithEntry', 'corePlugins'], ['umd', 'corePlugins'],
  ];
  const ratios = pairs.map(([o, r]) => ({
    ours: o, reference: r,
    gzip: ratio(ours[o].gzip, reference[r].gzip),
    brotli: ratio(ours[o].brotli, reference[r].brotli),
  }));
  // What a page that uses everything downloads: the blocking file, then each chunk it may load.
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const x of [ours.umd, ...chunks]) for (const k of Object.keys(total)) total[k] += x[k];
  return {
    ours, chunks, total, reference, ratios,
    referenceVersions: Object.fromEntries(['@ninetailed/experience.js', '@ninetailed/experience.js-plugin-insights', '@ninetailed/experience.js-plugin-privacy']
      .map((n) => [n, referenceVersion(n)])),
    method: 'gzip level 9, brotli quality 11; scenarios bundled with esbuild (IIFE, minified, platform browser, target es2022, no legal comments)',
  };
}
