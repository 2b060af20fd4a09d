/** A queued message as the indexer reads it (absent fields: the message was deleted before it was indexed). */
export type QueuedMessage = {
  sessionKey: string | null;
  role: string | null;
  /** The stored JSON: a string for user text, content blocks for the assistant (store.ts). */
  content: string | null;
  runId: string | null;
};

/**
 * Transcripts OpenClaw keeps out of memory search: cron runs (their isolated sessions, `agent:<id>:cron:<job>`)
 * and heartbeat turns (runs `heartbeat:<agent>:<uuid>`), which quote conversations without being one.
 */
export function isIndexableTranscript(message: QueuedMessage): boolean {
  if (!message.sessionKey || (message.role !== 'user' && message.role !== 'assistant')) return false;
  if (/^agent:[^:]+:cron:/.test(message.sessionKey)) return false;
  return !message.runId?.startsWith('heartbeat:');
}

/** The text a message is found by: a user message's string, an assistant's `text` blocks (tool blocks are not). */
export function transcriptText(content: string): string {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return '';
  }
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return '';
  const texts: string[] = [];
  for (const block of value) {
    if (block && typeof block === 'object' && block.type === 'text' && typeof block.text === 'string')
      texts.push(block.text);
  }
  return texts.join('\n');
}
