import type { OpenAI } from 'openai';
import type { ProviderMessage, ProviderTool } from './types.ts';

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;

/**
 * The conversation in the chat completions format: an assistant turn's calls as `tool_calls` (arguments as JSON
 * text), each answer as a `role: "tool"` message naming its `tool_call_id`.
 */
export function toOpenAiMessages(system: string | undefined, messages: ProviderMessage[]): ChatMessage[] {
  const out: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  for (const message of messages) {
    if (message.role === 'user') out.push({ role: 'user', content: message.content });
    else if (message.role === 'tool') {
      out.push({ role: 'tool', tool_call_id: message.toolCallId, content: message.content });
    } else if (message.toolCalls?.length) {
      out.push({
        role: 'assistant',
        // The API takes null, not "", beside tool calls.
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        })),
      });
    } else out.push({ role: 'assistant', content: message.content });
  }
  return out;
}

export function toOpenAiTools(tools: ProviderTool[]): OpenAI.Chat.ChatCompletionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  }));
}

/** One call's pieces as the stream delivers them, keyed by `index`; the id and name come once, arguments in parts. */
export type PendingOpenAiCall = { id: string; name: string; arguments: string };

export function accumulateToolCallDeltas(
  pending: Map<number, PendingOpenAiCall>,
  deltas: OpenAI.Chat.ChatCompletionChunk.Choice.Delta.ToolCall[] | undefined,
): void {
  for (const delta of deltas ?? []) {
    let call = pending.get(delta.index);
    if (!call) {
      call = { id: '', name: '', arguments: '' };
      pending.set(delta.index, call);
    }
    if (delta.id && !call.id) call.id = delta.id;
    if (delta.function?.name && !call.name) call.name = delta.function.name;
    if (delta.function?.arguments) call.arguments += delta.function.arguments;
  }
}
