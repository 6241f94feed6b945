// The public surface is what the README documents: every name an entry point exports (values and
// types) is in the README's "Exports" table for that entry, and every name there is exported; every
// package.json `exports` path is listed, and each module entry has its type declarations.
//
// Names come from the entry sources (`export { … } from`, `export type { … }`, `export *`,
// declarations), read as text: the build emits what they say. The values are checked against what
// esbuild finds the bundled entry exports, so a form this reader does not know cannot slip by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { root } from '../helpers/emulator.mjs';

const PACKAGE = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const README = readFileSync(join(root, 'README.md'), 'utf8');

/**
 * The module entries: import path → source, esbuild platform, and their declarations in dist/types.
 * @type {Record<string, { source: string, platform: import('esbuild').Platform, types: string }>}
 */
const ENTRIES = {
  [PACKAGE.name]: { source: 'src/index.ts', platform: 'browser', types: 'dist/types/index.d.ts' },
  [`${PACKAGE.name}/server`]: { source: 'src/server/index.ts', platform: 'node', types: 'dist/types/server/index.d.ts' },
  [`${PACKAGE.name}/emulator`]: { source: 'src/emulator/index.ts', platform: 'node', types: 'dist/types/emulator/index.d.ts' },
};

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Value and type names a module exports, following `export *` into the modules it names.
 * @param {string} file path from the project root
 * @returns {{ values: Set<string>, types: Set<string> }}
 */
function exportsOf(file) {
  const text = readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const values = new Set();
  const types = new Set();
  for (const [, typeOnly, list] of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (let spec of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      let isType = Boolean(typeOnly);
      if (spec.startsWith('type ')) { isType = true; spec = spec.slice(5).trim(); }
      const name = spec.split(/\s+as\s+/).pop().trim();
      assert.match(name, IDENTIFIER, `${file}: cannot read the export "${spec}"`);
      (isType ? types : values).add(name);
    }
  }
  for (const [, from] of text.matchAll(/export\s+\*\s+from\s+'([^']+)'/g)) {
    const inner = exportsOf(relative(root, join(root, dirname(file), from.replace(/\.js$/, '.ts'))));
    for (const v of inner.values) values.add(v);
    for (const t of inner.types) types.add(t);
  }
  for (const [, name] of text.matchAll(/export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|enum)\s+([A-Za-z_$][\w$]*)/g)) values.add(name);
  for (const [, name] of text.matchAll(/export\s+(?:declare\s+)?(?:interface|type)\s+([A-Za-z_$][\w$]*)/g)) types.add(name);
  assert.doesNotMatch(text, /export\s+\*\s+as\s|export\s+default\b/, `${file}: an export form this test does not read`);
  return { values, types };
}

/** The names in the first column of the table under the README heading `### \`<importPath>\``. */
function documented(importPath) {
  const heading = `\n### \`${importPath}\`\n`;
  const start = README.indexOf(heading);
  assert.ok(start >= 0, `README.md has no "### \`${importPath}\`" under "## Exports"`);
  const section = README.slice(start + heading.length, README.indexOf('\n#', start + heading.length));
  const names = [];
  for (const line of section.split('\n')) {
    const cell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!cell || /^\s*(export|-+)\s*$/.test(cell)) continue;
    for (const [, name] of cell.matchAll(/`([^`]+)`/g)) names.push(name);
  }
  return names;
}

const exportsSection = () => {
  const start = README.indexOf('\n## Exports\n');
  assert.ok(start >= 0, 'README.md has no "## Exports" section');
  return README.slice(start, README.indexOf('\n## ', start + 1));
};

for (const [importPath, entry] of Object.entries(ENTRIES)) {
  test(`${importPath}: every export is in the README's table, and every name there is exported`, async () => {
    const { values, types } = exportsOf(entry.source);
    const out = await build({
      entryPoints: [join(root, entry.source)], bundle: true, write: false, metafile: true, format: 'esm', platform: entry.platform,
      packages: 'external', outdir: join(root, 'dist', 'exports-test'), logLevel: 'silent',
      define: { __DEV__: 'true', __UMD__: 'false', __VERSION__: '"test"', __PACKAGE_NAME__: '"test"' },
    });
    const built = Object.values(out.metafile.outputs).find((o) => o.entryPoint)?.exports ?? [];
    assert.deepEqual([...values].sort(), [...built].sort(), `the values ${entry.source} exports, as esbuild bundles it`);

    const names = documented(importPath);
    const exported = new Set([...values, ...types]);
    const listed = new Set(names);
    assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], 'each name is listed once');
    assert.deepEqual([...exported].filter((n) => !listed.has(n)).sort(), [], `exported by ${importPath} but not in the README's table: document them, or stop exporting them`);
    assert.deepEqual([...listed].filter((n) => !exported.has(n)).sort(), [], `in the README's table for ${importPath} but not exported`);
  });
}

test('every package.json export is listed under "## Exports", and each module entry has type declarations', () => {
  const section = exportsSection();
  for (const subpath of Object.keys(PACKAGE.exports)) {
    const importPath = subpath === '.' ? PACKAGE.name : `${PACKAGE.name}/${subpath.slice(2)}`;
    assert.ok(section.includes(`\`${importPath}\``), `${importPath} (package.json exports) is not listed in the README`);
  }
  for (const [importPath, entry] of Object.entries(ENTRIES)) {
    const subpath = importPath === PACKAGE.name ? '.' : `./${importPath.slice(PACKAGE.name.length + 1)}`;
    const target = PACKAGE.exports[subpath];
    assert.equal(target?.types, `./${entry.types}`, `package.json exports["${subpath}"].types`);
    assert.ok(existsSync(join(root, entry.types)), `${entry.types} is missing: run the build first (npm test does)`);
  }
});
