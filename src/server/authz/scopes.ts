export const OPERATOR_SCOPES = [
  'operator.admin',
  'operator.read',
  'operator.write',
  'operator.sessions.read',
  'operator.sessions.write',
  'operator.approvals',
  'operator.questions',
  'operator.pairing',
  'operator.talk',
  'operator.talk.secrets',
] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

const KNOWN = new Set<string>(OPERATOR_SCOPES);

/** Unknown scope strings are dropped, duplicates removed, order kept (protocol.md §6). */
export function normalizeScopes(scopes: readonly string[] | undefined): OperatorScope[] {
  if (!scopes) return [];
  return [...new Set(scopes.filter((scope) => KNOWN.has(scope)))] as OperatorScope[];
}

/** What holding a scope implies beyond itself. approvals, questions, pairing and talk.secrets imply nothing. */
const IMPLIES: Partial<Record<OperatorScope, readonly OperatorScope[]>> = {
  'operator.write': ['operator.read', 'operator.talk', 'operator.sessions.read', 'operator.sessions.write'],
  'operator.read': ['operator.sessions.read'],
  'operator.sessions.write': ['operator.sessions.read'],
};

export function scopeSatisfied(held: ReadonlySet<string>, required: OperatorScope): boolean {
  if (held.has('operator.admin') || held.has(required)) return true;
  for (const scope of held) {
    if (IMPLIES[scope as OperatorScope]?.includes(required)) return true;
  }
  return false;
}

/** Is every scope in `requested` covered by `granted`? Used when a device token asks for more than it holds. */
export function scopesCovered(granted: ReadonlySet<string>, requested: readonly string[]): boolean {
  return requested.every((scope) => scopeSatisfied(granted, scope as OperatorScope));
}
