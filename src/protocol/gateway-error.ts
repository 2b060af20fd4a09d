import { ClawgateError } from './clawgate-error.ts';
import type { ErrorCode } from './error-codes.ts';

export type ErrorShape = {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
};

type GatewayErrorOptions = {
  details?: Record<string, unknown>;
  retryable?: boolean;
  retryAfterMs?: number;
};

/** The one error type handlers throw for a client's mistake; dispatch turns it into the `error` of a `res`. */
export class GatewayError extends ClawgateError {
  declare readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(code, message);
    this.name = 'GatewayError';
    this.details = options.details;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }

  toShape(): ErrorShape {
    const shape: ErrorShape = { code: this.code, message: this.message };
    if (this.details !== undefined) shape.details = this.details;
    if (this.retryable !== undefined) shape.retryable = this.retryable;
    if (this.retryAfterMs !== undefined) shape.retryAfterMs = Math.max(0, Math.round(this.retryAfterMs));
    return shape;
  }
}

export function invalidParams(method: string, reason: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `invalid ${method} params: ${reason}`);
}
