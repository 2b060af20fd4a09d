import { READ, WRITE } from '../server/authz/access.ts';
import { missingScopeError } from '../server/authz/missing-scope.ts';
import { scopeSatisfied } from '../server/authz/scopes.ts';
import { defineMethods } from '../server/method-types.ts';
import type { RunOutcome } from './chat-service.ts';
import { parseResetCommand } from './commands.ts';
import { chatTarget } from './targets.ts';
import { messageText } from './wire-message.ts';

/** `agent.wait` without a timeout waits this long. */
const DEFAULT_AGENT_WAIT_MS = 30_000;

function finalPayload(outcome: RunOutcome) {
  const text = outcome.message ? messageText(outcome.message) : '';
  return {
    runId: outcome.runId,
    status: outcome.status === 'ok' ? 'ok' : outcome.status,
    summary: outcome.status === 'ok' ? 'completed' : (outcome.errorMessage ?? outcome.status),
    result: {
      payloads: text ? [{ text }] : [],
      meta: {
        stopReason: outcome.stopReason,
        ...(outcome.message?.provider
          ? { provider: outcome.message.provider, model: outcome.message.model }
          : {}),
        ...(outcome.message?.usage ? { usage: outcome.message.usage } : {}),
      },
    },
  };
}

export const agentMethods = defineMethods({
  /** Runs a turn and answers twice on the same id: accepted at once, then the result (protocol.md §2). */
  agent: {
    access: WRITE,
    requiresReady: true,
    handler: async (params, ctx) => {
      const { gateway } = ctx;
      const { config } = gateway.configState;
      const { sessionKey, agentId } = chatTarget(
        config,
        { sessionKey: params.sessionKey ?? 'main', agentId: params.agentId },
        'agent',
      );
      const command = parseResetCommand(params.message);
      let message = params.message;
      if (command) {
        // Resetting a session through `agent` needs admin (protocol.md §6, decided from params).
        if (!scopeSatisfied(ctx.client.scopes, 'operator.admin')) {
          throw missingScopeError('operator.admin');
        }
        await gateway.sessions.reset(sessionKey, agentId, 'reset');
        message = command.rest;
        if (message === '') {
          const { runId } = await gateway.chat.commandReply({
            sessionKey,
            agentId,
            idempotencyKey: params.idempotencyKey,
            command: params.message.trim(),
            reply: command.reply,
          });
          ctx.afterResponse(() =>
            ctx.respondAgain({
              runId,
              status: 'ok',
              summary: 'completed',
              result: { payloads: [{ text: command.reply }], meta: { stopReason: 'stop' } },
            }),
          );
          return { runId, sessionKey, agentId, status: 'accepted', acceptedAt: gateway.now() };
        }
      }
      const started = await gateway.chat.send({
        sessionKey,
        agentId,
        message,
        idempotencyKey: params.idempotencyKey,
        // OpenClaw's `agent` takes seconds (`openclaw agent --timeout 600`); 0 or absent: no deadline.
        timeoutMs: params.timeout ? params.timeout * 1000 : undefined,
      });
      ctx.afterResponse(() => {
        started.done.then(
          (outcome) => ctx.respondAgain(finalPayload(outcome)),
          (error: unknown) =>
            gateway.logger.error('agent run failed', { runId: started.runId, error: (error as Error).stack }),
        );
      });
      return { runId: started.runId, sessionKey, agentId, status: 'accepted', acceptedAt: gateway.now() };
    },
  },

  'agent.wait': {
    access: WRITE,
    requiresReady: true,
    handler: async (params, { gateway }) => {
      const outcome = await gateway.chat.wait(params.runId, params.timeoutMs ?? DEFAULT_AGENT_WAIT_MS);
      if (!outcome) {
        return { runId: params.runId, status: 'timeout' };
      }
      return finalPayload(outcome);
    },
  },

  'diagnostics.lanes': {
    access: READ,
    handler: (_params, { gateway }) => ({
      ts: gateway.now(),
      ...gateway.lanes.snapshot(),
    }),
  },
});
