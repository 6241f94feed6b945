/**
 * Errors the emulator answers with, and errors its CLI exits with.
 *
 * API errors use the hosted API's envelope `{ message, data: {}, error: { code } }` (wire-format.md).
 * CLI errors are `OptimizationError`s with the emulator's codes (E101–E105 in src/core/errors.ts):
 * `code` is `E101`, the message `ctfl-opt/E101: …`, composed from the table like every other.
 */
import { OptimizationError, type MessageCode } from '../core/log.js';
import type { ErrorCode } from '../core/schemas.js';

/** The wire codes, plus the one the hosted API has no use for (it never answers 405 to an SDK). */
export type ApiErrorCode = ErrorCode | 'ERR_METHOD_NOT_ALLOWED';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export interface ErrorEnvelope {
  message: string;
  data: Record<string, never>;
  error: { code: string };
}

export const errorEnvelope = (code: string, message: string): ErrorEnvelope => ({ message, data: {}, error: { code } });

/** The error code a bare status stands for, for faults and other answers without a body. */
export function codeForStatus(status: number): ApiErrorCode {
  switch (status) {
    case 400: return 'ERR_INVALID_DATA';
    case 404: return 'ERR_NOT_FOUND';
    case 405: return 'ERR_METHOD_NOT_ALLOWED';
    case 413: return 'ERR_PAYLOAD_TOO_LARGE';
    case 429: return 'ERR_PROFILE_OVERLOAD';
    case 503: return 'ERR_SERVICE_UNAVAILABLE';
    default: return 'ERR_INTERNAL_SERVER_ERROR';
  }
}

/** An error the CLI exits with: `exitCode` 2 for bad input (flags, space file, data directory), 1 for a port it cannot use. */
export class CliError extends OptimizationError {
  readonly exitCode: number;

  constructor(code: MessageCode, detail: string, exitCode = 2) {
    super(code, detail);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
