import type { GatewayStore, StoredMessage } from '../storage/store.ts';

export const INTERRUPTED_TOOL_TEXT =
  'Tool call interrupted by a gateway restart; it may or may not have run.';
/** Messages read per page while looking back for an interrupted run's messages. */
const PAGE = 200;

/**
 * At start-up, before the interrupted runs are closed: every tool call a crash left without a result gets one,
 * `isError` and saying so, committed like any result. The transcript then shows what happened, and the next turn's
 * context pairs every call with a result, as the providers require.
 */
export async function markInterruptedToolCalls(store: GatewayStore, now: number): Promise<number> {
  let marked = 0;
  for (const run of await store.listRunningRuns()) {
    const session = await store.getSession(run.sessionKey);
    // A reset since: the run's transcript is archived, and a result appended now would land in the new one.
    if (!session || session.sessionId !== run.sessionId) continue;
    const own: StoredMessage[] = [];
    let beforeSeq: number | undefined;
    for (;;) {
      const page = await store.listMessages(run.sessionKey, {
        limit: PAGE,
        sessionId: run.sessionId,
        ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      });
      own.unshift(...page.filter((message) => message.runId === run.runId));
      const started = page.some((message) => message.runId === run.runId && message.role === 'user');
      if (started || page.length < PAGE) break;
      beforeSeq = page[0]?.seq;
    }
    const answered = new Set(own.filter((m) => m.role === 'toolResult').map((m) => m.toolCallId));
    for (const message of own) {
      if (message.role !== 'assistant' || typeof message.content === 'string') continue;
      for (const block of message.content) {
        if (block.type !== 'toolCall' || answered.has(block.id)) continue;
        answered.add(block.id);
        await store.appendMessage({
          sessionKey: run.sessionKey,
          role: 'toolResult',
          content: [{ type: 'text', text: INTERRUPTED_TOOL_TEXT }],
          timestamp: now,
          runId: run.runId,
          toolCallId: block.id,
          toolName: block.name,
          isError: true,
          details: { status: 'interrupted' },
        });
        marked += 1;
      }
    }
  }
  return marked;
}
