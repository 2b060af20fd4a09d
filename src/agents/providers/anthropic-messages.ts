import type { Anthropic } from '@anthropic-ai/sdk';
import type { ProviderMessage, ProviderTool } from './types.ts';

type MessageParam = Anthropic.MessageParam;
type Block = Anthropic.ContentBlockParam;

/**
 * The conversation in the Messages API format: an assistant turn's calls as `tool_use` blocks, their answers as
 * `tool_result` blocks at the start of the next user turn. Consecutive turns of one role are merged (the API
 * wants them alternating), and a leading assistant turn is dropped (the API wants a user turn first).
 */
export function toAnthropicMessages(messages: ProviderMessage[]): MessageParam[] {
  const out: { role: 'user' | 'assistant'; blocks: Block[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last?.role === role) last.blocks.push(...blocks);
    else if (role === 'user' || out.length > 0) out.push({ role, blocks });
  };
  for (const message of messages) {
    if (message.role === 'user') {
      push('user', message.content ? [{ type: 'text', text: message.content }] : []);
    } else if (message.role === 'tool') {
      push('user', [
        {
          type: 'tool_result',
          tool_use_id: message.toolCallId,
          content: message.content,
          ...(message.isError ? { is_error: true } : {}),
        },
      ]);
    } else {
      const blocks: Block[] = message.content ? [{ type: 'text', text: message.content }] : [];
      for (const call of message.toolCalls ?? []) {
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
      }
      push('assistant', blocks);
    }
  }
  // A turn of one text block goes as a plain string: what the API's own examples (and older servers) expect.
  return out.map(({ role, blocks }) => {
    const [only] = blocks;
    return {
      role,
      content: blocks.length === 1 && only?.type === 'text' ? only.text : blocks,
    };
  });
}

export function toAnthropicTools(tools: ProviderTool[]): Anthropic.Tool[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.parameters as Anthropic.Tool.InputSchema,
  }));
}
