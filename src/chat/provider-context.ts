import type { ProviderMessage, ProviderToolCall } from '../agents/providers/types.ts';
import { modelText } from '../agents/tool-loop.ts';
import type { StoredMessage } from '../storage/store.ts';
import { messageText } from './wire-message.ts';

/** What the model reads for a call whose result never got stored (a crash, a failed write). */
export const MISSING_RESULT_TEXT = 'No result was recorded for this tool call (the run was interrupted).';

/**
 * The model's context from a window of the transcript, ending with the turn's user message: each run's replies
 * placed right after the user message that started it (a reply can be stored after a later message arrived),
 * tool calls and their results replayed (results as text; `details` never), and the pairing the APIs insist on
 * restored: a result whose call fell outside the window is dropped, and a call without a result gets an error
 * result.
 */
export function toProviderContext(window: StoredMessage[], current: StoredMessage): ProviderMessage[] {
  const turnAt = new Map<string, number>();
  for (const message of window) {
    if (message.role === 'user' && message.runId) turnAt.set(message.runId, message.seq);
  }
  const position = (message: StoredMessage) => {
    const turn = message.role !== 'user' && message.runId ? turnAt.get(message.runId) : undefined;
    return turn === undefined ? message.seq : turn + 0.5;
  };
  const ordered = byPosition(window, window.map(position));
  const raw: ProviderMessage[] = [];
  for (const message of ordered) {
    if (message.role === 'system' || (message.role === 'user' && message.seq >= current.seq)) continue;
    const converted = toProviderMessage(message);
    if (converted) raw.push(converted);
  }
  raw.push({ role: 'user', content: messageText(current) });
  return pairToolMessages(raw);
}

/**
 * The window ordered by `positions` (one per message), ties by seq. Each turn's replies usually follow its user
 * message already: then the window is returned as it is, without a sort.
 */
function byPosition(window: StoredMessage[], positions: number[]): StoredMessage[] {
  const compare = (a: number, b: number) =>
    (positions[a] as number) - (positions[b] as number) ||
    (window[a] as StoredMessage).seq - (window[b] as StoredMessage).seq;
  let sorted = true;
  for (let i = 1; i < window.length && sorted; i += 1) sorted = compare(i - 1, i) <= 0;
  if (sorted) return window;
  return window
    .map((_, i) => i)
    .sort(compare)
    .map((i) => window[i] as StoredMessage);
}

function toProviderMessage(message: StoredMessage): ProviderMessage | undefined {
  if (message.role === 'user') {
    const text = messageText(message);
    return text === '' ? undefined : { role: 'user', content: text };
  }
  if (message.role === 'toolResult') {
    if (!message.toolCallId) return undefined;
    const content =
      typeof message.content === 'string' ? message.content : modelText({ content: toolBlocks(message) });
    return {
      role: 'tool',
      toolCallId: message.toolCallId,
      toolName: message.toolName ?? '',
      content,
      ...(message.isError ? { isError: true } : {}),
    };
  }
  const text = messageText(message);
  const toolCalls: ProviderToolCall[] = [];
  if (typeof message.content !== 'string') {
    for (const block of message.content) {
      if (block.type === 'toolCall')
        toolCalls.push({ id: block.id, name: block.name, arguments: block.arguments });
    }
  }
  if (text === '' && toolCalls.length === 0) return undefined;
  return toolCalls.length > 0
    ? { role: 'assistant', content: text, toolCalls }
    : { role: 'assistant', content: text };
}

function toolBlocks(message: StoredMessage) {
  if (typeof message.content === 'string') return [];
  return message.content.flatMap((block) => (block.type === 'toolCall' ? [] : [block]));
}

/** Every call answered right after its assistant turn, and no result without its call. */
function pairToolMessages(messages: ProviderMessage[]): ProviderMessage[] {
  const out: ProviderMessage[] = [];
  for (let i = 0; i < messages.length; i += 1) {
    const message = messages[i] as ProviderMessage;
    if (message.role === 'tool') continue;
    out.push(message);
    if (message.role !== 'assistant' || !message.toolCalls?.length) continue;
    const results = new Map<string, ProviderMessage>();
    while (messages[i + 1]?.role === 'tool') {
      i += 1;
      const result = messages[i] as Extract<ProviderMessage, { role: 'tool' }>;
      if (!results.has(result.toolCallId)) results.set(result.toolCallId, result);
    }
    for (const call of message.toolCalls) {
      out.push(
        results.get(call.id) ?? {
          role: 'tool',
          toolCallId: call.id,
          toolName: call.name,
          content: MISSING_RESULT_TEXT,
          isError: true,
        },
      );
    }
  }
  return out;
}
