import { READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';

export const gatewayIdentityMethods = defineMethods({
  'gateway.identity.get': {
    access: READ,
    handler: (_params, { gateway }) => ({
      deviceId: gateway.identity.deviceId,
      publicKey: gateway.identity.publicKey,
    }),
  },
});
