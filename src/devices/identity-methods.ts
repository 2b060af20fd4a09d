import type { MethodTable } from '../server/method-types.ts';

export const gatewayIdentityMethods = {
  'gateway.identity.get': (_params: unknown, { gateway }) => ({
    deviceId: gateway.identity.deviceId,
    publicKey: gateway.identity.publicKey,
  }),
} satisfies MethodTable;
