import { APPROVAL_HISTORY_DEFAULT_LIMIT, EXEC_APPROVAL_MAX_COMMAND_CHARS } from '../../config/limits.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import { ADMIN, APPROVALS } from '../../server/authz/access.ts';
import type { HandlerContext } from '../../server/context.ts';
import { defineMethods } from '../../server/method-types.ts';
import type { ClientView } from '../../server/ws/client.ts';
import type { ApprovalDecision, ApprovalResolver, StoredApproval } from '../../storage/approval-store.ts';
import {
  ALL_DECISIONS,
  approvalSnapshot,
  decisionResult,
  execApprovalView,
  execRequest,
  ONCE_DECISIONS,
  requestedEvent,
} from './approval-record.ts';
import type { ResolveOutcome } from './approval-service.ts';
import { grantView } from './standing-grants.ts';

// OpenClaw's messages and `details.reason`s, which its CLI and Control UI branch on.
const NOT_PENDING = 'unknown or expired approval id';
const NOT_PENDING_DETAILS = {
  reason: 'APPROVAL_NOT_FOUND',
  remediation: 'Re-request the action; pending approvals are cleared after expiry or restart.',
};
const ALREADY_RESOLVED = { reason: 'APPROVAL_ALREADY_RESOLVED' };
const ALLOW_ALWAYS_UNAVAILABLE = { reason: 'APPROVAL_ALLOW_ALWAYS_UNAVAILABLE' };
const RESERVED_ID_PREFIX = 'plugin:';

function notPending(): GatewayError {
  return new GatewayError('INVALID_REQUEST', NOT_PENDING, { details: NOT_PENDING_DETAILS });
}

function notFound(): GatewayError {
  return new GatewayError('INVALID_REQUEST', 'approval not found', {
    details: { reason: 'APPROVAL_NOT_FOUND' },
  });
}

function allowAlwaysUnavailable(): GatewayError {
  return new GatewayError('INVALID_REQUEST', 'allow-always is unavailable for this command', {
    details: ALLOW_ALWAYS_UNAVAILABLE,
  });
}

function isDecision(value: unknown): value is ApprovalDecision {
  return (ALL_DECISIONS as readonly unknown[]).includes(value);
}

/** Who decided, as the record and the `resolved` event name them (OpenClaw: the client's display name or id). */
function resolverOf(client: ClientView): { resolver: ApprovalResolver; resolvedBy: string | undefined } {
  const resolvedBy = client.info?.displayName ?? client.info?.id;
  return { resolver: resolvedBy ? { kind: 'runtime', id: resolvedBy } : { kind: 'runtime' }, resolvedBy };
}

/** `{ok: true}` once the decision is recorded (or the same one is sent again); OpenClaw's refusal otherwise. */
function resolved(outcome: Awaited<ReturnType<typeof resolveAs>>): { ok: true } {
  if (outcome.kind === 'not-found') throw notPending();
  if (outcome.kind === 'unavailable') throw allowAlwaysUnavailable();
  if (outcome.kind === 'settled' && !outcome.same) {
    throw new GatewayError('INVALID_REQUEST', 'approval already resolved', { details: ALREADY_RESOLVED });
  }
  return { ok: true };
}

async function resolveAs(
  gateway: HandlerContext,
  client: ClientView,
  id: string,
  decision: ApprovalDecision,
): Promise<ResolveOutcome> {
  const { resolver, resolvedBy } = resolverOf(client);
  try {
    return await gateway.approvals.service.resolve(id, decision, resolver, resolvedBy);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    gateway.logger.error(`exec approval ${id}: resolve failed`, { error: (error as Error).stack });
    throw new GatewayError('UNAVAILABLE', 'approval resolve unavailable');
  }
}

type HistoryCursor = { resolvedAtMs: number; id: string };

function encodeCursor(approval: StoredApproval): string {
  const cursor = { v: 1, resolvedAtMs: approval.resolvedAtMs, id: approval.id };
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string): HistoryCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (value.v === 1 && typeof value.resolvedAtMs === 'number' && typeof value.id === 'string') {
      return { resolvedAtMs: value.resolvedAtMs, id: value.id };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new GatewayError(
    'INVALID_REQUEST',
    'invalid approval.history params: cursor is not a history cursor',
  );
}

