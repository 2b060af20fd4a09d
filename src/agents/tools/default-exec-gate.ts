import type { ExecGate } from './tool-types.ts';

export const NO_APPROVAL_POLICY_REASON = 'exec needs approval and no approval policy is configured';

/**
 * The gate `exec` asks until exec approvals are wired in: it refuses every command, so no command runs on the
 * gateway host without a policy that allowed it. The gateway builds its gate in one place (src/server/phases/state.ts).
 */
export const refuseAllExecGate: ExecGate = {
  async check() {
    return { allowed: false, reason: NO_APPROVAL_POLICY_REASON };
  },
};
