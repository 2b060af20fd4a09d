import { ClawgateError } from '../../protocol/clawgate-error.ts';

/** What the runner asks a provider for: one streamed completion. */
export type ProviderMessage = { role: 'user' | 'assistant'; content: string };

export type CompletionRequest = {
  /** The model id as the provider knows it (the part after `provider/`). */
  model: string;
  system?: string;
  messages: ProviderMessage[];
  maxTokens?: number;
  /** Aborting it cancels the provider's HTTP request. */
  signal: AbortSignal;
};

export type StreamEvent =
  | { type: 'text'; delta: string }
  | { type: 'usage'; input: number; output: number }
  | { type: 'done'; stopReason: string };

/** One configured provider instance (`models.providers.<id>` or a built-in one). */
export interface LlmProvider {
  readonly id: string;
  readonly api: 'echo' | 'openai-completions' | 'anthropic-messages';
  stream(request: CompletionRequest): AsyncIterable<StreamEvent>;
}

export type ProviderErrorKind =
  | 'auth'
  | 'rate_limit'
  | 'server'
  | 'network'
  | 'protocol'
  | 'timeout'
  | 'context_length'
  | 'refusal'
  | 'aborted'
  | 'unknown';

/**
 * Every provider failure becomes one of these, with a message a user can act on. `retryable` decides whether
 * a configured fallback model is tried.
 */
export class ProviderError extends ClawgateError {
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    options: { retryable?: boolean; status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`PROVIDER_${kind.toUpperCase()}`, message, { cause: options.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}
