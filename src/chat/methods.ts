import { listModels } from '../agents/model-catalog.ts';
import { resolveAgent } from '../agents/registry.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { sessionKeyDefaults } from '../routing/session-key.ts';
import { ADMIN, READ, SESSIONS_READ, SESSIONS_WRITE } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import { checkAttachments } from './attachments.ts';
import { parseResetCommand } from './commands.ts';
import { readHistory } from './history.ts';
import { chatTarget } from './targets.ts';

const DEFAULT_AGENT_NAME = 'Assistant';

/** The slash commands this gateway interprets itself. */
const SLASH_COMMANDS = ['new', 'reset'].map((name) => ({
  name,
  nativeName: name,
  textAliases: [`/${name}`],
  description: name === 'new' ? 'Start a new session.' : 'Reset the current session.',
  category: 'session',
  source: 'native',
  scope: 'both',
  acceptsArgs: true,
}));

export const chatMethods = defineMethods({
  'chat.send': {
    access: SESSIONS_WRITE,
    requiresReady: true,
    handler: async (params, { gateway }) => {
      const { config } = gateway.configState;
      const { sessionKey, agentId } = chatTarget(config, params, 'chat.send');
      const attachmentNote = checkAttachments(params.attachments ?? [], config.gateway.limits, 'chat.send');
      let message = params.message;
      const command = params.suppressCommandInterpretation ? undefined : parseResetCommand(message);
      if (command) {
        await gateway.sessions.reset(sessionKey, agentId, 'reset');
        message = command.rest;
        if (message === '' && attachmentNote === '') {
          return gateway.chat.commandReply({
            sessionKey,
            agentId,
            idempotencyKey: params.idempotencyKey,
            command: params.message.trim(),
            reply: command.reply,
          });
        }
      }
      const text = attachmentNote ? `${message}${message ? '\n\n' : ''}${attachmentNote}` : message;
      if (text.trim() === '')
        throw new GatewayError('INVALID_REQUEST', 'invalid chat.send params: message or attachment required');
      const { done: _done, ...answer } = await gateway.chat.send({
        sessionKey,
        agentId,
        message: text,
        idempotencyKey: params.idempotencyKey,
        timeoutMs: params.timeoutMs,
      });
      return answer;
    },
  },

  'chat.abort': {
    access: SESSIONS_WRITE,
    handler: (params, { gateway }) => {
      const { sessionKey } = chatTarget(gateway.configState.config, params, 'chat.abort');
      const runIds = gateway.chat.abort(sessionKey, params.runId);
      return { ok: true, aborted: runIds.length > 0, runIds };
    },
  },

  'chat.history': {
    access: SESSIONS_READ,
    requiresReady: true,
    handler: async (params, { gateway }) => {
      const { sessionKey } = chatTarget(gateway.configState.config, params, 'chat.history');
      const history = await readHistory(gateway.store, sessionKey, params);
      const activeRunIds = gateway.chat.activeRunIds(sessionKey);
      const sessionInfo = { hasActiveRun: activeRunIds.length > 0, activeRunIds };
      // A delta cursor is answered with OpenClaw's closed ChatHistoryCursorResult: what is new, or reload.
      if (history.kind === 'reset') return { kind: 'reset' };
      if (history.kind === 'delta') {
        return { kind: 'delta', messages: history.messages, deltaCursor: history.deltaCursor, sessionInfo };
      }
      return { sessionKey, ...history, sessionInfo };
    },
  },

  /** How the Control UI loads a session: its transcript plus what it needs to render the composer. */
  'chat.startup': {
    access: SESSIONS_READ,
    handler: async (params, { gateway }) => {
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
  },

  /** What the composer offers: the models and the gateway's own slash commands. */
  'chat.metadata': {
    access: SESSIONS_READ,
    requiresReady: true,
    handler: async (params, { gateway }) => {
      const { config } = gateway.configState;
      const target = chatTarget(
        config,
        { sessionKey: params.sessionKey ?? 'main', agentId: params.agentId },
        'chat.metadata',
      );
      const session = await gateway.store.getSession(target.sessionKey);
      const selected = session?.model ?? resolveAgent(config, target.agentId).model;
      return {
        models: listModels(config).map((model) => ({
          ...model,
          tags: `${model.provider}/${model.id}` === selected ? ['default'] : [],
          thinkingLevels: [{ id: 'off', label: 'off' }],
          thinkingDefault: 'off',
        })),
        commands: SLASH_COMMANDS,
        runtimeSelectionLocked: false,
      };
    },
  },

  'chat.inject': {
    access: ADMIN,
    advertised: false,
    handler: async (params, { gateway }) => {
      const { sessionKey, agentId } = chatTarget(gateway.configState.config, params, 'chat.inject');
      const message = await gateway.sessions.inject(sessionKey, agentId, params.message, params.label);
      return { ok: true, messageId: message.id, messageSeq: message.seq };
    },
  },

  'agent.identity.get': {
    access: READ,
    handler: (params, { gateway }) => {
      const { config } = gateway.configState;
      const agentId = params.sessionKey
        ? chatTarget(config, { sessionKey: params.sessionKey, agentId: params.agentId }, 'agent.identity.get')
            .agentId
        : resolveAgent(config, params.agentId ?? sessionKeyDefaults(config).agentId).id;
      const agent = resolveAgent(config, agentId);
      const configured = agent.identity?.name ?? agent.name;
      const name = configured ?? DEFAULT_AGENT_NAME;
      return {
        agentId,
        // OpenClaw names an unnamed agent "Assistant", with its initial as the avatar.
        name,
        nameSource: agent.identity?.name ? 'identity' : configured ? 'config' : 'default',
        avatar: agent.identity?.avatar ?? agent.identity?.emoji ?? name.slice(0, 1).toUpperCase(),
        ...(agent.identity?.emoji ? { emoji: agent.identity.emoji } : {}),
      };
    },
  },
});
