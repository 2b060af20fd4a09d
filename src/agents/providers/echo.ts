import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { abortedError } from './errors.ts';
import { toolCallFromText } from './tool-arguments.ts';
import type { CompletionRequest, LlmProvider, ProviderMessage, StreamEvent } from './types.ts';

/** Default pause between streamed words, so the offline provider looks like a model typing. */
export const ECHO_WORD_DELAY_MS = 30;
export const ECHO_PREFIX = 'Echo: ';
/**
 * A user message line `@tool <name> <JSON arguments>` makes the echo model call that tool: one line per model step,
 * in order, then it answers `Echo: <the last tool result>`. Deterministic tool turns for tests and benchmarks.
 */
export const ECHO_TOOL_DIRECTIVE = '@tool';
const DIRECTIVE = /^@tool\s+(\S+)\s*(.*)$/;

export type EchoProviderOptions = {
  id?: string;
  /** Pause before each word after the first; 0 still yields to the event loop between words. */
  delayMs?: number;
};

/**
 * The offline provider (`echo/echo`): streams the last user message back, prefixed with `Echo: `, one word
 * per chunk. Token counts are word counts; `maxTokens` cuts the reply at that many words (stop reason `length`).
 * `@tool` lines in the last user message script tool calls (ECHO_TOOL_DIRECTIVE).
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
    const userIndex = request.messages.findLastIndex((m) => m.role === 'user');
    const lastUser = request.messages[userIndex] as { content: string } | undefined;
    const script = toolScript(lastUser?.content ?? '');
    const after = request.messages.slice(userIndex + 1);
    const stepsDone = after.filter((m) => m.role === 'assistant' && m.toolCalls?.length).length;
    const input = [request.system ?? '', ...request.messages.map(inputText)].join(' ').match(/\S+/g);
    if (script.length > stepsDone) {
      if (signal.aborted) throw abortedError(this.id, signal.reason);
      const [name, args] = script[stepsDone] as [string, string];
      yield { type: 'tool_call', call: toolCallFromText(`echo-call-${stepsDone + 1}`, name, args) };
      yield { type: 'usage', input: input?.length ?? 0, output: 1 };
      yield { type: 'done', stopReason: 'tool_use' };
      return;
    }
    const reply = script.length > 0 ? lastToolText(after) : lastUser?.content.trim();
    const all = `${ECHO_PREFIX}${reply || '(empty message)'}`.match(/\s*\S+/g) ?? [];
    const truncated = request.maxTokens !== undefined && request.maxTokens < all.length;
    const words = truncated ? all.slice(0, request.maxTokens) : all;
    if (signal.aborted) throw abortedError(this.id, signal.reason);
    for (let i = 0; i < words.length; i++) {
      if (i > 0 && this.delayMs > 0) {
        try {
          await sleep(this.delayMs, undefined, { signal });
        } catch (error) {
          throw abortedError(this.id, error);
        }
      } else if (i > 0) {
        // No abort listener for a wait this short (adding and removing one per word was most of its cost): an
        // abort is seen as soon as the loop turn it came in ends.
        await nextTurn();
        if (signal.aborted) throw abortedError(this.id, signal.reason);
      }
      yield { type: 'text', delta: words[i]! };
    }
    if (signal.aborted) throw abortedError(this.id, signal.reason);
    yield { type: 'usage', input: input?.length ?? 0, output: words.length };
    yield { type: 'done', stopReason: truncated ? 'length' : 'stop' };
  }
}

/** The `@tool` lines of a message as [name, argument text] pairs. */
function toolScript(text: string): [string, string][] {
  const script: [string, string][] = [];
  for (const line of text.split('\n')) {
    const match = DIRECTIVE.exec(line.trim());
    if (match) script.push([match[1] as string, (match[2] as string).trim()]);
  }
  return script;
}

function lastToolText(messages: ProviderMessage[]): string {
  const last = messages.findLast((m) => m.role === 'tool');
  return last?.content.trim() || '(no tool output)';
}

function inputText(message: ProviderMessage): string {
  return message.content;
}
