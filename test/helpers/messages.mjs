// Coded messages as src/core/log.ts composes them from the table (src/core/errors.ts), where
// __DEV__ is true (the server entry, the emulator): `ctfl-opt/E031: <meaning>[: <detail>] — <action>`.
// Suites assert on the code and the detail — the part the call site wrote — and this helper checks
// the rest is the table's own text.
import assert from 'node:assert/strict';
import { loadErrors } from '../../scripts/error-table.mjs';

export const ERRORS = await loadErrors();

/** The message `coded(code, detail)` makes. */
export const composed = (code, detail = '') =>
  `ctfl-opt/${code}: ${ERRORS[code].meaning}${detail ? `: ${detail}` : ''} — ${ERRORS[code].action}`;

/**
 * The code and detail of a composed message (an error's message, a warning, a line of output),
 * failing when the text around the detail is not the table's.
 * @param {string} message
 * @returns {{ code: string, detail: string }}
 */
export function parseMessage(message) {
  const m = /^ctfl-opt\/(E\d{3}): ([\s\S]*)$/.exec(message);
  assert.ok(m, `not a coded message: ${message}`);
  const [, code, text] = m;
  const e = ERRORS[code];
  assert.ok(e, `${code} is not in src/core/errors.ts`);
  const tail = ` — ${e.action}`;
  assert.ok(text.startsWith(e.meaning) && text.endsWith(tail), `${code}: not "<meaning>[: <detail>] — <action>" from the table: ${message}`);
  const middle = text.slice(e.meaning.length, text.length - tail.length);
  assert.ok(middle === '' || middle.startsWith(': '), `${code}: the detail follows the meaning after ": ": ${message}`);
  return { code, detail: middle.slice(2) };
}
