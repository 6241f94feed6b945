/**
 * Small node:http helpers: CORS, bounded body reading, JSON answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorEnvelope } from './errors.js';
import { formatPath } from './validation.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
export const ALLOWED_HEADERS = 'Content-Type, X-Force-IP';

/**
 * Any origin is reflected, with credentials allowed, as the hosted API does. Non-safelisted
 * response headers the client may need to read (Retry-After, a fault's own headers) are exposed.
 */
export function setCors(req: IncomingMessage, res: ServerResponse, exposed: readonly string[] = []): void {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  } else {
    res.setHeader('Access-Control-Allow-Origin', '*');
  }
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', ['Retry-After', ...exposed].join(', '));
}

export function answerPreflight(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
  res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
  res.setHeader('Access-Control-Max-Age', '600');
  res.writeHead(204);
  res.end();
}

/** The client went away while its body was being read: nobody is left to answer (not a server error). */
export class ClientGone extends Error {}

export type BodyResult = { kind: 'ok'; text: string } | { kind: 'too-large'; bytesRead: number };

/**
 * Reads at most `limit` bytes. Past the limit it stops reading (pauses the request); the caller
 * answers 413 with `Connection: close` and the socket is dropped after the answer is out.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.pause();
      resolve({ kind: 'too-large', bytesRead: 0 });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        resolve({ kind: 'too-large', bytesRead: size });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') });
    });
    // An error on the request stream is the client's connection ("aborted" mid-body, a reset).
    req.on('error', (error) => { if (!done) { done = true; reject(new ClientGone(error.message)); } });
  });
}

export const MAX_JSON_DEPTH = 64;

/**
 * The path of the first value nested deeper than `limit`, or null. Iterative on purpose: V8's
 * JSON.parse accepts nesting that JSON.stringify and recursive validators overflow the stack on.
 */
export function tooDeep(value: unknown, limit = MAX_JSON_DEPTH): (string | number)[] | null {
  type Frame = { value: object; key: string | number; parent: Frame | null; depth: number };
  const pathOf = (frame: Frame) => {
    const path: (string | number)[] = [];
    for (let f: Frame | null = frame; f?.parent; f = f.parent) path.unshift(f.key);
    return path;
  };
  if (value === null || typeof value !== 'object') return null;
  const stack: Frame[] = [{ value, key: '', parent: null, depth: 1 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > limit) return pathOf(frame);
    const entries: [string | number, unknown][] = Array.isArray(frame.value)
      ? frame.value.map((v, i) => [i, v])
      : Object.entries(frame.value);
    for (const [key, child] of entries) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, key, parent: frame, depth: frame.depth + 1 });
    }
  }
  return null;
}

/** JSON.parse, or undefined when the text is not JSON or is nested too deeply to handle safely. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `malformed JSON (${(error as Error).message})` };
  }
  const deep = tooDeep(value);
  if (deep) return { ok: false, error: `nested deeper than ${MAX_JSON_DEPTH} levels at ${formatPath(deep, 'body')}` };
  return { ok: true, value };
}

/** Parses a body by its content (any content type): JSON or a 400 naming `body`. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new ApiError(400, 'ERR_INVALID_DATA', 'body: expected JSON, received an empty body');
  const parsed = tryParseJson(text);
  if (!parsed.ok) throw new ApiError(400, 'ERR_INVALID_DATA', `body: ${parsed.error}`);
  return parsed.value;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  sendJson(res, error.status, errorEnvelope(error.code, error.message), error.headers);
}

/** What is read and discarded after a 413 before the connection is dropped anyway. */
const LINGER_BYTES = 16 * 1024 * 1024;
const LINGER_MS = 2000;

/**
 * After an answer to an over-long body, close the connection — after a lingering read (as HTTP
 * servers do): the rest of the body, up to 16 MB or 2 s, is read and discarded first. Dropped at
 * once, a client still writing its body gets a reset (EPIPE) instead of the 413.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  res.once('finish', () => {
    let drained = 0;
    const close = () => { clearTimeout(timer); req.socket.destroy(); };
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    req.on('data', (chunk: Buffer) => { drained += chunk.length; if (drained > LINGER_BYTES) close(); });
    req.once('end', close);
    req.once('error', close);
    req.resume();
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `URLSearchParams` → plain object (last value wins). */
export function queryObject(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}
