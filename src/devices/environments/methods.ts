import { GatewayError } from '../../protocol/gateway-error.ts';
import { READ } from '../../server/authz/access.ts';
import { missingScopeError } from '../../server/authz/missing-scope.ts';
import { scopeSatisfied } from '../../server/authz/scopes.ts';
import type { HandlerContext } from '../../server/context.ts';
import { defineMethods } from '../../server/method-types.ts';
import { type EnvironmentSummary, listEnvironments } from './environment-view.ts';

function environments(gateway: HandlerContext): EnvironmentSummary[] {
  return listEnvironments(process.platform, gateway.nodes.list());
}

/**
 * Where work can run, for the Control UI's Systems and Devices pages: the gateway host and every known node.
 * clawgate has no cloud workers, worker profiles or desktops, so it never lists a worker, a profile or a desktop.
 */
export const environmentMethods = defineMethods({
  'environments.list': {
    access: READ,
    handler: (params, { gateway, client }) => {
      // Asking on behalf of an agent runtime needs write on OpenClaw. clawgate places no runtime on a worker or
      // node, so no runtime narrows or annotates the list.
      if (params.runtimeId !== undefined && !scopeSatisfied(client.scopes, 'operator.write')) {
        throw missingScopeError('operator.write');
      }
      // `projection: "profiles"` asks for worker profiles alone; there are none (observed: `environments: []`).
      return { environments: params.projection === 'profiles' ? [] : environments(gateway) };
    },
  },

  'environments.status': {
    access: READ,
    handler: (params, { gateway }) => {
      const found = environments(gateway).find((environment) => environment.id === params.environmentId);
      if (found) return found;
      throw new GatewayError('INVALID_REQUEST', 'unknown environmentId', {
        details: { code: 'UNKNOWN_ENVIRONMENT', environmentId: params.environmentId },
      });
    },
  },
});
