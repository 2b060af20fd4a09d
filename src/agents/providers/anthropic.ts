import type { Anthropic } from '@anthropic-ai/sdk';
import { toAnthropicMessages, toAnthropicTools } from './anthropic-messages.ts';
import { streamEndedError, toProviderError } from './errors.ts';
import { SdkProvider } from './sdk-provider.ts';
import { toolCallFromText } from './tool-arguments.ts';
import type { CompletionRequest, StreamEvent } from './types.ts';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The Messages API requires `max_tokens`; used when the request names none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

const STOP_REASONS: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  refusal: 'refusal',
  tool_use: 'tool_use',
};

type Usage = {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
};

/**
 * The Anthropic Messages API through the official `@anthropic-ai/sdk`, imported on first use. Input tokens
 * count cache reads and writes too, so they are the whole prompt.
 */
export class AnthropicMessagesProvider extends SdkProvider<Anthropic> {
  readonly api = 'anthropic-messages' as const;
  protected readonly packageName = '@anthropic-ai/sdk';

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const { guard, ctx } = this.begin(request);
    try {
      if (guard.signal.aborted) throw guard.signal.reason;
      const client = await this.client();
      const stream = await client.messages.create(
        {
          model: request.model,
          max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
          ...(request.system ? { system: request.system } : {}),
          messages: toAnthropicMessages(request.messages),
          ...(request.tools?.length ? { tools: toAnthropicTools(request.tools) } : {}),
          stream: true,
        },
        { signal: guard.signal },
      );
      ctx.phase = 'stream';
      guard.touch();
      const usage: Usage = {};
      let stopReason: string | undefined;
      let stopped = false;
      // tool_use blocks by index: the id and name come at the block's start, the input as JSON text in parts.
      const calls = new Map<number, { id: string; name: string; json: string }>();
      for await (const event of stream) {
        guard.touch();
        switch (event.type) {
          case 'message_start':
            Object.assign(usage, definedOnly(event.message.usage));
            break;
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              const { id, name } = event.content_block;
              calls.set(event.index, { id, name, json: '' });
            }
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta' && event.delta.text)
              yield { type: 'text', delta: event.delta.text };
            else if (event.delta.type === 'input_json_delta') {
              const call = calls.get(event.index);
              if (call) call.json += event.delta.partial_json;
            }
            break;
          case 'content_block_stop': {
            const call = calls.get(event.index);
            if (call) {
              calls.delete(event.index);
              yield { type: 'tool_call', call: toolCallFromText(call.id, call.name, call.json) };
            }
            break;
          }
          case 'message_delta':
            Object.assign(usage, definedOnly(event.usage));
            stopReason = event.delta.stop_reason ?? stopReason;
            break;
          case 'message_stop':
            stopped = true;
            break;
        }
      }
      // The SDK ends the iteration quietly on an abort, and on a body that closes without `message_stop`.
      if (guard.signal.aborted) throw guard.signal.reason;
      if (!stopped) throw streamEndedError(ctx, 'no message_stop before the response closed');
      yield {
        type: 'usage',
        input:
          (usage.input_tokens ?? 0) +
          (usage.cache_creation_input_tokens ?? 0) +
          (usage.cache_read_input_tokens ?? 0),
        output: usage.output_tokens ?? 0,
      };
      yield { type: 'done', stopReason: stopReason ? (STOP_REASONS[stopReason] ?? stopReason) : 'stop' };
    } catch (error) {
      throw toProviderError(error, ctx);
    } finally {
      guard.dispose();
    }
  }

  protected async createClient(): Promise<Anthropic> {
    const { Anthropic: Client } = await import('@anthropic-ai/sdk');
    return new Client({
      apiKey: this.apiKey,
      baseURL: this.baseUrl,
      maxRetries: 0,
      timeout: this.timeoutMs,
      logLevel: 'off',
    });
  }
}

/** Usage fields that are present: `message_delta` sends null for what it does not update. */
function definedOnly(usage: Usage | null | undefined): Usage {
  const out: Usage = {};
  if (!usage) return out;
  for (const key of [
    'input_tokens',
    'output_tokens',
    'cache_creation_input_tokens',
    'cache_read_input_tokens',
  ] as const) {
    if (typeof usage[key] === 'number') out[key] = usage[key];
  }
  return out;
}
