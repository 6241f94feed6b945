// Coded messages as src/core/log.ts composes them from the table (src/core/errors.ts) in the
// sources (__DEV__ true): `ctfl-opt/E031: <meaning>[: <detail>] — <action>`. Suites assert on the code
// and the detail (what the call site wrote); parseMessage checks the rest is the table's own text.
// The script-tag bundle prints `ctfl-opt/E031[: <detail>]`: parseMessage reads that too when `dev` is false.
import { ERRORS, type MessageCode } from '../../src/core/errors.js';

export { ERRORS };

export function parseMessage(message: string, { dev = true } = {}): { code: MessageCode; detail: string } {
  const m = /^ctfl-opt\/(E\d{3})(?:: ([\s\S]*))?$/.exec(message);
  if (!m) throw new Error(`not a coded message: ${message}`);
  const code = m[1] as MessageCode;
  const text = m[2] ?? '';
  if (!dev) return { code, detail: text };
  const e = ERRORS[code];
  if (!e) throw new Error(`${code} is not in src/core/errors.ts`);
  const tail = ` — ${e.action}`;
  const middle = text.startsWith(e.meaning) && text.endsWith(tail) ? text.slice(e.meaning.length, text.length - tail.length) : undefined;
  if (middle === undefined || (middle !== '' && !middle.startsWith(': '))) throw new Error(`${code}: not "<meaning>[: <detail>] — <action>" from the table: ${message}`);
  return { code, detail: middle.slice(2) };
}

/** The details of the printed messages with this code. */
export const detailsOf = (printed: readonly string[], code: MessageCode, options?: { dev?: boolean }): string[] =>
  printed.filter((m) => m.startsWith(`ctfl-opt/${code}`)).map((m) => parseMessage(m, options).detail);
