import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { ToolRegistration } from '../agents/tools/tool-types.ts';
import type { ChannelAdapter } from '../channels/channel-types.ts';
import { chatTarget } from '../chat/targets.ts';
import { messageText } from '../chat/wire-message.ts';
import type { Logger } from '../logging/logger.ts';
import type { GatewayContext } from '../server/context.ts';
import type { EventDefinition, MethodDefinition } from '../server/registry.ts';
import {
  type ClawgatePluginApi,
  type JsonValue,
  PLUGIN_API_VERSION,
  type PluginEventScope,
  type PluginLogger,
  type PluginRuntime,
  type PluginService,
  type PluginServiceContext,
  type PluginTurnInput,
  type PluginTurnResult,
} from './api.ts';
import { channelAdapter } from './channel-adapter.ts';
import type { PluginChannel } from './channel-types.ts';
import { checkMethodName, pluginMethod, pluginMethodScope } from './gateway-method.ts';
import { type PluginRoute, pluginRoute } from './http-route.ts';
import type { PluginManifest } from './manifest.ts';
import { pluginStore } from './plugin-store.ts';
import { pluginTools } from './plugin-tools.ts';

const EVENT_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const EVENT_SCOPES: readonly string[] = ['operator.read', 'operator.write', 'operator.admin'];

/**
 * Everything one plugin registered, held back until the loader commits it whole (or not at all): what the
 * registry gets (`module`), and what the plugin host runs itself (services) or files elsewhere (tools).
 */
export type StagedPlugin = {
  module: {
    id: string;
    methods: Record<string, MethodDefinition>;
    events: Record<string, EventDefinition>;
    routes: PluginRoute['definition'][];
    channels: ChannelAdapter[];
  };
  routes: PluginRoute[];
  services: PluginService[];
  tools: ToolRegistration[];
  cliCommands: string[];
  /** Set by the host once committed: from then on events may be sent. */
  live: boolean;
};

export type PluginApiInput = {
  ctx: GatewayContext;
  manifest: PluginManifest;
  entryFile: string;
  pluginConfig: Record<string, unknown>;
  /** Why a method name is not the plugin's to take (an OpenClaw or clawgate core method or namespace). */
  reservedMethod(name: string): string | undefined;
};

/** A plugin's logger: the gateway's log, each line naming the plugin. */
export function pluginLogger(logger: Logger, pluginId: string): PluginLogger {
  const line = (message: string) => `plugin ${pluginId}: ${message}`;
  const fields = (extra?: Record<string, unknown>) => ({ plugin: pluginId, ...extra });
  return {
    debug: (message, extra) => logger.debug(line(message), fields(extra)),
    info: (message, extra) => logger.info(line(message), fields(extra)),
    warn: (message, extra) => logger.warn(line(message), fields(extra)),
    error: (message, extra) => logger.error(line(message), fields(extra)),
  };
}

/** `api.runtime`: clawgate's version; any of OpenClaw's runtime helpers throws, naming itself. */
function pluginRuntime(ctx: GatewayContext, pluginId: string): PluginRuntime {
  const runtime: PluginRuntime = { version: ctx.version, apiVersion: PLUGIN_API_VERSION };
  const passThrough = new Set(['then', 'constructor', 'toJSON', 'toString', 'valueOf']);
  return new Proxy(runtime, {
    get(target, property, receiver) {
      if (typeof property === 'symbol' || property in target || passThrough.has(property)) {
        return Reflect.get(target, property, receiver);
      }
      throw new Error(
        `plugin ${pluginId}: api.runtime.${property} is not supported by clawgate (api.runtime has version and apiVersion)`,
      );
    },
  });
}

/**
 * The `api` one plugin's `register(api)` gets, and the staging it fills. Every registration is checked as it is
 * made (a bad one throws inside `register`, so the plugin fails before anything is committed); `seal()` closes
 * registration once `register` has returned.
 */