export const approvalMethods = defineMethods({
  'exec.approvals.get': {
    access: ADMIN,
    handler: (_params, { gateway }) => gateway.approvals.document.snapshot(),
  },

  'exec.approvals.set': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      const snapshot = await gateway.approvals.document.replace(
        params.file as Record<string, unknown>,
        params.baseHash,
        gateway.now(),
      );
      gateway.logger.info('exec approvals document replaced', { hash: snapshot.hash });
      return snapshot;
    },
  },

  'exec.approval.get': {
    access: APPROVALS,
    handler: (params, { gateway }) => {
      const approval = gateway.approvals.service.pendingApproval(params.id);
      if (!approval) throw notPending();
      return execApprovalView(approval);
    },
  },

  'exec.approval.list': {
    access: APPROVALS,
    handler: (_params, { gateway }) => gateway.approvals.service.pending('exec').map(requestedEvent),
  },

  /**
   * A prompt raised by a client (a node host's exec, a plugin). Answered once decided, or with `twoPhase` twice on
   * one id: `{status:"accepted"}` when shown, then the decision. The decision is the caller's to enforce.
   */
  'exec.approval.request': {
    access: APPROVALS,
    handler: async (params, { gateway, client, afterResponse, respondAgain }) => {
      const command = (params.command ?? params.commandArgv?.join(' ') ?? '').trim();
      if (command === '') throw new GatewayError('INVALID_REQUEST', 'command is required');
      if (command.length > EXEC_APPROVAL_MAX_COMMAND_CHARS) {
        throw new GatewayError('INVALID_REQUEST', 'command exceeds exec approval display limit', {
          details: { reason: 'EXEC_APPROVAL_COMMAND_DISPLAY_LIMIT' },
        });
      }
      if (params.id?.startsWith(RESERVED_ID_PREFIX)) {
        throw new GatewayError(
          'INVALID_REQUEST',
          `approval ids starting with ${RESERVED_ID_PREFIX} are reserved`,
        );
      }
      if (params.host === 'node') {
        throw new GatewayError('INVALID_REQUEST', 'host=node approvals are not supported by this gateway');
      }
      const once = params.ask === 'always' || params.unavailableDecisions?.includes('allow-always') === true;
      const request = execRequest({
        command,
        ...(params.commandArgv ? { commandArgv: params.commandArgv } : {}),
        cwd: params.cwd,
        host: params.host,
        security: params.security,
        ask: params.ask,
        warningText: params.warningText,
        allowedDecisions: once ? ONCE_DECISIONS : ALL_DECISIONS,
        agentId: params.agentId,
        resolvedPath: params.resolvedPath,
        sessionKey: params.sessionKey,
        sessionId: params.sessionId,
        runId: params.runId,
        toolCallId: params.toolCallId,
        turnSourceChannel: params.turnSourceChannel,
        turnSourceTo: params.turnSourceTo,
        turnSourceAccountId: params.turnSourceAccountId,
        turnSourceThreadId: params.turnSourceThreadId,
        ...(params.env ? { envKeys: Object.keys(params.env).sort() } : {}),
      });
      const opened = await gateway.approvals.service.open(request, {
        ...(params.id ? { id: params.id } : {}),
        timeoutMs: params.timeoutMs ?? gateway.approvals.timeoutMs(),
        excludeConnId: client.connId,
        ...(params.suppressDelivery ? { suppressDelivery: true } : {}),
      });
      if (!opened.delivered || !params.twoPhase) return decisionResult(await opened.done);
      afterResponse(() => {
        opened.done.then(
          (approval) => respondAgain(decisionResult(approval)),
          (error: unknown) =>
            gateway.logger.error('exec.approval.request: waiting for the decision failed', {
              error: (error as Error).stack,
            }),
        );
      });
      return {
        status: 'accepted',
        id: opened.approval.id,
        deliveryRoute: 'approval-client',
        createdAtMs: opened.approval.createdAtMs,
        expiresAtMs: opened.approval.expiresAtMs,
      };
    },
  },

  'exec.approval.waitDecision': {
    access: APPROVALS,
    handler: async (params, { gateway }) => {
      const id = params.id?.trim();
      if (!id) throw new GatewayError('INVALID_REQUEST', 'id is required');
      const service = gateway.approvals.service;
      const approval = (await service.waitFor(id)) ?? (await service.get(id));
      if (!approval || approval.status === 'pending') {
        throw new GatewayError('INVALID_REQUEST', 'approval expired or not found');
      }
      return { ...decisionResult(approval), terminalReason: approval.reason ?? 'user' };
    },
  },

  'exec.approval.resolve': {
    access: APPROVALS,
    handler: async (params, { gateway, client }) => {
      if (!isDecision(params.decision)) throw new GatewayError('INVALID_REQUEST', 'invalid decision');
      // Channel reviewers (`/approve` from a chat) need channel approvers; clawgate has none configured.
      if (params.reviewer) throw notPending();
      return resolved(await resolveAs(gateway, client, params.id, params.decision));
    },
  },

  'exec.approval.grants.list': {
    access: APPROVALS,
    handler: async (params, { gateway }) => ({
      grants: (await gateway.approvals.grants.list(params.limit)).map(grantView),
    }),
  },

  'exec.approval.grants.revoke': {
    access: APPROVALS,
    handler: async (params, { gateway, client }) => {
      const revokedBy = client.info?.displayName ?? client.info?.id ?? 'operator';
      const outcome = await gateway.approvals.grants.revoke(params.grantId, revokedBy);
      if (outcome === 'revoked')
        gateway.logger.info('standing grant revoked', { grantId: params.grantId, revokedBy });
      return { outcome };
    },
  },

  'approval.get': {
    access: APPROVALS,
    handler: async (params, { gateway }) => {
      const service = gateway.approvals.service;
      const approval = service.pendingApproval(params.id) ?? (await service.get(params.id));
      if (!approval) throw notFound();
      return { approval: approvalSnapshot(approval) };
    },
  },

  'approval.resolve': {
    access: APPROVALS,
    handler: async (params, { gateway, client }) => {
      if ((params.kind !== 'exec' && params.kind !== 'plugin') || params.reviewer) throw notFound();
      if (gateway.approvals.service.pendingApproval(params.id)?.kind !== params.kind) {
        const stored = await gateway.approvals.service.get(params.id);
        if (stored?.kind !== params.kind) throw notFound();
      }
      const outcome = await resolveAs(gateway, client, params.id, params.decision);
      if (outcome.kind === 'not-found') throw notFound();
      if (outcome.kind === 'unavailable') throw allowAlwaysUnavailable();
      return { applied: outcome.kind === 'resolved', approval: approvalSnapshot(outcome.approval) };
    },
  },

  'approval.history': {
    access: APPROVALS,
    handler: async (params, { gateway }) => {
      if (params.kind !== undefined && params.kind !== 'exec' && params.kind !== 'plugin')
        return { items: [] };
      const limit = params.limit ?? APPROVAL_HISTORY_DEFAULT_LIMIT;
      const before = params.cursor === undefined ? undefined : decodeCursor(params.cursor);
      const rows = await gateway.approvals.service.history({
        ...(before ? { before } : {}),
        ...(params.kind !== undefined ? { kind: params.kind } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        items: page.map(approvalSnapshot),
        ...(rows.length > limit ? { nextCursor: encodeCursor(page[page.length - 1]) } : {}),
      };
    },
  },

  /** Prompts for MCP tool calls, the only plugin approvals clawgate raises. */
  'plugin.approval.list': {
    access: APPROVALS,
    handler: (_params, { gateway }) => gateway.approvals.service.pending('plugin').map(requestedEvent),
  },

  'plugin.approval.resolve': {
    access: APPROVALS,
    handler: async (params, { gateway, client }) => {
      if (!isDecision(params.decision)) throw new GatewayError('INVALID_REQUEST', 'invalid decision');
      if (gateway.approvals.service.pendingApproval(params.id)?.kind === 'exec') throw notPending();
      return resolved(await resolveAs(gateway, client, params.id, params.decision));
    },
  },
  // System-agent approvals: none exist on clawgate. Answered (empty) because the Control UI and
  // `openclaw approvals pending` list them beside exec approvals and fail as a whole when one list fails.
  'openclaw.approval.list': { access: APPROVALS, advertised: false, handler: () => [] },
});
