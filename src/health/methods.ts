import { ANY_OPERATOR, READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import { processMemory } from './process-memory.ts';

export const healthMethods = defineMethods({
  /** The cached snapshot, as OpenClaw answers; `probe: true` rebuilds it first. */
  // OpenClaw answers health to any operator, including probes that hold no scope (`openclaw status`,
  // `gateway probe`); the same snapshot is broadcast to every client as the `health` event.
  health: {
    access: ANY_OPERATOR,
    handler: (params, { gateway }) => (params.probe ? gateway.refreshHealth() : gateway.healthSnapshot()),
  },

  status: {
    access: READ,
    handler: (_params, { gateway }) => {
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
        processMemory: processMemory(),
        connections: { total: gateway.connections.size },
        uptimeMs: gateway.now() - gateway.startedAt,
        pid: process.pid,
        // Changed settings that take effect on the next restart (gateway.port, bind, tls, controlUi).
        pendingRestart: gateway.config.pendingRestart(),
        // The TLS pin (OpenClaw's lowercase-hex gatewayTlsSha256), the LAN beacon, the wide-area zone and the
        // Tailscale route, as they are now: what an operator checks when a client cannot find or trust it.
        network: gateway.network,
      };
    },
  },
});
