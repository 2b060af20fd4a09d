import { type ErrorContext, RequestGuard } from './errors.ts';
import { type CompletionRequest, type LlmProvider, ProviderError, type StreamEvent } from './types.ts';

/** How long to wait for the response headers (the SDK's `timeout`). Local servers may load a model first. */
export const PROVIDER_REQUEST_TIMEOUT_MS = 120_000;
/** How long a started stream may go without a chunk before it is cancelled (kind `timeout`). */
export const PROVIDER_IDLE_TIMEOUT_MS = 300_000;

export type HttpProviderOptions = {
  id: string;
  baseUrl: string;
  /** Both SDKs send it as `Authorization: Bearer …` (the Anthropic SDK 1.14 too, not `x-api-key`). */
  apiKey: string;
  timeoutMs?: number;
  idleTimeoutMs?: number;
};

/**
 * What the OpenAI and Anthropic providers share: their settings, the SDK client imported on first use (never at
 * start-up; a failed import is retried on the next request), and the per-request guard and error context.
 */
export abstract class SdkProvider<Client> implements LlmProvider {
  abstract readonly api: LlmProvider['api'];
  readonly id: string;
  readonly baseUrl: string;
  protected readonly apiKey: string;
  protected readonly timeoutMs: number;
  readonly #idleTimeoutMs: number;
  #client: Promise<Client> | undefined;

  constructor(options: HttpProviderOptions) {
    this.id = options.id;
    this.baseUrl = options.baseUrl;
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? PROVIDER_REQUEST_TIMEOUT_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? PROVIDER_IDLE_TIMEOUT_MS;
  }

  abstract stream(request: CompletionRequest): AsyncIterable<StreamEvent>;

  /** The npm package the client comes from, for the load-failure message. */
  protected abstract readonly packageName: string;
  /** Imports the SDK and builds a client with retries off (fallbacks are the runner's). */
  protected abstract createClient(): Promise<Client>;

  protected client(): Promise<Client> {
    this.#client ??= this.createClient().catch((error: unknown) => {
      this.#client = undefined;
      throw new ProviderError(
        'unknown',
        `The ${this.packageName} package could not be loaded: ${String(error)}`,
        {
          cause: error,
        },
      );
    });
    return this.#client;
  }

  /** The guard (caller's abort + idle timeout) and error context of one request. */
  protected begin(request: CompletionRequest): { guard: RequestGuard; ctx: ErrorContext } {
    const guard = new RequestGuard(request.signal, this.#idleTimeoutMs);
    return {
      guard,
      ctx: { provider: this.id, baseUrl: this.baseUrl, model: request.model, phase: 'connect', guard },
    };
  }
}
