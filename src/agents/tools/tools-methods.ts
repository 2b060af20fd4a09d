import { chatTarget } from '../../chat/targets.ts';
import { GatewayError } from '../../protocol/gateway-error.ts';
import { parseSessionKey } from '../../routing/session-key.ts';
import { READ, WRITE } from '../../server/authz/access.ts';
import { defineMethods } from '../../server/method-types.ts';
import { defaultAgentId, resolveAgent } from '../registry.ts';
import { catalogResult, effectiveResult } from './tool-inventory.ts';
import { type InvokeErrorType, invokeTool } from './tool-invoke.ts';

/** tools.invoke's error codes for each failure type (OpenClaw's mapping). */
const RPC_CODES: Record<InvokeErrorType, string> = {
  invalid_request: 'validation_error',
  not_found: 'not_found',
  tool_call_blocked: 'forbidden',
  tool_error: 'internal_error',
};

export const toolsMethods = defineMethods({
  'tools.catalog': {
    access: READ,
    handler: async (params, { gateway }) => {
      await gateway.tools.prepare();
      const { config } = gateway.configState;
      const agentId = resolveAgent(config, params.agentId ?? defaultAgentId(config)).id;
      const described = gateway.tools.describe(
        { agentId, sessionKey: `agent:${agentId}:main`, runId: 'tools.catalog' },
        'turn',
      );
      return catalogResult(agentId, described, params.includePlugins !== false);
    },
  },
  'tools.effective': {
    access: READ,
    handler: async (params, { gateway }) => {
      await gateway.tools.prepare();
      const { config } = gateway.configState;
      const target = chatTarget(config, { sessionKey: params.sessionKey }, 'tools.effective');
      const keyAgent = parseSessionKey(target.sessionKey)?.agentId ?? target.agentId;
      if (params.agentId && resolveAgent(config, params.agentId).id !== keyAgent) {
        throw new GatewayError(
          'INVALID_REQUEST',
          `invalid tools.effective params: agentId "${params.agentId}" does not match session agent "${keyAgent}"`,
        );
      }
      const described = gateway.tools.describe({ ...target, runId: 'tools.effective' }, 'turn');
      return effectiveResult(target.agentId, gateway.tools.policy(target.agentId, 'turn').profile, described);
    },
  },
  'tools.invoke': {
    access: WRITE,
    handler: async (params, { gateway }) => {
      const outcome = await invokeTool(
        { config: gateway.configState.config, tools: gateway.tools, logger: gateway.logger },
        params,
        { prefix: 'rpc', signal: new AbortController().signal },
      );
      if (outcome.ok) {
        return { ok: true, toolName: outcome.toolName, output: outcome.result, source: outcome.source };
      }
      return {
        ok: false,
        toolName: outcome.toolName || params.name,
        error: { code: RPC_CODES[outcome.error.type], message: outcome.error.message },
      };
    },
  },
});
