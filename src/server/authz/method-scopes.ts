import type { OperatorScope } from './scopes.ts';

/**
 * What each method needs (protocol.md §6). `sessionScope` names the narrower session scope a method also
 * accepts. Methods marked `node` accept only role node. A method not listed here needs operator.admin, and
 * that check runs before the method's existence is checked, so probing names reveals nothing to non-admins.
 */
export type MethodRequirement =
  | { scope: OperatorScope; sessionScope?: 'operator.sessions.read' | 'operator.sessions.write' }
  | { node: true };

const R = { scope: 'operator.read' } as const;
const W = { scope: 'operator.write' } as const;
const A = { scope: 'operator.admin' } as const;
const SR = { scope: 'operator.read', sessionScope: 'operator.sessions.read' } as const;
const SW = { scope: 'operator.write', sessionScope: 'operator.sessions.write' } as const;
const AP = { scope: 'operator.approvals' } as const;
const P = { scope: 'operator.pairing' } as const;
const Q = { scope: 'operator.questions' } as const;
const T = { scope: 'operator.talk' } as const;
const N = { node: true } as const;

function table(group: MethodRequirement, names: string[]): [string, MethodRequirement][] {
  return names.map((name) => [name, group]);
}

export const METHOD_REQUIREMENTS: ReadonlyMap<string, MethodRequirement> = new Map([
  ...table(R, [
    'health',
    'status',
    'system-presence',
    'last-heartbeat',
    'system.info',
    'logs.tail',
    'channels.status',
    'tools.catalog',
    'node.list',
    'node.describe',
    'agents.list',
    'agents.files.list',
    'agents.files.get',
    'agent.identity.get',
    'models.list',
    'config.get',
    'config.schema',
    'cron.list',
    'cron.get',
    'cron.status',
    'cron.runs',
    'gateway.identity.get',
    'diagnostics.lanes',
  ]),
  ...table(SR, [
    'chat.history',
    'chat.metadata',
    'chat.startup',
    'sessions.list',
    'sessions.subscribe',
    'sessions.unsubscribe',
    'sessions.messages.subscribe',
    'sessions.messages.unsubscribe',
    'sessions.preview',
    'sessions.describe',
    'sessions.resolve',
    'sessions.get',
    'sessions.usage',
  ]),
  ...table(SW, [
    'chat.send',
    'chat.abort',
    'sessions.send',
    'sessions.abort',
    'sessions.steer',
    'sessions.create',
    'sessions.patch',
  ]),
  ...table(W, ['agent', 'agent.wait', 'wake', 'send', 'tools.invoke', 'node.invoke']),
  ...table(A, [
    'chat.inject',
    'sessions.reset',
    'sessions.compact',
    'sessions.delete',
    'agents.create',
    'agents.update',
    'agents.delete',
    'agents.files.set',
    'config.set',
    'config.patch',
    'config.apply',
    'cron.add',
    'cron.update',
    'cron.remove',
    'cron.run',
    'channels.start',
    'channels.stop',
    'channels.logout',
    'system-event',
    'set-heartbeats',
    'exec.approvals.get',
    'exec.approvals.set',
    'gateway.restart.request',
    'connect',
  ]),
  ...table(AP, [
    'exec.approval.request',
    'exec.approval.resolve',
    'exec.approval.list',
    'exec.approval.waitDecision',
    'plugin.approval.request',
    'plugin.approval.resolve',
  ]),
  ...table(P, [
    'device.pair.list',
    'device.pair.approve',
    'device.pair.reject',
    'device.pair.remove',
    'device.token.rotate',
    'device.token.revoke',
    'node.pair.list',
    'node.pair.approve',
    'node.pair.reject',
    'node.pair.remove',
    'node.rename',
  ]),
  ...table(Q, ['question.request', 'question.resolve']),
  ...table(R, ['talk.config']),
  ...table(T, ['talk.mode']),
  ...table(N, ['node.event', 'node.invoke.result', 'node.pending.pull']),
]);

const ADMIN: MethodRequirement = A;

export function methodRequirement(method: string): MethodRequirement {
  return METHOD_REQUIREMENTS.get(method) ?? ADMIN;
}

/** The scope a CLI should ask for to call `method` (it requests only what the method needs). */
export function scopeForMethod(method: string): OperatorScope | undefined {
  const requirement = methodRequirement(method);
  return 'scope' in requirement ? requirement.scope : undefined;
}
