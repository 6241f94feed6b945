// How the script-tag bundle is built, shared by scripts/build.mjs, the bundle budget test and the
// weight benchmark, so a "usage scenario" is measured exactly as dist/optimization.umd.js is built.

/** Build-time constants of the script-tag bundle and its chunks (production: dev-only code stripped). */
export const umdDefine = (version = '0', name = 'x') => ({
  __VERSION__: JSON.stringify(version), __PACKAGE_NAME__: JSON.stringify(name), __DEV__: 'false', __UMD__: 'true',
});

/**
 * The script-tag bundle loads its chunks with a <script> element (src/browser/chunks.ts); the
 * package's dynamic `import()` of them is dead code there. Left in, esbuild would still wrap every
 * module the imported one shares with the bundle in lazy initializers: bytes for nothing.
 */
export const noDynamicChunks = {
  name: 'no-dynamic-chunks',
  setup(b) {
    b.onResolve({ filter: /\/chunks\/[a-z-]+\.js$/ }, (a) => (a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined));
  },
};

/**
 * esbuild options of the script-tag bundle (IIFE, minified, browser, es2022), without entry and output.
 * @param {string} [version] @param {string} [name]
 * @returns {import('esbuild').BuildOptions & { plugins: import('esbuild').Plugin[] }}
 */
export const umdOptions = (version, name) => ({
  bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, legalComments: 'none',
  define: umdDefine(version, name), plugins: [noDynamicChunks], mangleProps: INTERNAL_PROPS,
});

/**
 * Members named `_like` are the runtime's internals shared between its modules (src/browser/):
 * not part of the public surface, so the script-tag bundle renames them, like `#private` ones.
 * A chunk that shares a module with the bundle must rename them the same way: it is built with the
 * bundle's `mangleCache` (scripts/build.mjs). `_$…` (lit's cross-version names) are never renamed.
 */
export const INTERNAL_PROPS = /^_[A-Za-z]/;

/**
 * A second minifier pass over esbuild's output for the script-tag bundle and its chunks: terser's
 * compressor (three passes: inlining, joining, dropping what became dead; a third took 7 B more) takes about 3 % more off
 * than esbuild alone (21,650 → ~20,950 B gzip when it was added). One assumption beyond the
 * language: `pure_getters` — reading a property has no side effect (no getter of ours or the
 * platform's is read for its effect alone; ~25 B). `map`: esbuild's source map, carried
 * through. The reference SDK is measured through the same two passes (scripts/bench/weight.mjs).
 */
export async function compact(code, map, file) {
  const { minify } = await import('terser');
  const out = await minify(code, {
    ecma: 2020, module: false, compress: { passes: 3, pure_getters: true }, mangle: true, format: { comments: false },
    sourceMap: map ? { content: map, url: `${file}.map` } : false,
  });
  return { code: out.code, map: typeof out.map === 'string' ? out.map : undefined };
}
