import { GatewayError } from '../protocol/gateway-error.ts';
import { PAIRING } from '../server/authz/access.ts';
import { normalizeScopes, scopesCovered } from '../server/authz/scopes.ts';
import type { HandlerContext } from '../server/context.ts';
import { defineMethods } from '../server/method-types.ts';
import type { PairedDevice } from './device-store.ts';

/** A paired device as operators see it: token metadata, never token material. */
/** A paired device as OpenClaw lists it: primary `role`, whether it is connected now, token metadata only. */
function describeDevice(device: PairedDevice, connected: Set<string>) {
  const { tokens, ...rest } = device;
  return {
    ...rest,
    ...(device.roles[0] ? { role: device.roles[0] } : {}),
    connected: connected.has(device.deviceId),
    tokens: Object.values(tokens).map(({ role, scopes, createdAtMs, rotatedAtMs }) => ({
      role,
      scopes: [...scopes].sort(),
      createdAtMs,
      ...(rotatedAtMs === undefined ? {} : { rotatedAtMs }),
    })),
  };
}

function unknownRequest(requestId: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unknown requestId: ${requestId}`, {
    details: { code: 'PAIRING_REQUEST_NOT_FOUND', requestId },
  });
}

function pairedDevice(ctx: HandlerContext, deviceId: string): PairedDevice {
  const device = ctx.devices.get(deviceId);
  if (!device) {
    throw new GatewayError('INVALID_REQUEST', `unknown deviceId: ${deviceId}`, {
      details: { code: 'DEVICE_NOT_FOUND', deviceId },
    });
  }
  return device;
}

/** Sockets of a device lose their grant when it is removed, or (device-token sockets) its token rotated/revoked. */
function invalidateDeviceSockets(ctx: HandlerContext, deviceId: string, reason: string, role?: string): void {
  ctx.connections.disconnectDevice(deviceId, reason, { role, deviceTokenOnly: reason !== 'device removed' });
}

function resolved(
  ctx: HandlerContext,
  requestId: string,
  deviceId: string,
  decision: 'approved' | 'rejected',
): void {
  ctx.events.broadcast('device.pair.resolved', { requestId, deviceId, decision, ts: ctx.now() });
}

export const deviceMethods = defineMethods({
  'device.pair.list': {
    access: PAIRING,
    handler: (_params, { gateway }) => {
      const connected = gateway.connections.connectedDevices();
      return {
        pending: gateway.devices.listPending(),
        paired: gateway.devices.listPaired().map((device) => describeDevice(device, connected)),
      };
    },
  },

  'device.pair.approve': {
    access: PAIRING,
    handler: async (params, { gateway }) => {
      const approved = gateway.devices.approve(params.requestId, gateway.now());
      if (!approved) throw unknownRequest(params.requestId);
      // Committed before anyone (the operator, the waiting device) is told.
      await gateway.devices.flushed();
      gateway.logger.info('device pairing approved', {
        deviceId: approved.device.deviceId,
        role: approved.request.role,
      });
      resolved(gateway, params.requestId, approved.device.deviceId, 'approved');
      return {
        requestId: params.requestId,
        device: describeDevice(approved.device, gateway.connections.connectedDevices()),
      };
    },
  },

  'device.pair.reject': {
    access: PAIRING,
    handler: async (params, { gateway }) => {
      const request = gateway.devices.reject(params.requestId);
      if (!request) throw unknownRequest(params.requestId);
      await gateway.devices.flushed();
      resolved(gateway, params.requestId, request.deviceId, 'rejected');
      return { requestId: params.requestId, deviceId: request.deviceId };
    },
  },

  'device.pair.remove': {
    access: PAIRING,
    handler: async (params, { gateway }) => {
      pairedDevice(gateway, params.deviceId);
      gateway.devices.remove(params.deviceId);
      await gateway.devices.flushed();
      await gateway.nodes.forgetDevice(params.deviceId);
      invalidateDeviceSockets(gateway, params.deviceId, 'device removed');
      return { deviceId: params.deviceId };
    },
  },

  'device.token.rotate': {
    access: PAIRING,
    handler: async (params, { gateway, client }) => {
      const device = pairedDevice(gateway, params.deviceId);
      if (!device.roles.includes(params.role)) {
        throw new GatewayError(
          'INVALID_REQUEST',
          `device ${params.deviceId} is not paired for role ${params.role}`,
        );
      }
      const scopes = params.scopes === undefined ? device.scopes : normalizeScopes(params.scopes);
      if (!scopesCovered(new Set(device.scopes), scopes)) {
        throw new GatewayError(
          'INVALID_REQUEST',
          'device.token.rotate scopes exceed what the device was approved for',
          {
            details: { code: 'AUTH_SCOPE_MISMATCH', approvedScopes: device.scopes },
          },
        );
      }
      const { token, record } = gateway.devices.issueToken(
        params.deviceId,
        params.role,
        scopes,
        gateway.now(),
      );
      await gateway.devices.flushed();
      invalidateDeviceSockets(gateway, params.deviceId, 'device token rotated', params.role);
      const rotated = {
        deviceId: params.deviceId,
        role: params.role,
        scopes: record.scopes,
        rotatedAtMs: record.rotatedAtMs ?? record.createdAtMs,
      };
      // A credential goes only to the device it belongs to: the caller must be that (signed) device. Anyone else
      // (another device, a shared-token operator) learns that it rotated; the device receives its new token in
      // hello-ok the next time it connects with its signature and the shared secret, as on OpenClaw.
      if (client.deviceId !== params.deviceId) return { ...rotated, tokenDelivery: 'withheld-cross-device' };
      return { ...rotated, token, tokenDelivery: 'in-band' };
    },
  },

  'device.token.revoke': {
    access: PAIRING,
    handler: async (params, { gateway }) => {
      pairedDevice(gateway, params.deviceId);
      if (!gateway.devices.revokeToken(params.deviceId, params.role)) {
        throw new GatewayError(
          'INVALID_REQUEST',
          `device ${params.deviceId} holds no token for role ${params.role}`,
        );
      }
      await gateway.devices.flushed();
      invalidateDeviceSockets(gateway, params.deviceId, 'device token revoked', params.role);
      return { deviceId: params.deviceId, role: params.role, revokedAtMs: gateway.now() };
    },
  },
});
