/**
 * Scripted answers for browser and integration tests: `POST /_emulator/faults` queues "the next n
 * matching API requests get this answer instead" — a status, a raw body (which may be truncated or
 * invalid JSON), headers and a delay. A request answered by a fault is not processed or stored.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { z } from 'zod/mini';
import { NamespaceId } from '../core/schemas.js';
import { ApiError, codeForStatus, errorEnvelope } from './errors.js';
import { parseOrThrow } from './validation.js';

export type ApiName = 'experience' | 'insights';

export const FaultSpec = z.object({
  organization: z.optional(NamespaceId),
  api: z.optional(z.enum(['experience', 'insights'])),
  count: z._default(z.int().check(z.minimum(1), z.maximum(100_000)), 1),
  status: z._default(z.int().check(z.minimum(200), z.maximum(599)), 503),
  body: z.optional(z.string().check(z.maxLength(1024 * 1024))),
  headers: z.optional(z.record(z.string(), z.string())),
  delayMs: z.optional(z.int().check(z.minimum(0), z.maximum(120_000))),
  /**
   * Grows `body` past the 1 MB request limit: each `marker` (a literal piece of `body`) is replaced
   * by `text` repeated `times` times — a 50,000-item array or JSON nested 200,000 levels deep.
   */
  repeat: z.optional(z.array(z.object({
    marker: z.string().check(z.minLength(1), z.maxLength(100)),
    text: z.string().check(z.maxLength(64 * 1024)),
    times: z.int().check(z.minimum(0), z.maximum(10_000_000)),
  })).check(z.maxLength(10))),
});
export type FaultSpec = z.infer<typeof FaultSpec>;

export interface Fault extends FaultSpec { remaining: number }

/** The largest body a fault may grow to with `repeat`. */
export const MAX_FAULT_BODY_BYTES = 64 * 1024 * 1024;

export interface FaultAnswer { status: number; body: string; headers: Record<string, string>; delayMs: number }

export class FaultQueue {
  private faults: Fault[] = [];

  add(json: unknown): Fault {
    const spec = parseOrThrow(FaultSpec, json);
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      try {
        validateHeaderName(name);
        validateHeaderValue(name, value);
      } catch {
        throw new ApiError(400, 'ERR_INVALID_DATA', `headers.${name}: not a valid HTTP header`);
      }
    }
    let body = spec.body;
    for (const [i, r] of (spec.repeat ?? []).entries()) {
      if (body === undefined || !body.includes(r.marker)) throw new ApiError(400, 'ERR_INVALID_DATA', `repeat[${i}].marker: not found in body`);
      const grown = body.length + (r.text.length * r.times - r.marker.length) * (body.split(r.marker).length - 1);
      if (grown > MAX_FAULT_BODY_BYTES) throw new ApiError(400, 'ERR_INVALID_DATA', `repeat[${i}]: the body would grow past ${MAX_FAULT_BODY_BYTES} characters`);
      body = body.split(r.marker).join(r.text.repeat(r.times));
    }
    const fault = { ...spec, body, repeat: undefined, remaining: spec.count };
    this.faults.push(fault);
    return fault;
  }

  /** The queued faults; a body over 4 KB is shown by its size only. */
  list(): Array<Omit<Fault, 'body'> & { body?: string }> {
    return this.faults.map((f) => ({ ...f, body: f.body !== undefined && f.body.length > 4096 ? `(${f.body.length} characters)` : f.body }));
  }

  clear(): void { this.faults = []; }

  /** Takes the first fault matching this request, if any. */
  take(organization: string | null, api: ApiName): FaultAnswer | null {
    const index = this.faults.findIndex((f) => f.remaining > 0
      && (f.organization === undefined || f.organization === organization)
      && (f.api === undefined || f.api === api));
    if (index < 0) return null;
    const fault = this.faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(index, 1);
    const body = fault.body ?? JSON.stringify(fault.status < 400
      ? { data: {}, message: 'ok', error: null }
      : errorEnvelope(codeForStatus(fault.status), `fault injected by the emulator (status ${fault.status})`));
    return {
      status: fault.status,
      body,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Emulator-Fault': '1', ...fault.headers },
      delayMs: fault.delayMs ?? 0,
    };
  }
}
