import type { Logger } from '../../logging/logger.ts';

/** A gate's refusal: why, and the prompt that decided it when one did. */
export type GateDenial = { allowed: false; reason: string; approvalId?: string };

export const denial = (reason: string, approvalId?: string): GateDenial => ({
  allowed: false,
  reason,
  ...(approvalId ? { approvalId } : {}),
});

/** How a gate names what it guards in its refusals and its log line. */
export type GuardedWhat = {
  /** The log line's subject: `exec approval`, `MCP tool approval`. */
  check: string;
  /** `the command`, `the tool call`. */
  subject: string;
  /** The refusal when the check itself fails: `exec approvals are unavailable (…); the command was not run`. */
  unavailable(message: string): string;
};

/**
 * Runs a gate's check so that it never throws and never runs after the turn ended: an aborted run is refused at
 * once, and a check that fails is logged once and refused, so a broken approvals store stops the action, not the turn.
 */
export async function guardedCheck<D>(
  what: GuardedWhat,
  logger: Logger,
  request: { agentId: string; runId: string },
  signal: AbortSignal,
  check: () => Promise<D>,
): Promise<D | GateDenial> {
  if (signal.aborted) return denial(`the run was aborted before ${what.subject} was checked`);
  try {
    return await check();
  } catch (error) {
    logger.error(`${what.check} check failed`, {
      agentId: request.agentId,
      runId: request.runId,
      error: (error as Error).stack,
    });
    return denial(what.unavailable((error as Error).message));
  }
}