export function createPluginApi(input: PluginApiInput): {
  api: ClawgatePluginApi;
  staged: StagedPlugin;
  events: PluginEvents;
  seal(): void;
} {
  const { ctx, manifest } = input;
  const id = manifest.id;
  const logger = pluginLogger(ctx.logger, id);
  const staged: StagedPlugin = {
    module: { id, methods: {}, events: {}, routes: [], channels: [] },
    routes: [],
    services: [],
    tools: [],
    cliCommands: [],
    live: false,
  };
  let sealed = false;
  const open = (what: string) => {
    if (sealed)
      throw new Error(
        `plugin ${id}: ${what} after register() returned; register everything in register(api)`,
      );
  };

  const declareEvent = (name: string, scope: unknown, droppable: boolean): string => {
    if (typeof name !== 'string' || !EVENT_NAME.test(name)) {
      throw new Error(
        `plugin ${id}: event name ${JSON.stringify(name)} must be one lowercase word (a-z, 0-9, _ -)`,
      );
    }
    if (typeof scope !== 'string' || !EVENT_SCOPES.includes(scope)) {
      throw new Error(
        `plugin ${id}: event ${name} needs scope operator.read, operator.write or operator.admin`,
      );
    }
    const full = `plugin.${id}.${name}`;
    const existing = staged.module.events[full];
    if (existing) {
      if (existing.scope !== scope)
        throw new Error(`plugin ${id}: event ${name} was declared with ${existing.scope}`);
      return full;
    }
    const definition: EventDefinition = { scope: scope as PluginEventScope, droppable };
    staged.module.events[full] = definition;
    // Declared by a running service: the registry learns of it now (the module's list still owns it).
    if (staged.live) ctx.registry.registerEvents(id, { [full]: definition });
    return full;
  };
  const send = (full: string, payload: JsonValue) => {
    if (!staged.live) throw new Error(`plugin ${id}: events can be sent once the plugin has loaded`);
    ctx.events.broadcast(full, payload);
  };

  const store = pluginStore(id, ctx.automation.store, ctx.now);
  const chat = {
    async run(turn: PluginTurnInput): Promise<PluginTurnResult> {
      const { sessionKey, agentId } = chatTarget(ctx.configState.config, turn, `plugin ${id}: chat.run`);
      const sent = await ctx.chat.send({
        sessionKey,
        agentId,
        message: turn.message,
        idempotencyKey: turn.idempotencyKey ?? randomUUID(),
        timeoutMs: turn.timeoutMs,
        onDelta: turn.onDelta,
      });
      const outcome = await sent.done;
      return {
        runId: sent.runId,
        sessionKey,
        status: outcome.status,
        text: outcome.message ? messageText(outcome.message) : '',
        ...(outcome.errorMessage !== undefined ? { errorMessage: outcome.errorMessage } : {}),
      };
    },
  };

  const api: ClawgatePluginApi = {
    id,
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    source: input.entryFile,
    rootDir: manifest.rootDir,
    registrationMode: 'full',
    config: ctx.configState.config,
    pluginConfig: input.pluginConfig,
    logger,
    runtime: pluginRuntime(ctx, id),
    resolvePath: (path) => resolve(manifest.rootDir, path),
    apiVersion: PLUGIN_API_VERSION,
    store,
    chat,

    registerGatewayMethod(name, handler, options) {
      open('registerGatewayMethod');
      checkMethodName(name);
      if (typeof handler !== 'function')
        throw new Error(`gateway method ${name}: handler must be a function`);
      const reserved = input.reservedMethod(name);
      if (reserved) throw new Error(`gateway method ${name} is refused: ${reserved}`);
      if (staged.module.methods[name]) throw new Error(`gateway method ${name} is registered twice`);
      staged.module.methods[name] = pluginMethod(name, handler, pluginMethodScope(name, options));
    },

    registerHttpRoute(route) {
      open('registerHttpRoute');
      const made = pluginRoute(id, route, logger);
      // OpenClaw: a plugin registering its own path again replaces that route.
      const index = staged.routes.findIndex(
        (other) => other.path === made.path && other.match === made.match,
      );
      if (index >= 0) staged.routes.splice(index, 1, made);
      else staged.routes.push(made);
      staged.module.routes = staged.routes.map((r) => r.definition);
    },

    registerService(service) {
      open('registerService');
      if (!service || typeof service.id !== 'string' || service.id === '') {
        throw new Error('registerService: a service needs a non-empty id');
      }
      if (typeof service.start !== 'function')
        throw new Error(`service ${service.id}: start must be a function`);
      if (staged.services.some((other) => other.id === service.id)) {
        throw new Error(`service ${service.id} is registered twice`);
      }
      staged.services.push(service);
    },

    registerTool(tool, options) {
      open('registerTool');
      for (const registration of pluginTools(id, tool, options)) {
        if (!manifest.tools.includes(registration.name)) {
          throw new Error(
            `tool ${registration.name} is not declared: add it to contracts.tools in ${manifest.rootDir}/openclaw.plugin.json`,
          );
        }
        if (staged.tools.some((other) => other.name === registration.name)) {
          throw new Error(`tool ${registration.name} is registered twice`);
        }
        staged.tools.push(registration);
      }
    },

    registerChannel(registration) {
      open('registerChannel');
      const plugin = (
        registration && 'plugin' in registration && registration.plugin ? registration.plugin : registration
      ) as PluginChannel;
      if (!plugin || typeof plugin.id !== 'string' || plugin.id === '') {
        throw new Error('registerChannel: the channel plugin needs an id');
      }
      if (
        typeof plugin.config?.listAccountIds !== 'function' ||
        typeof plugin.config.resolveAccount !== 'function'
      ) {
        throw new Error(`channel ${plugin.id}: config.listAccountIds and config.resolveAccount are required`);
      }
      if (!manifest.channels.includes(plugin.id)) {
        throw new Error(
          `channel ${plugin.id} is not declared: add it to channels in ${manifest.rootDir}/openclaw.plugin.json`,
        );
      }
      if (staged.module.channels.some((other) => other.id === plugin.id)) {
        throw new Error(`channel ${plugin.id} is registered twice`);
      }
      staged.module.channels.push(channelAdapter(plugin, manifest.channelLabel));
    },

    registerCli(_registrar, options) {
      open('registerCli');
      for (const descriptor of options?.descriptors ?? []) {
        if (typeof descriptor?.name === 'string') staged.cliCommands.push(descriptor.name);
      }
      for (const command of options?.commands ?? []) {
        if (typeof command === 'string') staged.cliCommands.push(command);
      }
    },

    registerGatewayEvent(name, options) {
      open('registerGatewayEvent');
      declareEvent(name, options?.scope, options?.droppable === true);
    },

    broadcast(name, payload) {
      const full = `plugin.${id}.${name}`;
      if (!staged.module.events[full]) {
        throw new Error(
          `plugin ${id}: event ${name} is not declared; declare it with api.registerGatewayEvent`,
        );
      }
      send(full, payload);
    },
  };

  const guarded = new Proxy(api, {
    get(target, property, receiver) {
      if (typeof property === 'string' && !(property in target) && /^(register|on)[A-Z]/.test(property)) {
        return () => {
          throw new Error(`api.${property} is not supported by clawgate (plugin ${id}); see docs/plugins.md`);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });

  return {
    api: guarded,
    staged,
    events: { declare: declareEvent, send },
    seal: () => {
      sealed = true;
    },
  };
}

/** A plugin's events: declared as `plugin.<id>.<name>` with a scope, then sent. */
export type PluginEvents = {
  /** Returns the full event name; a second declaration must ask for the same scope. */
  declare(name: string, scope: unknown, droppable: boolean): string;
  send(full: string, payload: JsonValue): void;
};

/** What a plugin service's `start`/`stop` get: OpenClaw's service context, its events declared on first use. */
export function serviceContext(
  input: PluginApiInput,
  events: PluginEvents,
  health: { reportFailure(error: unknown): void; clearFailure(): void },
): PluginServiceContext {
  const { ctx, manifest } = input;
  return {
    config: ctx.configState.config,
    stateDir: ctx.paths.stateDir,
    logger: pluginLogger(ctx.logger, manifest.id),
    gatewayEvents: {
      emit: (event, payload, options) => events.send(events.declare(event, options?.scope, false), payload),
    },
    serviceHealth: health,
  };
}
