// Builds the framework demos with esbuild, in memory: one browser bundle per app (React, React over
// server HTML, Vue, Svelte, lit, the plain router) and the React app's server render for Node.
// Svelte components are compiled by svelte/compiler in a small plugin (no native code).
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export const APPS = {
  react: 'react/client.jsx',
  'react-ssr': 'react/ssr-client.jsx',
  vue: 'vue/main.js',
  svelte: 'svelte/main.js',
  lit: 'lit/main.js',
  router: 'router/router.js',
};

const svelte = {
  name: 'svelte',
  setup(b) {
    b.onLoad({ filter: /\.svelte$/ }, async ({ path }) => {
      const { compile } = await import('svelte/compiler');
      const { js, warnings } = compile(await readFile(path, 'utf8'), { filename: path, generate: 'client', dev: true });
      return { contents: js.code, loader: 'js', resolveDir: dirname(path), warnings: warnings.map((w) => ({ text: w.message })) };
    });
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true, write: false, jsx: 'automatic', logLevel: 'warning', absWorkingDir: here,
  // Development builds of the frameworks: their warnings are on, so the tests see them.
  define: {
    'process.env.NODE_ENV': '"development"', __VUE_OPTIONS_API__: 'true', __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  alias: {
    // The full Vue build: the app's template is compiled in the browser.
    vue: 'vue/dist/vue.esm-bundler.js',
    // What a package user imports: the built package entry.
    '@ctfl/optimization-elements': join(root, 'dist', 'optimization.mjs'),
  },
};

/** @returns {Promise<{ bundles: Map<string, string>, renderReact: (path: string) => string }>} */
export async function buildDemos() {
  const bundles = new Map();
  await Promise.all(Object.entries(APPS).map(async ([name, entry]) => {
    const out = await build({ ...common, entryPoints: [entry], format: 'esm', platform: 'browser', target: 'es2022', conditions: ['browser'], plugins: [svelte] });
    bundles.set(name, out.outputFiles[0].text);
  }));
  // The server render imports react and react-dom from node_modules: written where they resolve.
  const server = await build({ ...common, entryPoints: ['react/server-entry.jsx'], format: 'esm', platform: 'node', target: 'node20', packages: 'external' });
  const dir = join(root, 'node_modules', '.cache', 'ctfl-frameworks-demo');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `react-server-${process.pid}-${Date.now()}.mjs`);
  writeFileSync(file, server.outputFiles[0].text);
  const { renderApp } = await import(pathToFileURL(file).href);
  rmSync(file, { force: true });
  return { bundles, renderReact: renderApp };
}
