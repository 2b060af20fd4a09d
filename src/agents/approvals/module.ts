import type { GatewayModule } from '../../server/registry.ts';
import { approvalMethods } from './methods.ts';

/**
 * Exec (and MCP tool) approvals: the approvals document, prompts and their decisions, standing grants. The events reach only
 * clients that can show a prompt (`operator.approvals` or admin, and an approval surface), filtered per event.
 */
export const approvalsModule: GatewayModule = {
  id: 'approvals',
  methods: approvalMethods,
  events: {
    'exec.approval.requested': { scope: 'operator.approvals', droppable: true },
    'exec.approval.resolved': { scope: 'operator.approvals', droppable: true },
    // MCP tool call prompts, in OpenClaw's plugin approval shape.
    'plugin.approval.requested': { scope: 'operator.approvals', droppable: true },
    'plugin.approval.resolved': { scope: 'operator.approvals', droppable: true },
  },
  services: [
    {
      name: 'exec-approvals',
      phase: 'post-attach',
      requiredForReady: true,
      start: (ctx) => ctx.approvals.start(),
      stop: (ctx) => ctx.approvals.stop(),
    },
  ],
};
