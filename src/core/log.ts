/**
 * Logging with stable codes. Every message a user can act on starts with `ctfl-opt/Exxx`, and its
 * text comes from the one table of codes (src/core/errors.ts): a call site passes the code and only
 * the variable part, the *detail* (an entry id, an attribute value, the API's own message), never a
 * sentence of its own:
 *
 *   log.warnOnce('E031', `entry-id="${baseline}" data-variant-id="${variant}"`);
 *
 * prints, where `__DEV__` is true (the ESM package, the server entry, the emulator),
 * `ctfl-opt/E031: <meaning>: entry-id="…" data-variant-id="…" — <action>`, and in the script-tag
 * bundle, which ships no table, `ctfl-opt/E031: entry-id="…" data-variant-id="…"` (README "Error
 * codes" explains the code). With no detail, only the code and (dev) the table's text. `debug()` and
 * `info()` messages carry no code and are written as they are.
 *
 * Warnings that describe one recurring condition go through `warnOnce()`: once per logger, code and
 * detail, so a second entry, attribute or CMP name with the same problem is still reported.
 */
import { ERRORS, type ErrorInfo, type MessageCode } from './errors.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export type { MessageCode };

export interface Logger {
  level: LogLevel;
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  /** `detail`: the variable part only; the text around it comes from the table (src/core/errors.ts). */
  warn(code: MessageCode, detail?: string, ...details: unknown[]): void;
  /** Warns only the first time this logger sees this code with this detail. */
  warnOnce(code: MessageCode, detail?: string, ...details: unknown[]): void;
  error(code: MessageCode, detail?: string, ...details: unknown[]): void;
}

export function createLogger(level: LogLevel = 'warn', sink: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> = console): Logger {
  const seen = new Set<string>();
  const logger: Logger = {
    level,
    debug: (m, ...d) => { if (rank[logger.level] <= rank.debug) sink.debug(`[ctfl-opt] ${m}`, ...d); },
    info: (m, ...d) => { if (rank[logger.level] <= rank.info) sink.info(`[ctfl-opt] ${m}`, ...d); },
    warn: (c, m, ...d) => { if (rank[logger.level] <= rank.warn) sink.warn(coded(c, m), ...d); },
    warnOnce: (c, m = '', ...d) => {
      const key = `${c}\u0000${m}`;
      if (seen.has(key)) return;
      seen.add(key);
      logger.warn(c, m, ...d);
    },
    error: (c, m, ...d) => { if (rank[logger.level] <= rank.error) sink.error(coded(c, m), ...d); },
  };
  return logger;
}

let fallback: Logger | undefined;
/**
 * The logger of code that has no runtime to log through (an element before any runtime exists, the
 * script tag's own checks): the console at `warn`, with the same once-per-code-and-detail memory.
 */
export const consoleLog = (): Logger => (fallback ??= createLogger());

/**
 * The text of a coded message: `ctfl-opt/E031: <meaning>: <detail> — <action>` where `__DEV__` is
 * true, `ctfl-opt/E031: <detail>` (or `ctfl-opt/E031`) in the script-tag bundle, where the table is
 * compiled out.
 */
export function coded(code: MessageCode, detail = ''): string {
  const e: ErrorInfo | undefined = __DEV__ ? ERRORS[code] : undefined;
  const text = e ? `${e.meaning}${detail ? `: ${detail}` : ''} — ${e.action}` : detail;
  return `ctfl-opt/${code}${text ? `: ${text}` : ''}`;
}

/**
 * An error a caller can act on: `code` is the table's code (`E003`, stable across releases), the
 * message is `coded(code, detail)` (`ctfl-opt/E003: …`).
 */
export class OptimizationError extends Error {
  readonly code: MessageCode;
  constructor(code: MessageCode, detail = '') {
    super(coded(code, detail));
    this.name = 'OptimizationError';
    this.code = code;
  }
}

/** Turns zod issues into `path: message` text that names the offending field. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code?: string; expected?: unknown }>): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
      const detail = i.code === 'invalid_type' && i.expected ? `expected ${String(i.expected)}` : i.message;
      return `${path || '(root)'}: ${detail}`;
    })
    .join('; ');
}
