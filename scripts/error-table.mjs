#!/usr/bin/env node
// The README's "Error codes" section, generated from src/core/errors.ts (the one table of codes).
//   node scripts/error-table.mjs          prints the section
//   node scripts/error-table.mjs --write  writes it into README.md
// test/node/error-table.test.mjs fails when the README and the table differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const README = join(root, 'README.md');

export async function loadErrors() {
  const out = await build({ entryPoints: [join(root, 'src/core/errors.ts')], bundle: true, format: 'esm', platform: 'node', write: false });
  return (await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`)).ERRORS;
}

const cell = (s) => String(s).replace(/\|/g, '\\|');

export function renderSection(errors) {
  return [
    '## Error codes',
    '',
    'Every message a user can act on starts with a stable code and is composed from this table: the',
    'package, the server entry and the emulator print `ctfl-opt/<code>: <meaning>[: <detail>] — <action>`,',
    'e.g. ``ctfl-opt/E037: the `timeout` attribute is not a number of ms; 2000 is used: timeout="abc" — write a number, e.g. `timeout="1500"` ``',
    '(the detail names what was wrong); the script-tag bundle, which does not carry the table, prints',
    '`ctfl-opt/<code>[: <detail>]` (`ctfl-opt/E037: timeout="abc"`). Errors thrown (`OptimizationError`,',
    'the emulator\'s `CliError`) carry the code in `code` (`E037`). The table is `src/core/errors.ts`',
    '(`node scripts/error-table.mjs --write` writes this section).',
    '',
    '| code | where | meaning | what to do |',
    '|---|---|---|---|',
    ...Object.entries(errors).map(([code, e]) => `| ${code} | ${cell(e.area)} | ${cell(e.meaning)} | ${cell(e.action)} |`),
    '',
  ].join('\n');
}

/** README.md with its "Error codes" section (up to the next `## ` heading) replaced by `section`. */
export function withSection(readme, section) {
  const start = readme.indexOf('\n## Error codes\n');
  if (start < 0) throw new Error('README.md has no "## Error codes" section');
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(0, start + 1) + section + (next < 0 ? '' : readme.slice(next));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const section = renderSection(await loadErrors());
  if (process.argv.includes('--write')) writeFileSync(README, withSection(readFileSync(README, 'utf8'), section));
  else process.stdout.write(section);
}
