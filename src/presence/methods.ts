import type { MethodTable } from '../server/method-types.ts';
import { presenceText } from './presence-registry.ts';

type SystemEventParams = {
  text: string;
  deviceId?: string;
  instanceId?: string;
  host?: string;
  ip?: string;
  mode?: string;
  version?: string;
  platform?: string;
  deviceFamily?: string;
  modelIdentifier?: string;
  lastInputSeconds?: number;
  reason?: string;
  tags?: string[];
};

export const presenceMethods = {
  /** A top-level array, as OpenClaw answers. */
  'system-presence': (_params: unknown, { gateway }) => gateway.presence.list(gateway.now()),

  /** A host reports itself (or just a line of text); it shows in presence until it goes quiet. */
  'system-event': (params: SystemEventParams, { gateway, client }) => {
    const { text, ...fields } = params;
    const key = `event:${params.instanceId ?? params.deviceId ?? params.host ?? client.connId}`;
    const hasIdentity = Boolean(params.instanceId ?? params.deviceId ?? params.host);
    const entry = { ...fields, ts: gateway.now() };
    gateway.presence.upsert(key, { ...entry, text: hasIdentity ? `${presenceText(entry)} · ${text}` : text });
    gateway.health.bumpPresence();
    gateway.events.broadcast(
      'presence',
      { presence: gateway.presence.list(gateway.now()) },
      { dropIfSlow: true, stateVersion: true },
    );
    return { ok: true };
  },
} satisfies MethodTable;
