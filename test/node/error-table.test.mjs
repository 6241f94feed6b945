// One table of error codes (src/core/errors.ts): the README's section is generated from it, and
// every code a message in src/, scripts/ or bin/ starts with is in it — so a user can always look a
// code up. Messages are composed from it (src/core/log.ts): a call site writes the code and the
// variable part only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadErrors, renderSection, withSection, README } from '../../scripts/error-table.mjs';
import { root } from '../helpers/emulator.mjs';
import { importTs } from '../helpers/bundle-ts.mjs';

const errors = await loadErrors();

test('the README\'s "Error codes" section is the one generated from src/core/errors.ts', () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(withSection(readme, renderSection(errors)), readme, 'run `node scripts/error-table.mjs --write`');
});

test('every code used in src/, scripts/ and bin/ is in the table, and every code in the table is used', () => {
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
  walk('bin');
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

test('messages are composed from the table: `ctfl-opt/<code>: <meaning>[: <detail>] — <action>` (dev), `ctfl-opt/<code>[: <detail>]` (script tag)', async () => {
  const { coded, OptimizationError, createLogger } = await importTs('src/core/log.ts');
  const e = errors.E031;
  assert.equal(coded('E031', 'entry-id="a" data-variant-id="b"'), `ctfl-opt/E031: ${e.meaning}: entry-id="a" data-variant-id="b" — ${e.action}`);
  assert.equal(coded('E034'), `ctfl-opt/E034: ${errors.E034.meaning} — ${errors.E034.action}`);
  const error = new OptimizationError('E059', 'anonymousIdCookie: secure must be a boolean');
  assert.deepEqual([error.name, error.code, error.message], ['OptimizationError', 'E059', coded('E059', 'anonymousIdCookie: secure must be a boolean')]);
  // The script-tag bundle's build (__DEV__ false): only the code and the detail, and no table.
  const prod = await importTs('src/core/log.ts', { dev: false });
  assert.equal(prod.coded('E031', 'entry-id="a"'), 'ctfl-opt/E031: entry-id="a"');
  assert.equal(prod.coded('E034'), 'ctfl-opt/E034');
  // One warn-once: per code and detail, so a second subject with the same problem is reported.
  const printed = [];
  const log = createLogger('warn', { debug() {}, info() {}, warn: (m) => printed.push(m), error: (m) => printed.push(m) });
  log.warnOnce('E045', 'source="onetrust": events-groups: "C0007"');
  log.warnOnce('E045', 'source="onetrust": events-groups: "C0007"');
  log.warnOnce('E045', 'source="onetrust": events-groups: "C0008"');
  log.warnOnce('E041', 'source="onetrust": events-groups: "C0007"');
  assert.deepEqual(printed, [
    coded('E045', 'source="onetrust": events-groups: "C0007"'), coded('E045', 'source="onetrust": events-groups: "C0008"'),
    coded('E041', 'source="onetrust": events-groups: "C0007"'),
  ]);
});
