import { resolveAgent } from '../../routing/agents.ts';
import { sessionKeyDefaults } from '../../routing/session-key.ts';
import { checkAttachments } from '../chat/attachments.ts';
import { readHistory } from '../chat/history.ts';
import { chatTarget } from '../chat/targets.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import type { MethodTable } from './types.ts';

type Attachment = {
  type?: string;
  mimeType?: string;
  fileName?: string;
  content?: unknown;
  sizeBytes?: number;
};

type ChatSendParams = {
  sessionKey: string;
  message: string;
  idempotencyKey: string;
  agentId?: string;
  attachments?: Attachment[];
  timeoutMs?: number;
  suppressCommandInterpretation?: boolean;
};

/** `/new` and `/reset` (alone or followed by a first message) start a fresh transcript, as in OpenClaw. */
const RESET_COMMAND = /^\/(new|reset)(?:\s+([\s\S]*))?$/i;

export const chatMethods = {
  'chat.send': async (params: ChatSendParams, { gateway }) => {
    const { config } = gateway.configState;
    const { sessionKey, agentId } = chatTarget(config, params, 'chat.send');
    const attachmentNote = checkAttachments(params.attachments ?? [], config.gateway.limits, 'chat.send');
    let message = params.message;
    if (!params.suppressCommandInterpretation) {
      const command = RESET_COMMAND.exec(message.trim());
      if (command) {
        await gateway.sessions.reset(sessionKey, agentId, 'command');
        message = command[2]?.trim() ?? '';
        if (message === '' && attachmentNote === '') {
          return { runId: params.idempotencyKey, status: 'ok', reset: true };
        }
      }
    }
    const text = attachmentNote ? `${message}${message ? '\n\n' : ''}${attachmentNote}` : message;
    if (text.trim() === '')
      throw new GatewayError('INVALID_REQUEST', 'invalid chat.send params: message is empty');
    const { runId, status } = await gateway.chat.send({
      sessionKey,
      agentId,
      message: text,
      idempotencyKey: params.idempotencyKey,
      timeoutMs: params.timeoutMs,
    });
    return { runId, status };
  },

  'chat.abort': (params: { sessionKey: string; agentId?: string; runId?: string }, { gateway }) => {
    const { sessionKey } = chatTarget(gateway.configState.config, params, 'chat.abort');
    const runIds = gateway.chat.abort(sessionKey, params.runId);
    return { ok: true, aborted: runIds.length > 0, runIds };
  },

  'chat.history': async (
    params: {
      sessionKey: string;
      agentId?: string;
      limit?: number;
      cursor?: string;
      maxChars?: number;
      maxBytes?: number;
    },
    { gateway },
  ) => {
    const { sessionKey } = chatTarget(gateway.configState.config, params, 'chat.history');
    const history = await readHistory(gateway.store, sessionKey, params);
    const activeRunIds = gateway.chat.activeRunIds(sessionKey);
    return { sessionKey, ...history, sessionInfo: { hasActiveRun: activeRunIds.length > 0, activeRunIds } };
  },

  /** How the Control UI loads a session: its transcript plus what it needs to render the composer. */
  'chat.startup': async (
    params: { sessionKey: string; agentId?: string; limit?: number; maxBytes?: number; maxChars?: number },
    { gateway },
  ) => {
    const { config } = gateway.configState;
    const { sessionKey, agentId } = chatTarget(config, params, 'chat.startup');
    const history = await readHistory(gateway.store, sessionKey, params);
    const activeRunIds = gateway.chat.activeRunIds(sessionKey);
    const agent = resolveAgent(config, agentId);
    return {
      sessionKey,
      agentId,
      ...history,
      sessionInfo: { hasActiveRun: activeRunIds.length > 0, activeRunIds },
      model: agent.model,
    };
  },

  'chat.metadata': async (params: { sessionKey?: string; agentId?: string }, { gateway }) => {
    const { config } = gateway.configState;
    const target = chatTarget(
      config,
      { sessionKey: params.sessionKey ?? 'main', agentId: params.agentId },
      'chat.metadata',
    );
    const agent = resolveAgent(config, target.agentId);
    const session = await gateway.store.getSession(target.sessionKey);
    const model = session?.model ?? agent.model;
    const slash = model.indexOf('/');
    return {
      sessionKey: target.sessionKey,
      agentId: target.agentId,
      modelProvider: model.slice(0, slash),
      model: model.slice(slash + 1),
      ...(session?.thinkingLevel ? { thinkingLevel: session.thinkingLevel } : {}),
      commands: [
        { name: 'new', description: 'Start a new session' },
        { name: 'reset', description: 'Reset the current session' },
      ],
    };
  },

  'chat.inject': async (
    params: { sessionKey: string; agentId?: string; message: string; label?: string },
    { gateway },
  ) => {
    const { sessionKey, agentId } = chatTarget(gateway.configState.config, params, 'chat.inject');
    const message = await gateway.sessions.inject(sessionKey, agentId, params.message, params.label);
    return { ok: true, messageId: message.id, messageSeq: message.seq };
  },

  'agent.identity.get': (params: { agentId?: string; sessionKey?: string }, { gateway }) => {
    const { config } = gateway.configState;
    const agentId = params.sessionKey
      ? chatTarget(config, { sessionKey: params.sessionKey, agentId: params.agentId }, 'agent.identity.get')
          .agentId
      : resolveAgent(config, params.agentId ?? sessionKeyDefaults(config).agentId).id;
    const agent = resolveAgent(config, agentId);
    const name = agent.identity?.name ?? agent.name;
    return {
      agentId,
      ...(name ? { name, nameSource: agent.identity?.name ? 'identity' : 'config' } : {}),
      ...(agent.identity?.emoji ? { emoji: agent.identity.emoji } : {}),
      ...(agent.identity?.avatar ? { avatar: agent.identity.avatar, avatarSource: 'config' } : {}),
    };
  },
} satisfies MethodTable;
