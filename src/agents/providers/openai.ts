import { randomUUID } from 'node:crypto';
import type { OpenAI } from 'openai';
import { streamEndedError, toProviderError } from './errors.ts';
import {
  accumulateToolCallDeltas,
  type PendingOpenAiCall,
  toOpenAiMessages,
  toOpenAiTools,
} from './openai-messages.ts';
import { SdkProvider } from './sdk-provider.ts';
import { toolCallFromText } from './tool-arguments.ts';
import type { CompletionRequest, StreamEvent } from './types.ts';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export type { HttpProviderOptions } from './sdk-provider.ts';

const FINISH_REASONS: Record<string, string> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'refusal',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
};

/**
 * Any OpenAI-compatible chat completions endpoint (OpenAI, Ollama, vLLM, LM Studio, OpenRouter, llama.cpp)
 * through the official `openai` package, imported on first use so the gateway never loads it at start-up.
 */
export class OpenAiCompletionsProvider extends SdkProvider<OpenAI> {
  readonly api = 'openai-completions' as const;
  protected readonly packageName = 'openai';

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const { guard, ctx } = this.begin(request);
    try {
      if (guard.signal.aborted) throw guard.signal.reason;
      const client = await this.client();
      const stream = await client.chat.completions.create(
        {
          model: request.model,
          messages: toOpenAiMessages(request.system, request.messages),
          ...(request.tools?.length ? { tools: toOpenAiTools(request.tools) } : {}),
          stream: true,
          stream_options: { include_usage: true },
          ...(request.maxTokens === undefined ? {} : this.#maxTokens(request.maxTokens)),
        },
        { signal: guard.signal },
      );
      ctx.phase = 'stream';
      guard.touch();
      let finish: string | undefined;
      let usage: OpenAI.CompletionUsage | undefined;
      const calls = new Map<number, PendingOpenAiCall>();
      for await (const chunk of stream) {
        guard.touch();
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        const delta = choice?.delta?.content;
        if (delta) yield { type: 'text', delta };
        accumulateToolCallDeltas(calls, choice?.delta?.tool_calls);
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
      // The SDK ends the iteration quietly on an abort, and on a body that closes without `[DONE]`.
      if (guard.signal.aborted) throw guard.signal.reason;
      if (finish === undefined) throw streamEndedError(ctx, 'no finish_reason before the response closed');
      // Arguments arrive in pieces: a call is whole only once the stream has finished.
      for (const [index, call] of [...calls].sort(([a], [b]) => a - b)) {
        // Some compatible servers send no id; the transcript and the result still need one to pair them.
        const id = call.id || `call_${index}_${randomUUID().slice(0, 8)}`;
        yield { type: 'tool_call', call: toolCallFromText(id, call.name, call.arguments) };
      }
      if (usage)
        yield { type: 'usage', input: usage.prompt_tokens ?? 0, output: usage.completion_tokens ?? 0 };
      yield { type: 'done', stopReason: FINISH_REASONS[finish] ?? finish };
    } catch (error) {
      throw toProviderError(error, ctx);
    } finally {
      guard.dispose();
    }
  }

  /** OpenAI's own API wants `max_completion_tokens` (reasoning models reject `max_tokens`); servers that
   * copy the API mostly know only `max_tokens`. */
  #maxTokens(value: number): { max_tokens: number } | { max_completion_tokens: number } {
    return this.baseUrl.startsWith(OPENAI_DEFAULT_BASE_URL)
      ? { max_completion_tokens: value }
      : { max_tokens: value };
  }

  protected async createClient(): Promise<OpenAI> {
    const { OpenAI: Client } = await import('openai');
    return new Client({
      apiKey: this.apiKey,
      baseURL: this.baseUrl,
      // Never take the organisation, project or admin key from the gateway's OPENAI_* environment.
      organization: null,
      project: null,
      adminAPIKey: null,
      maxRetries: 0,
      timeout: this.timeoutMs,
      logLevel: 'off',
    });
  }
}
