// Minimal assertions for browser tests (no Node `assert` in the page). Messages show both values.
export class AssertionError extends Error {}

const show = (v: unknown) => {
  try { return JSON.stringify(v); } catch { return String(v); }
};

export function ok(value: unknown, message = 'expected a truthy value'): asserts value {
  if (!value) throw new AssertionError(`${message} (got ${show(value)})`);
}

export function equal<T>(actual: T, expected: T, message = ''): void {
  if (!Object.is(actual, expected)) throw new AssertionError(`${message ? message + ': ' : ''}expected ${show(expected)}, got ${show(actual)}`);
}

export function notEqual<T>(actual: T, expected: T, message = ''): void {
  if (Object.is(actual, expected)) throw new AssertionError(`${message ? message + ': ' : ''}expected a value other than ${show(expected)}`);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export function deepEqual(actual: unknown, expected: unknown, message = ''): void {
  const a = show(canonical(actual));
  const e = show(canonical(expected));
  if (a !== e) throw new AssertionError(`${message ? message + ': ' : ''}expected ${e}, got ${a}`);
}

export async function rejects(fn: () => unknown, pattern: RegExp, message = ''): Promise<void> {
  try {
    await fn();
  } catch (error) {
    const text = String((error as Error)?.message ?? error);
    if (!pattern.test(text)) throw new AssertionError(`${message ? message + ': ' : ''}error "${text}" does not match ${pattern}`);
    return;
  }
  throw new AssertionError(`${message ? message + ': ' : ''}expected an error matching ${pattern}`);
}

export const throws = rejects;

export function match(text: unknown, pattern: RegExp, message = ''): void {
  if (typeof text !== 'string' || !pattern.test(text)) throw new AssertionError(`${message ? message + ': ' : ''}${show(text)} does not match ${pattern}`);
}

/** Runs `fn` and returns what it threw (failing when it did not throw). */
export function thrown(fn: () => unknown, message = 'expected an exception'): any {
  try { fn(); } catch (error) { return error; }
  throw new AssertionError(message);
}
