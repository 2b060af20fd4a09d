import { ADMIN } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';

export const updateMethods = defineMethods({
  /**
   * OpenClaw's `UpdateStatusResult`, for a package install that is never updated in place: no restart sentinel,
   * no auto-update schedule. `refreshCheckout` is accepted and ignored: there is no git checkout to refresh, and
   * a caller must not be able to make the gateway ask the registry on demand.
   */
  'update.status': {
    access: ADMIN,
    handler: (_params, { gateway }) => {
      const { channel } = gateway.configState.config.update;
      return {
        sentinel: null,
        updateAvailable: gateway.updateAvailable,
        effectiveChannel: channel,
        schedule: { channel, autoEnabled: false },
      };
    },
  },
});
