/**
 * Turns zod issues into one message that names the offending field, e.g.
 * `events[0].properties.path: expected string, received number`, so that whoever sent the request
 * can see what to fix without reading the emulator's source.
 */
import { z } from 'zod/mini';
import { ApiError } from './errors.js';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

export function formatPath(path: readonly PathKey[], root = ''): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || 'body';
}

function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let cur = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'number (not an integer)';
  return typeof value;
}

export function describeIssue(issue: Issue, input: unknown, root = ''): string {
  const where = formatPath(issue.path as PathKey[], root);
  const actual = valueAt(input, issue.path as PathKey[]);
  switch (issue.code) {
    case 'invalid_type':
      return `${where}: expected ${issue.expected}, received ${describeValue(actual)}`;
    case 'invalid_union': {
      const withOptions = issue as Issue & { note?: string; options?: unknown[]; discriminator?: string };
      if (withOptions.note === 'No matching discriminator') {
        const got = actual === undefined ? 'no type' : `unknown type ${JSON.stringify(actual)}`;
        return `${where}: ${got}; expected one of ${(withOptions.options ?? []).join(', ')}`;
      }
      return `${where}: does not match any accepted shape`;
    }
    case 'too_small':
      return issue.origin === 'array'
        ? `${where}: expected at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string'
          ? `${where}: expected at least ${String(issue.minimum)} character(s)`
          : `${where}: expected at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `${where}: expected at most ${String(issue.maximum)} item(s)`
        : issue.origin === 'string'
          ? `${where}: expected at most ${String(issue.maximum)} character(s)`
          : `${where}: expected at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `${where}: has an invalid format`;
    case 'unrecognized_keys':
      return `${where}: unexpected key(s) ${issue.keys.join(', ')}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/** Parses `input` or throws a 400 ERR_INVALID_DATA naming the first offending field. */
export function parseOrThrow<T extends z.core.$ZodType>(schema: T, input: unknown, root = ''): z.infer<T> {
  const result = z.safeParse(schema, input);
  if (result.success) return result.data as z.infer<T>;
  const first = result.error.issues[0];
  const message = first ? describeIssue(first, input, root) : `${root || 'body'}: invalid`;
  throw new ApiError(400, 'ERR_INVALID_DATA', message);
}
