import { ProviderError } from './types.ts';

/** What a provider knew when a request failed: enough to say where and what to fix. */
export type ErrorContext = {
  /** The provider id (`models.providers.<id>`). */
  provider: string;
  baseUrl: string;
  model: string;
  /** `connect`: before the response headers arrived; `stream`: while reading the body. */
  phase: 'connect' | 'stream';
  /** The request's guard, to tell the caller's abort and the idle timeout apart from transport errors. */
  guard?: RequestGuard;
};

/** Connection-level error codes (Node, undici) that mean the provider could not be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const CONTEXT_LENGTH =
  /context[_ ]length|context window|maximum context|prompt is too long|too many tokens|reduce the length|input is too long/i;

/**
 * The caller's AbortSignal plus an idle timeout, combined into the one signal given to the SDK. `touch()` on
 * every chunk restarts the idle clock; once it runs out the request is cancelled and the failure becomes
 * kind `timeout`.
 */
export class RequestGuard {
  readonly signal: AbortSignal;
  timedOut = false;
  readonly #caller: AbortSignal;
  readonly #controller = new AbortController();
  readonly #idleMs: number;
  #timer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.#controller.abort(this.#caller.reason);

  constructor(caller: AbortSignal, idleMs: number) {
    this.#caller = caller;
    this.#idleMs = idleMs;
    this.signal = this.#controller.signal;
    if (caller.aborted) this.#controller.abort(caller.reason);
    else caller.addEventListener('abort', this.#onAbort, { once: true });
  }

  get aborted(): boolean {
    return this.#caller.aborted;
  }

  /** Starts or restarts the idle clock. */
  touch(): void {
    if (this.#idleMs <= 0 || this.#controller.signal.aborted) return;
    if (this.#timer) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#controller.abort(new Error('idle timeout'));
    }, this.#idleMs);
    this.#timer.unref();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller.removeEventListener('abort', this.#onAbort);
  }
}

export function abortedError(provider: string, cause?: unknown): ProviderError {
  return new ProviderError('aborted', `The request to ${provider} was aborted`, { cause });
}

/** The stream closed without its terminal event (`finish_reason` / `[DONE]`, `message_stop`). */
export function streamEndedError(ctx: ErrorContext, detail: string, cause?: unknown): ProviderError {
  return new ProviderError(
    'network',
    `${ctx.provider} stream ended before completion: ${detail} (${ctx.baseUrl})`,
    { retryable: true, cause },
  );
}

/** Maps anything an SDK (or fetch) throws to a ProviderError with a message a user can act on. */
export function toProviderError(error: unknown, ctx: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  const { provider } = ctx;
  if (ctx.guard?.aborted) return abortedError(provider, error);
  if (ctx.guard?.timedOut) {
    return new ProviderError('timeout', `${provider} sent nothing for too long; the request was cancelled`, {
      retryable: true,
      cause: error,
    });
  }
  const err = (error ?? {}) as { status?: unknown; headers?: unknown; name?: unknown; message?: unknown };
  if (typeof err.status === 'number') return httpError(err.status, err.headers, detailOf(error), ctx, error);

  const name = errorName(error);
  if (name.includes('Timeout')) {
    return new ProviderError('timeout', `${provider} did not answer in time (${ctx.baseUrl})`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof SyntaxError) {
    return new ProviderError('protocol', `${provider} sent malformed streaming data: ${error.message}`, {
      cause: error,
    });
  }
  // An error event inside a stream (e.g. Anthropic `event: error`, OpenAI `data: {"error": …}`): no status.
  const streamed = streamedErrorType(error);
  if (streamed) return streamedError(streamed, detailOf(error), ctx, error);

  const code = networkCode(error);
  if (code || name === 'APIConnectionError' || isFetchTransportError(error)) {
    if (ctx.phase === 'stream') {
      return streamEndedError(ctx, `the connection closed${code ? ` (${code})` : ''}`, error);
    }
    return new ProviderError(
      'network',
      `Could not reach ${provider} at ${ctx.baseUrl}${code ? ` (${code})` : ''}: is the server running and the baseUrl right?`,
      { retryable: true, cause: error },
    );
  }
  const message = typeof err.message === 'string' && err.message ? err.message : String(error);
  return new ProviderError('unknown', `${provider} request failed: ${message}`, { cause: error });
}

function httpError(
  status: number,
  headers: unknown,
  detail: string | undefined,
  ctx: ErrorContext,
  cause: unknown,
): ProviderError {
  const { provider } = ctx;
  const said = detail ? `: ${detail}` : '';
  if (status === 401 || status === 403) {
    return new ProviderError(
      'auth',
      `${provider} rejected the API key (HTTP ${status}): check models.providers.${provider}.apiKey${detail ? ` (${detail})` : ''}`,
      { status, cause },
    );
  }
  if (status === 429) {
    const retryAfterMs = retryAfter(headers);
    return new ProviderError(
      'rate_limit',
      `${provider} is rate limiting requests (HTTP 429)${retryAfterMs === undefined ? '' : `; retry after ${Math.ceil(retryAfterMs / 1000)} s`}${said}`,
      { status, retryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }), cause },
    );
  }
  if ((status === 400 || status === 413 || status === 422) && detail && CONTEXT_LENGTH.test(detail)) {
    return new ProviderError(
      'context_length',
      `The conversation is too long for ${provider}/${ctx.model} (HTTP ${status})${said}`,
      { status, cause },
    );
  }
  if (status === 404) {
    return new ProviderError(
      'unknown',
      `${provider} answered HTTP 404 for model ${ctx.model}: check the model id and models.providers.${provider}.baseUrl (${ctx.baseUrl})${said}`,
      { status, cause },
    );
  }
  if (status === 408) {
    return new ProviderError('timeout', `${provider} timed out the request (HTTP 408)${said}`, {
      status,
      retryable: true,
      cause,
    });
  }
  if (status >= 500) {
    return new ProviderError('server', `${provider} failed with a server error (HTTP ${status})${said}`, {
      status,
      retryable: true,
      cause,
    });
  }
  return new ProviderError('unknown', `${provider} rejected the request (HTTP ${status})${said}`, {
    status,
    cause,
  });
}

function streamedError(
  type: string,
  detail: string | undefined,
  ctx: ErrorContext,
  cause: unknown,
): ProviderError {
  const said = `${ctx.provider} reported an error mid-stream (${type})${detail ? `: ${detail}` : ''}`;
  if (/auth|permission/.test(type)) return new ProviderError('auth', said, { cause });
  if (/rate_limit/.test(type)) return new ProviderError('rate_limit', said, { retryable: true, cause });
  if (detail && CONTEXT_LENGTH.test(detail)) return new ProviderError('context_length', said, { cause });
  if (/invalid_request/.test(type)) return new ProviderError('unknown', said, { cause });
  return new ProviderError('server', said, { retryable: true, cause });
}

/** `retry-after-ms` (OpenAI), else `retry-after` as seconds or an HTTP date. */
export function retryAfter(headers: unknown, now = Date.now()): number | undefined {
  const get = (name: string): string | null | undefined => {
    if (!headers || typeof headers !== 'object') return undefined;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
    const value = (headers as Record<string, unknown>)[name];
    return typeof value === 'string' ? value : undefined;
  };
  const ms = get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const value = get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The provider's own explanation from an SDK error body (OpenAI `{error: {message}}`, Anthropic `{error: {error: {message}}}`). */
function detailOf(error: unknown): string | undefined {
  const body = (error as { error?: unknown }).error as
    | { message?: unknown; error?: { message?: unknown } }
    | undefined;
  const message = body?.message ?? body?.error?.message;
  return typeof message === 'string' && message ? message : undefined;
}

function streamedErrorType(error: unknown): string | undefined {
  const name = errorName(error);
  if (name !== 'APIError' && name !== 'Error') return undefined;
  const e = error as { type?: unknown; error?: { type?: unknown; error?: { type?: unknown } } };
  if (!e.error || typeof e.error !== 'object') return undefined;
  const type = e.type ?? e.error.type ?? e.error.error?.type;
  return typeof type === 'string' && type ? type : 'error';
}

function errorName(error: unknown): string {
  if (!error || typeof error !== 'object') return '';
  const name = (error as { name?: unknown }).name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== 'Error' ? name : typeof ctor === 'string' ? ctor : '';
}

/** The first Node/undici network error code along the `cause` chain. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const innerCode = networkCode(inner);
        if (innerCode) return innerCode;
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** undici's `TypeError: fetch failed` (connect) and `TypeError: terminated` (body cut mid-way). */
function isFetchTransportError(error: unknown): boolean {
  return error instanceof TypeError && /^(fetch failed|terminated)$/.test(error.message);
}
