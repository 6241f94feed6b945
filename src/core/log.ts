/**
 * Logging with stable codes. Every message a user can act on starts with `ctfl-opt/Exxx` and says
 * what to do. Warnings that describe one recurring condition are reported once per code and subject.
 *
 * The production script-tag bundle keeps every code but only the variable part of a warning (the
 * subject: an entry id, an attribute value, the API's own message); the explanatory text is written
 * `__DEV__ ? 'text' : 'subject'` at the call site, and README "Error codes" explains each code. With
 * an empty message only the code is printed.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export interface Logger {
  level: LogLevel;
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(code: string, message: string, ...details: unknown[]): void;
  /** Warns only the first time this code/subject pair is seen by this logger. */
  warnOnce(code: string, message: string, ...details: unknown[]): void;
  error(code: string, message: string, ...details: unknown[]): void;
}

export function createLogger(level: LogLevel = 'warn', sink: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> = console): Logger {
  const seen = new Set<string>();
  const logger: Logger = {
    level,
    debug: (m, ...d) => { if (rank[logger.level] <= rank.debug) sink.debug(`[ctfl-opt] ${m}`, ...d); },
    info: (m, ...d) => { if (rank[logger.level] <= rank.info) sink.info(`[ctfl-opt] ${m}`, ...d); },
    warn: (c, m, ...d) => { if (rank[logger.level] <= rank.warn) sink.warn(coded(c, m), ...d); },
    warnOnce: (c, m, ...d) => {
      const key = `${c}\u0000${m}`;
      if (seen.has(key)) return;
      seen.add(key);
      logger.warn(c, m, ...d);
    },
    error: (c, m, ...d) => { if (rank[logger.level] <= rank.error) sink.error(coded(c, m), ...d); },
  };
  return logger;
}

/** `ctfl-opt/E031: message`, or just `ctfl-opt/E031` when a production build dropped the message. */
export const coded = (code: string, message: string) => `ctfl-opt/${code}${message ? `: ${message}` : ''}`;

/** An error a caller can act on. `code` is stable across releases; the message says what to do. */
export class OptimizationError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(coded(code, message));
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
