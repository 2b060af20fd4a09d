import type { MethodTable } from '../server/method-types.ts';

export const healthMethods = {
  /** The cached snapshot, as OpenClaw answers; `probe: true` rebuilds it first. */
  health: (params: { probe?: boolean }, { gateway }) =>
    params.probe ? gateway.refreshHealth() : gateway.healthSnapshot(),

  status: (_params: unknown, { gateway }) => {
    const memory = process.memoryUsage();
    const health = gateway.healthSnapshot();
    return {
      runtimeVersion: gateway.version,
      heartbeat: {
        defaultAgentId: health.defaultAgentId,
        agents: health.agents.map((agent) => ({
          agentId: agent.agentId,
          enabled: false,
          every: '0m',
          everyMs: null,
        })),
      },
      channelSummary: [],
      queuedSystemEvents: [],
      sessions: {
        paths: [],
        count: 0,
        defaults: { model: gateway.configState.config.agents.defaults.model, contextTokens: null },
        recent: [],
        byAgent: health.agents.map((agent) => ({
          agentId: agent.agentId,
          path: '[redacted]',
          count: 0,
          recent: [],
        })),
      },
      eventLoop: health.eventLoop,
      processMemory: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
        externalBytes: memory.external,
        arrayBuffersBytes: memory.arrayBuffers,
      },
      connections: { total: gateway.clients.size },
      uptimeMs: gateway.now() - gateway.startedAt,
      pid: process.pid,
    };
  },

  'last-heartbeat': (_params: unknown, { gateway }) => gateway.lastHeartbeat ?? null,
} satisfies MethodTable;
