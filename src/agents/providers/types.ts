import { ClawgateError } from '../../protocol/clawgate-error.ts';

/** A tool call as the model made it, arguments parsed. */
export type ProviderToolCall = { id: string; name: string; arguments: Record<string, unknown> };

/**
 * The conversation as the runner hands it to a provider, which maps it to its own wire format: an assistant turn
 * may carry tool calls, and each call is answered by a `tool` message (OpenAI `role: "tool"`, Anthropic a
 * `tool_result` block in the next user turn).
 */
export type ProviderMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ProviderToolCall[] }
  | { role: 'tool'; toolCallId: string; toolName: string; content: string; isError?: boolean };

/** A tool offered to the model: its JSON Schema parameters go out as the provider's function definition. */
export type ProviderTool = { name: string; description: string; parameters: Record<string, unknown> };

export type CompletionRequest = {
  /** The model id as the provider knows it (the part after `provider/`). */
  model: string;
  system?: string;
  messages: ProviderMessage[];
  /** Offered tools; absent or empty sends none. */
  tools?: ProviderTool[];
  maxTokens?: number;
  /** Aborting it cancels the provider's HTTP request. */
  signal: AbortSignal;
};

/**
 * A tool call once the stream has delivered all of it. Arguments that were not a JSON object arrive as `{}` with
 * `invalidArguments` saying why, so the runner can answer the model with an error instead of failing the turn.
 */
export type StreamedToolCall = ProviderToolCall & { invalidArguments?: string };

export type StreamEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; call: StreamedToolCall }
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
  /** Not the provider's: the turn reached its tool step limit, or its tool calls could not be saved. */
  | 'tool_loop'
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
