import { listModels } from '../agents/model-catalog.ts';
import { resolveAgent } from '../agents/registry.ts';
import { chatTarget } from '../chat/targets.ts';
import { messageText, toWireMessage } from '../chat/wire-message.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { mainSessionKey, sessionKeyDefaults } from '../routing/session-key.ts';
import { ADMIN, SESSIONS_READ, SESSIONS_WRITE } from '../server/authz/access.ts';
import type { HandlerContext } from '../server/context.ts';
import { defineMethods } from '../server/method-types.ts';
import type { SessionPatch, SessionRecord } from '../storage/store.ts';

const DEFAULT_LIST_LIMIT = 200;
const PREVIEW_DEFAULT_MESSAGES = 3;
const PREVIEW_DEFAULT_CHARS = 200;
const DEFAULT_TRANSCRIPT_LIMIT = 1000;
/** Offered until per-model thinking levels arrive with reasoning-capable providers. */
const THINKING_LEVELS = [{ id: 'off', label: 'off' }];

function target(ctx: HandlerContext, key: string, agentId: string | undefined, method: string) {
  return chatTarget(ctx.configState.config, { sessionKey: key, agentId }, method, 'key');
}

async function lastMessagePreview(
  ctx: HandlerContext,
  key: string,
  maxChars: number,
): Promise<string | undefined> {
  const [last] = await ctx.store.listMessages(key, { limit: 1 });
  return last ? messageText(last).slice(0, maxChars) : undefined;
}

async function describe(ctx: HandlerContext, session: SessionRecord, includeLastMessage: boolean) {
  const row = ctx.sessionEvents.row(session);
  if (!includeLastMessage) return row;
  const preview = await lastMessagePreview(ctx, session.key, PREVIEW_DEFAULT_CHARS);
  return preview === undefined ? row : { ...row, lastMessagePreview: preview };
}

/** What a new chat in the UI starts with: the default agent's model and the thinking choices. */
function listDefaults(ctx: HandlerContext) {
  const { config } = ctx.configState;
  const defaults = sessionKeyDefaults(config);
  const model = resolveAgent(config, defaults.agentId).model;
  const slash = model.indexOf('/');
  return {
    defaultAgentId: defaults.agentId,
    mainKey: defaults.mainKey,
    mainSessionKey: mainSessionKey(defaults.agentId, defaults.mainKey, defaults.scope),
    modelProvider: model.slice(0, slash),
    model: model.slice(slash + 1),
    contextTokens: null,
    thinkingLevels: THINKING_LEVELS,
    thinkingOptions: THINKING_LEVELS.map((level) => level.id),
    thinkingDefault: 'off',
    modelSelectionTarget: 'session',
    models: listModels(config).map((m) => `${m.provider}/${m.id}`),
  };
}

function patchFrom(params: {
  label?: string | null;
  model?: string | null;
  thinkingLevel?: string | null;
  archived?: boolean;
}): SessionPatch {
  const patch: SessionPatch = {};
  if (params.label !== undefined) patch.label = params.label ?? undefined;
  if (params.model !== undefined) patch.model = params.model ?? undefined;
  if (params.thinkingLevel !== undefined) patch.thinkingLevel = params.thinkingLevel ?? undefined;
  if (params.archived !== undefined) patch.archived = params.archived;
  return patch;
}

