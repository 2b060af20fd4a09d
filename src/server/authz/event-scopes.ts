import type { OperatorScope } from './scopes.ts';

/** Events everyone receives; the others need the scope below, and unknown events reach no one (protocol.md §6). */
const PUBLIC_EVENTS = new Set(['tick', 'health', 'heartbeat', 'shutdown']);

const PREFIX_SCOPES: [string, OperatorScope][] = [
  ['device.pair.', 'operator.pairing'],
  ['node.pair.', 'operator.pairing'],
  ['exec.approval.', 'operator.approvals'],
  ['plugin.approval.', 'operator.approvals'],
  ['question.', 'operator.questions'],
];

const READ_EVENTS = new Set([
  'chat',
  'agent',
  'presence',
  'cron',
  'sessions.changed',
  'session.message',
  'session.tool',
  'chat.metadata.changed',
  'config.changed',
  'update.available',
]);

/** `null` = everyone; `undefined` = no one. */
export function eventScope(event: string): OperatorScope | null | undefined {
  if (PUBLIC_EVENTS.has(event)) return null;
  if (READ_EVENTS.has(event)) return 'operator.read';
  for (const [prefix, scope] of PREFIX_SCOPES) if (event.startsWith(prefix)) return scope;
  return undefined;
}

/** The events clawgate emits, advertised in `hello-ok.features.events`. */
export const GATEWAY_EVENTS = [
  'tick',
  'health',
  'heartbeat',
  'shutdown',
  'presence',
  'config.changed',
  'device.pair.requested',
  'device.pair.resolved',
  'chat',
  'agent',
  'sessions.changed',
  'session.message',
] as const;
