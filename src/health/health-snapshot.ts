import { defaultAgentId, listAgents } from '../agents/registry.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { EventLoopHealth } from './health-state.ts';

export type HealthSnapshot = {
  ok: true;
  ts: number;
  durationMs: number;
  eventLoop: EventLoopHealth;
  configReload: { hotReloadStatus: 'active' | 'disabled' };
  channels: Record<string, unknown>;
  channelOrder: string[];
  channelLabels: Record<string, string>;
  heartbeatSeconds: number;
  defaultAgentId: string;
  agents: {
    agentId: string;
    name?: string;
    isDefault: boolean;
    heartbeat: {
      enabled: boolean;
      every: string;
      everyMs: number | null;
      prompt: string;
      target: string;
      ackMaxChars: number;
    };
    sessions: {
      path: string;
      count: number;
      recent: { key: string; updatedAt: number | null; age: number | null }[];
    };
  }[];
  sessions: {
    path: string;
    count: number;
    recent: { key: string; updatedAt: number | null; age: number | null }[];
  };
};

/** Heartbeats arrive with a later issue; until then every agent reports them disabled. */
const DISABLED_HEARTBEAT = {
  enabled: false,
  every: '0m',
  everyMs: null,
  prompt: '',
  target: 'none',
  ackMaxChars: 0,
};

export function buildHealthSnapshot(
  config: GatewayConfig,
  sessionsPath: string,
  eventLoop: EventLoopHealth,
  now: number,
  channels?: Pick<HealthSnapshot, 'channels' | 'channelOrder' | 'channelLabels'>,
): HealthSnapshot {
  const began = performance.now();
  const sessions = { path: sessionsPath, count: 0, recent: [] };
  const snapshot: HealthSnapshot = {
    ok: true,
    ts: now,
    durationMs: 0,
    eventLoop,
    configReload: { hotReloadStatus: 'active' },
    channels: channels?.channels ?? {},
    channelOrder: channels?.channelOrder ?? [],
    channelLabels: channels?.channelLabels ?? {},
    heartbeatSeconds: 0,
    defaultAgentId: defaultAgentId(config),
    agents: listAgents(config).map((agent) => ({
      agentId: agent.id,
      ...(agent.name ? { name: agent.name } : {}),
      isDefault: agent.isDefault,
      heartbeat: DISABLED_HEARTBEAT,
      sessions,
    })),
    sessions,
  };
  snapshot.durationMs = Math.round(performance.now() - began);
  return snapshot;
}