export const sessionsMethods = defineMethods({
  'sessions.list': {
    access: SESSIONS_READ,
    requiresReady: true,
    handler: async (params, { gateway }) => {
      const limit = params.limit ?? DEFAULT_LIST_LIMIT;
      // The Control UI asks for a session's sub-sessions with `spawnedBy`; clawgate spawns none, so there are none
      // (ignoring the filter listed the parent as its own child).
      if (params.spawnedBy !== undefined) {
        return {
          ts: gateway.now(),
          count: 0,
          limitApplied: limit,
          hasMore: false,
          nextOffset: null,
          sessions: [],
          defaults: listDefaults(gateway),
        };
      }
      const offset = params.offset ?? 0;
      const all = await gateway.store.listSessions({
        agentId: params.agentId,
        includeArchived: params.archived === true || params.archived === 'all',
        search: params.search ?? params.label,
        limit: limit + offset,
      });
      const visible = params.archived === true ? all.filter((s) => s.archived) : all;
      const page = visible.slice(offset, offset + limit);
      const sessions = await Promise.all(
        page.map((s) => describe(gateway, s, params.includeLastMessage === true)),
      );
      const hasMore = visible.length > offset + limit;
      return {
        ts: gateway.now(),
        count: sessions.length,
        limitApplied: limit,
        hasMore,
        nextOffset: hasMore ? offset + limit : null,
        sessions,
        defaults: listDefaults(gateway),
      };
    },
  },

  'sessions.resolve': {
    access: SESSIONS_READ,
    advertised: false,
    handler: async (params, { gateway }) => {
      if (params.key) {
        const resolved = target(gateway, params.key, params.agentId, 'sessions.resolve');
        const session = await gateway.store.getSession(resolved.sessionKey);
        const defaults = sessionKeyDefaults(gateway.configState.config);
        // A main session always resolves, even before its first message.
        const isMain =
          resolved.sessionKey === mainSessionKey(resolved.agentId, defaults.mainKey, defaults.scope);
        if (session || params.allowMissing || isMain) {
          return {
            ok: true,
            key: resolved.sessionKey,
            agentId: resolved.agentId,
            ...(session?.label ? { displayName: session.label } : {}),
          };
        }
        throw new GatewayError('INVALID_REQUEST', `No session found: ${resolved.sessionKey}`, {
          details: { code: 'SESSION_NOT_FOUND', key: resolved.sessionKey },
        });
      }
      const sessions = await gateway.store.listSessions({
        agentId: params.agentId,
        includeArchived: true,
        limit: 10_000,
      });
      const matches = sessions.filter(
        (s) =>
          (params.sessionId && s.sessionId === params.sessionId) ||
          (params.label && s.label === params.label),
      );
      if (matches.length === 1) {
        const [match] = matches as [SessionRecord];
        return {
          ok: true,
          key: match.key,
          agentId: match.agentId,
          ...(match.label ? { displayName: match.label } : {}),
        };
      }
      return {
        ok: false,
        candidates: matches
          .slice(0, 10)
          .map((s) => ({ key: s.key, agentId: s.agentId, ...(s.label ? { displayName: s.label } : {}) })),
      };
    },
  },

  'sessions.create': {
    access: SESSIONS_WRITE,
    requiresReady: true,
    handler: async (params, { gateway }) => {
      const { config } = gateway.configState;
      const agentId = resolveAgent(config, params.agentId ?? sessionKeyDefaults(config).agentId).id;
      const key = params.key ?? `agent:${agentId}:chat-${crypto.randomUUID().slice(0, 8)}`;
      const resolved = target(gateway, key, params.key ? params.agentId : agentId, 'sessions.create');
      const session = await gateway.sessions.create(
        resolved.sessionKey,
        resolved.agentId,
        patchFrom({
          label: params.label ?? params.displayName,
          model: params.model,
          thinkingLevel: params.thinkingLevel,
        }),
      );
      if (params.message) {
        const run = await gateway.chat.send({
          sessionKey: session.key,
          agentId: session.agentId,
          message: params.message,
          idempotencyKey: params.idempotencyKey ?? crypto.randomUUID(),
        });
        return {
          ok: true,
          key: session.key,
          sessionId: session.sessionId,
          entry: gateway.sessionEvents.row(session),
          runStarted: true,
          runId: run.runId,
        };
      }
      return {
        ok: true,
        key: session.key,
        sessionId: session.sessionId,
        entry: gateway.sessionEvents.row(session),
      };
    },
  },

  'sessions.patch': {
    access: SESSIONS_WRITE,
    handler: async (params, { gateway }) => {
      const resolved = target(gateway, params.key, params.agentId, 'sessions.patch');
      const session = await gateway.sessions.patch(resolved.sessionKey, patchFrom(params));
      return { ok: true, key: session.key, entry: gateway.sessionEvents.row(session) };
    },
  },

  'sessions.reset': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const resolved = target(gateway, params.key, params.agentId, 'sessions.reset');
      const session = await gateway.sessions.reset(
        resolved.sessionKey,
        resolved.agentId,
        params.reason ?? 'reset',
      );
      return {
        ok: true,
        key: session.key,
        sessionId: session.sessionId,
        entry: gateway.sessionEvents.row(session),
      };
    },
  },

  'sessions.delete': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const resolved = target(gateway, params.key, params.agentId, 'sessions.delete');
      if (params.archivedOnly) {
        const session = await gateway.store.getSession(resolved.sessionKey);
        if (session && !session.archived) {
          throw new GatewayError(
            'INVALID_REQUEST',
            `sessions.delete: ${resolved.sessionKey} is not archived (archivedOnly)`,
          );
        }
      }
      const deleted = await gateway.sessions.delete(resolved.sessionKey, resolved.agentId);
      // OpenClaw's SessionsDeleteResult: `archived` lists archived transcript files (none here).
      return { ok: true, key: resolved.sessionKey, deleted, archived: [] };
    },
  },

  'sessions.describe': {
    access: SESSIONS_READ,
    handler: async (params, { gateway }) => {
      const resolved = target(gateway, params.key, undefined, 'sessions.describe');
      const session = await gateway.store.getSession(resolved.sessionKey);
      // A key with no session yet (a fresh main session) describes as null, as OpenClaw answers.
      return {
        ok: true,
        key: resolved.sessionKey,
        session: session ? await describe(gateway, session, params.includeLastMessage === true) : null,
      };
    },
  },

  /** The current transcript (OpenClaw: `{messages}`; an unknown key has none). */
  'sessions.get': {
    access: SESSIONS_READ,
    advertised: false,
    handler: async (params, { gateway }) => {
      const key = params.key ?? params.sessionKey;
      if (!key) throw new GatewayError('INVALID_REQUEST', 'invalid sessions.get params: key is required');
      const resolved = target(gateway, key, undefined, 'sessions.get');
      const messages = await gateway.store.listMessages(resolved.sessionKey, {
        limit: params.limit ?? DEFAULT_TRANSCRIPT_LIMIT,
      });
      return { key: resolved.sessionKey, messages: messages.map(toWireMessage) };
    },
  },

  'sessions.preview': {
    access: SESSIONS_READ,
    handler: async (params, { gateway }) => {
      const limit = params.limit ?? PREVIEW_DEFAULT_MESSAGES;
      const maxChars = params.maxChars ?? PREVIEW_DEFAULT_CHARS;
      const previews = await Promise.all(
        params.keys.map(async (key) => {
          const resolved = target(gateway, key, undefined, 'sessions.preview');
          const messages = await gateway.store.listMessages(resolved.sessionKey, { limit });
          return {
            key: resolved.sessionKey,
            status: messages.length > 0 ? 'ok' : 'empty',
            items: messages.map((m) => ({
              role: m.role,
              text: messageText(m).slice(0, maxChars),
              timestamp: m.timestamp,
            })),
          };
        }),
      );
      return { ts: gateway.now(), previews };
    },
  },

  'sessions.subscribe': {
    access: SESSIONS_READ,
    requiresReady: true,
    handler: (_params, { client }) => {
      client.sessionsSubscribed = true;
      return { subscribed: true };
    },
  },

  // Not an OpenClaw method (its clients never call it): kept callable, not advertised.
  'sessions.unsubscribe': {
    access: SESSIONS_READ,
    advertised: false,
    handler: (_params, { client }) => {
      client.sessionsSubscribed = false;
      return { subscribed: false };
    },
  },

  'sessions.messages.subscribe': {
    access: SESSIONS_READ,
    handler: (params, { gateway, client }) => {
      const resolved = target(gateway, params.key, params.agentId, 'sessions.messages.subscribe');
      client.messageSubscriptions.add(resolved.sessionKey);
      return { subscribed: true, key: resolved.sessionKey };
    },
  },

  'sessions.messages.unsubscribe': {
    access: SESSIONS_READ,
    handler: (params, { gateway, client }) => {
      const resolved = target(gateway, params.key, params.agentId, 'sessions.messages.unsubscribe');
      client.messageSubscriptions.delete(resolved.sessionKey);
      return { subscribed: false, key: resolved.sessionKey };
    },
  },

  'sessions.abort': {
    access: SESSIONS_WRITE,
    requiresReady: true,
    handler: (params, { gateway }) => {
      const resolved = target(gateway, params.key ?? 'main', params.agentId, 'sessions.abort');
      const [abortedRunId] = gateway.chat.abort(resolved.sessionKey, params.runId);
      return {
        ok: true,
        key: resolved.sessionKey,
        abortedRunId: abortedRunId ?? null,
        status: abortedRunId ? 'aborted' : 'no-active-run',
      };
    },
  },

  'sessions.send': {
    access: SESSIONS_WRITE,
    requiresReady: true,
    handler: async (params, { gateway }) => {
      const resolved = target(gateway, params.key, params.agentId, 'sessions.send');
      if (params.message.trim() === '')
        throw new GatewayError('INVALID_REQUEST', 'invalid sessions.send params: message is empty');
      const { runId, status } = await gateway.chat.send({
        sessionKey: resolved.sessionKey,
        agentId: resolved.agentId,
        message: params.message,
        idempotencyKey: params.idempotencyKey ?? crypto.randomUUID(),
        timeoutMs: params.timeoutMs,
      });
      return { ok: true, key: resolved.sessionKey, runId, status };
    },
  },
});
