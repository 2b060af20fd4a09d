import { scopeSatisfied } from '../../server/authz/scopes.ts';
import type { ClientView } from '../../server/ws/client.ts';

/** The clients OpenClaw counts as exec approval surfaces by their id: its Control UI and companion apps. */
const APPROVAL_CLIENT_IDS = new Set([
  'openclaw-control-ui',
  'openclaw-macos',
  'openclaw-ios',
  'openclaw-android',
]);

/**
 * Can this connection show an exec approval prompt (OpenClaw's rule)? It must hold `operator.approvals` (or admin)
 * and be a known approval surface or declare the `approvals` / `exec-approvals` capability in `connect.caps`.
 * Prompts go only to these; with none connected a prompt has nowhere to go and takes its fallback at once.
 */
export function isExecApprovalClient(client: ClientView): boolean {
  if (!scopeSatisfied(client.scopes, 'operator.approvals')) return false;
  return (
    APPROVAL_CLIENT_IDS.has(client.info?.id ?? '') ||
    client.caps.has('approvals') ||
    client.caps.has('exec-approvals')
  );
}
