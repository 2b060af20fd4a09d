import { chatTarget } from '../chat/targets.ts';
import { sessionKeyDefaults } from '../routing/session-key.ts';
import { ADMIN, READ, WRITE } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';

export const heartbeatMethods = defineMethods({
  /** The latest beat (persisted, so it survives a restart), or null before the first. */
  'last-heartbeat': { access: READ, handler: (_params, { gateway }) => gateway.automation.heartbeat.last() },

  'set-heartbeats': {
    access: ADMIN,
    handler: (params, { gateway }) => {
      gateway.automation.heartbeat.setEnabled(params.enabled);
      return { ok: true, enabled: params.enabled };
    },
  },

  /**
   * Queues `text` for the session's next heartbeat; `now` runs that beat at once (in the background: the answer
   * does not wait for the model), `next-heartbeat` leaves it for the scheduled one.
   */
  wake: {
    access: WRITE,
    handler: (params, { gateway }) => {
      const config = gateway.configState.config;
      const { sessionKey, agentId } = chatTarget(
        config,
        { sessionKey: params.sessionKey ?? sessionKeyDefaults(config).mainKey, agentId: params.agentId },
        'wake',
      );
      const { heartbeat } = gateway.automation;
      heartbeat.enqueue(sessionKey, params.text, 'wake');
      if (params.mode === 'now') void heartbeat.run(agentId, 'wake', sessionKey);
      return { ok: true };
    },
  },
});
