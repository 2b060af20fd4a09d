import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { abortedError } from './errors.ts';
import type { CompletionRequest, LlmProvider, StreamEvent } from './types.ts';

/** Default pause between streamed words, so the offline provider looks like a model typing. */
export const ECHO_WORD_DELAY_MS = 30;
export const ECHO_PREFIX = 'Echo: ';

export type EchoProviderOptions = {
  id?: string;
  /** Pause before each word after the first; 0 still yields to the event loop between words. */
  delayMs?: number;
};

/**
 * The offline provider (`echo/echo`): streams the last user message back, prefixed with `Echo: `, one word
 * per chunk. Token counts are word counts; `maxTokens` cuts the reply at that many words (stop reason `length`).
 */
export class EchoProvider implements LlmProvider {
  readonly id: string;
  readonly api = 'echo' as const;
  readonly delayMs: number;

  constructor(options: EchoProviderOptions = {}) {
    const delayMs = options.delayMs ?? ECHO_WORD_DELAY_MS;
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new TypeError(`EchoProvider delayMs must be a number >= 0, got ${delayMs}`);
    }
    this.id = options.id ?? 'echo';
    this.delayMs = delayMs;
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const { signal } = request;
    const lastUser = request.messages.findLast((m) => m.role === 'user');
    const all = `${ECHO_PREFIX}${lastUser?.content.trim() || '(empty message)'}`.match(/\s*\S+/g) ?? [];
    const truncated = request.maxTokens !== undefined && request.maxTokens < all.length;
    const words = truncated ? all.slice(0, request.maxTokens) : all;
    const input = [request.system ?? '', ...request.messages.map((m) => m.content)].join(' ').match(/\S+/g);
    if (signal.aborted) throw abortedError(this.id, signal.reason);
    for (let i = 0; i < words.length; i++) {
      if (i > 0) {
        try {
          await (this.delayMs > 0
            ? sleep(this.delayMs, undefined, { signal })
            : nextTurn(undefined, { signal }));
        } catch (error) {
          throw abortedError(this.id, error);
        }
      }
      yield { type: 'text', delta: words[i]! };
    }
    if (signal.aborted) throw abortedError(this.id, signal.reason);
    yield { type: 'usage', input: input?.length ?? 0, output: words.length };
    yield { type: 'done', stopReason: truncated ? 'length' : 'stop' };
  }
}
