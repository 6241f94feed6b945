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
});
export type FaultSpec = z.infer<typeof FaultSpec>;

export interface Fault extends FaultSpec { remaining: number }

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
    const fault = { ...spec, remaining: spec.count };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] { return this.faults.map((f) => ({ ...f })); }

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
