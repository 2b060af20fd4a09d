import { randomUUID } from 'node:crypto';
import { ConfigError } from '../config/config-error.ts';
import { mergePatch } from '../config/methods.ts';
import { GatewayError, invalidParams } from '../protocol/gateway-error.ts';
import { ADMIN, READ } from '../server/authz/access.ts';
import type { HandlerContext } from '../server/context.ts';
import { defineMethods } from '../server/method-types.ts';
import type { PluginRecord } from './plugin-system.ts';
import { pluginsConfigured } from './policy.ts';
import { inspectResult, listEntries, wireEntry } from './wire.ts';

/** `plugins.reload` takes 1-64 targets per request (OpenClaw's bounds). */
const MAX_RELOAD_TARGETS = 64;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** OpenClaw's params objects are closed: an unknown key is refused by name. */
function checkKeys(method: string, params: Obj, allowed: readonly string[]): void {
  const extra = Object.keys(params).find((key) => !allowed.includes(key));
  if (extra !== undefined) throw invalidParams(method, `unknown key ${extra}`);
}

function pluginIdParam(method: string, value: unknown, field = 'pluginId'): string {
  if (typeof value !== 'string' || value === '')
    throw invalidParams(method, `${field} must be a non-empty string`);
  return value;
}

function installed(ctx: HandlerContext, method: string, id: string): PluginRecord {
  const record = ctx.plugins.records.get(id);
  if (!record) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `${method}: plugin not found: ${id} (plugins.list names the installed ones)`,
    );
  }
  return record;
}

/** Writes `plugins.entries.<id>.enabled` through the config write path (validated, atomic, applied live). */
async function writeEnabled(ctx: HandlerContext, id: string, enabled: boolean): Promise<void> {
  const { plugins } = ctx.configState.config;
  if (enabled && plugins.deny.includes(id)) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `plugins.setEnabled: plugins.deny lists ${id}; remove it there first`,
    );
  }
  const patch: Obj = { entries: { [id]: { enabled } } };
  // OpenClaw: enabling a plugin records the operator's trust in a restrictive allowlist.
  if (enabled && plugins.allow.length > 0 && !plugins.allow.includes(id))
    patch.allow = [...plugins.allow, id];
  const next = mergePatch(ctx.configState.file, { plugins: patch }) as Obj;
  try {
    await ctx.config.write(next, 'config.patch');
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new GatewayError('INVALID_REQUEST', `plugins.setEnabled: ${error.message}`, {
        details: { code: 'CONFIG_INVALID' },
      });
    }
    throw error;
  }
}

/** The loader when plugins can load (or have loaded); undefined when none is configured. */
async function host(ctx: HandlerContext) {
  const loaded = ctx.plugins.loadedHost();
  if (loaded) return loaded;
  return pluginsConfigured(ctx.configState.config.plugins) ? ctx.plugins.host() : undefined;
}

export const pluginsMethods = defineMethods({
  'plugins.list': {
    access: READ,
    handler: async (params, { gateway }) => {
      checkKeys('plugins.list', params, []);
      await gateway.plugins.settled();
      return {
        plugins: listEntries(gateway.plugins.records, gateway.configState.config.plugins),
        diagnostics: gateway.plugins.diagnostics,
        mutationAllowed: true,
      };
    },
  },

  'plugins.inspect': {
    access: READ,
    handler: async (params, { gateway }) => {
      checkKeys('plugins.inspect', params, ['pluginId']);
      const id = pluginIdParam('plugins.inspect', params.pluginId);
      await gateway.plugins.settled();
      const record = gateway.plugins.records.get(id);
      if (!record && !Object.hasOwn(gateway.configState.config.plugins.entries, id)) {
        throw new GatewayError('INVALID_REQUEST', `plugins.inspect: plugin not found: ${id}`);
      }
      return inspectResult(record, id, gateway.configState.config.plugins);
    },
  },

  /** Changes `plugins.entries.<id>.enabled` and waits until the running plugins match it. */
  'plugins.setEnabled': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      checkKeys('plugins.setEnabled', params, ['pluginId', 'enabled', 'acknowledgeCapabilities']);
      const id = pluginIdParam('plugins.setEnabled', params.pluginId);
      if (typeof params.enabled !== 'boolean')
        throw invalidParams('plugins.setEnabled', 'enabled must be a boolean');
      await gateway.plugins.settled();
      installed(gateway, 'plugins.setEnabled', id);
      await writeEnabled(gateway, id, params.enabled);
      await gateway.plugins.settled();
      const record = installed(gateway, 'plugins.setEnabled', id);
      const warnings = [
        ...(record.pendingRestart ? [`${id} owns a channel: restart the gateway to apply this change`] : []),
        ...(record.error !== undefined ? [`${id} failed to load: ${record.error}`] : []),
      ];
      return {
        ok: true,
        plugin: wireEntry(record),
        restartRequired: record.pendingRestart,
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  },

  /** Re-reads config and every manifest and applies the result (retrying plugins that failed). */
  'plugins.refresh': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      checkKeys('plugins.refresh', params, []);
      await (await host(gateway))?.refresh();
      return { ok: true };
    },
  },

  /** Loads these plugins' code again (OpenClaw 2026.9's `plugins.reload`), keeping their enablement. */
  'plugins.reload': {
    access: ADMIN,
    handler: async (params, { gateway }) => {
      checkKeys('plugins.reload', params, ['plugins', 'acknowledgeCapabilities']);
      const targets = params.plugins;
      if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_RELOAD_TARGETS) {
        throw invalidParams(
          'plugins.reload',
          `plugins must list 1-${MAX_RELOAD_TARGETS} targets ({pluginId})`,
        );
      }
      const ids = targets.map((target, index) => {
        if (!isObj(target)) throw invalidParams('plugins.reload', `plugins[${index}] must be an object`);
        if (target.installHash !== undefined || target.sourceDigests !== undefined) {
          throw invalidParams(
            'plugins.reload',
            `plugins[${index}]: installHash and sourceDigests are not supported`,
          );
        }
        checkKeys('plugins.reload', target, ['pluginId']);
        return pluginIdParam('plugins.reload', target.pluginId, `plugins[${index}].pluginId`);
      });
      await gateway.plugins.settled();
      for (const id of ids) installed(gateway, 'plugins.reload', id);
      await (await host(gateway))?.reload(ids);
      const pluginIds = [...new Set(ids)];
      return {
        ok: true,
        pluginIds,
        restartRequired: pluginIds.some((id) => gateway.plugins.records.get(id)?.pendingRestart === true),
        runtime: { operationId: randomUUID(), generation: gateway.plugins.generation, pluginIds },
      };
    },
  },

  /**
   * OpenClaw 2026.9's catalog of installable plugins (ClawHub discovery). clawgate installs nothing, so its catalog
   * is empty; the Control UI's Plugins page then shows no error, and Settings → Plugins lists what is loaded.
   */
  'plugins.catalog.browse': {
    access: READ,
    handler: () => ({ items: [] }),
  },

  /** Control UI contributions plugins declare; clawgate's plugins declare none. */
  'plugins.uiDescriptors': {
    access: READ,
    handler: (params) => {
      checkKeys('plugins.uiDescriptors', params, []);
      return { ok: true, descriptors: [] };
    },
  },
});
