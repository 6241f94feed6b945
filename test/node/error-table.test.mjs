// One table of error codes (src/core/errors.ts): the README's section is generated from it, and
// every code a message in src/ or scripts/ starts with is in it — so a user can always look a code up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadErrors, renderSection, withSection, README } from '../../scripts/error-table.mjs';
import { root } from '../helpers/emulator.mjs';

const errors = await loadErrors();

test('the README\'s "Error codes" section is the one generated from src/core/errors.ts', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(withSection(readme, renderSection(errors)), readme, 'run `node scripts/error-table.mjs --write`');
});

test('every code used in src/ and scripts/ is in the table, and every code in the table is used', () => {
  const used = new Set();
  const walk = (dir) => {
    for (const f of readdirSync(join(root, dir), { withFileTypes: true })) {
      const p = join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else if (/\.(ts|mjs)$/.test(f.name) && p !== join('src', 'core', 'errors.ts')) {
        for (const m of readFileSync(join(root, p), 'utf8').matchAll(/['"`/(\s]E(0\d\d|1\d\d)\b/g)) used.add(`E${m[1]}`);
      }
    }
  };
  walk('src');
  walk('scripts');
  const table = new Set(Object.keys(errors));
  assert.deepEqual([...used].filter((c) => !table.has(c)).sort(), [], 'codes used but not in src/core/errors.ts');
  assert.deepEqual([...table].filter((c) => !used.has(c)).sort(), [], 'codes in the table that no message uses');
});

test('each entry says where it comes from, what it means and what to do', () => {
  for (const [code, e] of Object.entries(errors)) {
    assert.match(code, /^E\d{3}$/);
    assert.ok(e.area && e.meaning.length > 10 && e.action.length > 3, code);
  }
});
