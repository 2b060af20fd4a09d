import type { MethodAccess } from '../registry.ts';

/** The access levels methods declare (protocol.md §6); OpenClaw's method-scope table, group by group. */
/** Any authenticated operator, scopes or not: what OpenClaw answers `health` to (`openclaw status`, probes). */
export const ANY_OPERATOR = { scope: null } as const satisfies MethodAccess;
export const READ = { scope: 'operator.read' } as const satisfies MethodAccess;
export const WRITE = { scope: 'operator.write' } as const satisfies MethodAccess;
export const ADMIN = { scope: 'operator.admin' } as const satisfies MethodAccess;
/** Read, or the narrower session-read scope. */
export const SESSIONS_READ = {
  scope: 'operator.read',
  sessionScope: 'operator.sessions.read',
} as const satisfies MethodAccess;
/** Write, or the narrower session-write scope. */
export const SESSIONS_WRITE = {
  scope: 'operator.write',
  sessionScope: 'operator.sessions.write',
} as const satisfies MethodAccess;
export const APPROVALS = { scope: 'operator.approvals' } as const satisfies MethodAccess;
export const PAIRING = { scope: 'operator.pairing' } as const satisfies MethodAccess;
export const QUESTIONS = { scope: 'operator.questions' } as const satisfies MethodAccess;
export const TALK = { scope: 'operator.talk' } as const satisfies MethodAccess;
export const NODE = { role: 'node' } as const satisfies MethodAccess;
