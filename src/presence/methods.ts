import { ADMIN, READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import { broadcastPresence } from './presence-publisher.ts';
import { presenceText } from './presence-registry.ts';

export const presenceMethods = defineMethods({
  /** A top-level array, as OpenClaw answers. */
  'system-presence': {
    access: READ,
    handler: (_params, { gateway }) => gateway.presence.list(gateway.now()),
  },

  /** A host reports itself (or just a line of text); it shows in presence until it goes quiet. */
  'system-event': {
    access: ADMIN,
    handler: (params, { gateway, client }) => {
      const { text, ...fields } = params;
      const key = `event:${params.instanceId ?? params.deviceId ?? params.host ?? client.connId}`;
      const hasIdentity = Boolean(params.instanceId ?? params.deviceId ?? params.host);
      const entry = { ...fields, ts: gateway.now() };
      gateway.presence.upsert(key, {
        ...entry,
        text: hasIdentity ? `${presenceText(entry)} · ${text}` : text,
      });
      broadcastPresence(gateway);
      return { ok: true };
    },
  },
});
