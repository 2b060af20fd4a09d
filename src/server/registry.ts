import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TSchema } from 'typebox';
import type { ChannelAdapter } from '../channels/channel-types.ts';
import type { OperatorScope } from './authz/scopes.ts';
import type { GatewayContext } from './context.ts';
import type { MethodContext } from './method-types.ts';

/**
 * Who may call a method. `scope: null`: any authenticated operator, even one holding no scope (a probe).
 * Otherwise operators need `scope` (or the narrower `sessionScope` the method also accepts);
 * `role: 'node'` methods answer node connections only (protocol.md §6).
 */
export type MethodAccess =
  | { scope: OperatorScope; sessionScope?: 'operator.sessions.read' | 'operator.sessions.write' }
  | { scope: null }
  | { role: 'node' };

export type MethodDefinition<Params = unknown> = {
  access: MethodAccess;
  handler: (params: Params, ctx: MethodContext) => unknown;
  /**
   * The params schema. Core methods leave it out: theirs is `METHOD_PARAM_SCHEMAS[name]`, found in the schema
   * layer when it is first needed so start-up never loads TypeBox. A plugin passes its own.
   */
  schema?: TSchema;
  /** Answer retryable UNAVAILABLE until start-up finished (⏳ in protocol.md §6). */
  requiresReady?: boolean;
  /** `false`: callable but left out of `hello-ok.features.methods` (protocol.md §6 †). */
  advertised?: boolean;
};

export type EventDefinition = {
  /** `null`: every authenticated client receives it. */
  scope: OperatorScope | null;
  /**
   * May be skipped for a client whose send buffer is over the limit (it sees a `seq` gap) rather than closing
   * that client. A function decides per payload (stream deltas drop, final states never do).
   */
  droppable?: boolean | ((payload: unknown) => boolean);
  /** Carries the `{presence, health}` counters, so a client can tell it missed a snapshot. */
  stateVersion?: boolean;
  /** `false`: emitted but left out of `hello-ok.features.events`. */
  advertised?: boolean;
};

export type RouteDefinition = {
  /** Names the route in logs and errors. */
  name: string;
  /** `bearer`: the shared secret as `Authorization: Bearer …`, counted against the failed-auth limit. */
  auth: 'none' | 'bearer';
  /** Is this path (without the query) this route's? Checked before auth, in registration order. */
  match(ctx: GatewayContext, path: string, req: IncomingMessage): boolean;
  handle(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string): void;
  /** Consulted after every other route (the Control UI, which may own `/`). */
  fallback?: boolean;
};

/** The start-up phase a service starts in (shared/seed: early runtime, plugin bootstrap, post-attach runtime). */
export type ServicePhase = 'early-runtime' | 'plugin-bootstrap' | 'post-attach';

export type ServiceDefinition = {
  name: string;
  phase: ServicePhase;
  /** Listed in `/readyz` `failing` until it started (or failed cleanly, which is logged and reported). */
  requiredForReady?: boolean;
  start(ctx: GatewayContext): void | Promise<void>;
  /** Gets the context `start` got, so a module shared by several gateways (tests) keeps no state of its own. */
  stop(ctx: GatewayContext): void | Promise<void>;
};

export type ServiceState = {
  name: string;
  state: 'pending' | 'running' | 'failed' | 'stopped';
  error?: string;
};

/** A method table; `defineMethods` (method-types.ts) types each handler's params from its schema. */
export type MethodDefinitions = Record<string, MethodDefinition<never>>;

/**
 * What one part of the gateway contributes: a core namespace or a plugin. Both register through
 * `GatewayRegistry.register`, so nothing the core serves is out of a plugin's reach or declared elsewhere.
 */
export type GatewayModule = {
  /** The namespace or plugin id (named in clash errors and logs). */
  id: string;
  methods?: MethodDefinitions;
  events?: Record<string, EventDefinition>;
  routes?: RouteDefinition[];
  services?: ServiceDefinition[];
  /** Messaging networks (built-in or a plugin's `api.registerChannel`); the channel manager runs them. */
  channels?: ChannelAdapter[];
  /**
   * Contracts a client may rely on (`hello-ok.features.capabilities`, OpenClaw's names): declared by the module
   * that honours them, so none is advertised without the code behind it.
   */
  capabilities?: readonly string[];
};

/**
 * Everything the gateway serves, in one place: methods, events, HTTP routes and services. The core's namespaces
 * register here exactly as a plugin does; authorization, dispatch, `hello-ok.features`, broadcast, the HTTP
 * router, `/readyz` and the docs test all read it.
 */
export class GatewayRegistry {
  readonly #methods = new Map<string, MethodDefinition>();
  readonly #events = new Map<string, EventDefinition>();
  readonly #routes: RouteDefinition[] = [];
  readonly #services: { definition: ServiceDefinition; state: ServiceState }[] = [];
  readonly #capabilities: string[] = [];
  readonly #channels = new Map<string, { owner: string; adapter: ChannelAdapter }>();
  /** Computed once per change: every `hello-ok` and HTTP request reads them. */
  #advertised: { methods: readonly string[]; events: readonly string[] } | undefined;
  #orderedRoutes: readonly RouteDefinition[] | undefined;

  register(module: GatewayModule): void {
    if (module.methods) this.registerMethods(module.id, module.methods);
    if (module.events) this.registerEvents(module.id, module.events);
    for (const route of module.routes ?? []) this.registerRoute(route);
    for (const service of module.services ?? []) this.registerService(service);
    for (const adapter of module.channels ?? []) this.registerChannel(module.id, adapter);
    for (const capability of module.capabilities ?? []) {
      if (!this.#capabilities.includes(capability)) this.#capabilities.push(capability);
    }
  }

  /**
   * Takes back what `register(module)` added, for a plugin disabled or replaced while the gateway runs: its
   * methods, events, routes and channels, each only while it is still the module's own. Services are not taken
   * back; a plugin's are started and stopped by the plugin host, not listed here.
   */
  unregister(module: GatewayModule): void {
    for (const [name, definition] of Object.entries(module.methods ?? {})) {
      if (this.#methods.get(name) === definition) this.#methods.delete(name);
    }
    for (const [name, definition] of Object.entries(module.events ?? {})) {
      if (this.#events.get(name) === definition) this.#events.delete(name);
    }
    for (const route of module.routes ?? []) {
      const index = this.#routes.indexOf(route);
      if (index >= 0) this.#routes.splice(index, 1);
    }
    for (const adapter of module.channels ?? []) {
      if (this.#channels.get(adapter.id)?.adapter === adapter) this.#channels.delete(adapter.id);
    }
    this.#advertised = undefined;
    this.#orderedRoutes = undefined;
  }

  /** `owner` names who registers (core namespace or plugin id), so a clash says who collided. */
  registerMethods(owner: string, methods: MethodDefinitions): void {
    for (const [name, definition] of Object.entries(methods)) {
      if (this.#methods.has(name)) throw new Error(`${owner}: gateway method ${name} is registered twice`);
      this.#methods.set(name, definition as MethodDefinition);
    }
    this.#advertised = undefined;
  }

  registerEvents(owner: string, events: Record<string, EventDefinition>): void {
    for (const [name, definition] of Object.entries(events)) {
      if (this.#events.has(name)) throw new Error(`${owner}: gateway event ${name} is registered twice`);
      this.#events.set(name, definition);
    }
    this.#advertised = undefined;
  }

  registerChannel(owner: string, adapter: ChannelAdapter): void {
    const existing = this.#channels.get(adapter.id);
    if (existing) {
      throw new Error(`${owner}: channel ${adapter.id} is already registered by ${existing.owner}`);
    }
    this.#channels.set(adapter.id, { owner, adapter });
  }

  /** The registered channels in registration order, each with who registered it. */
  channels(): readonly { owner: string; adapter: ChannelAdapter }[] {
    return [...this.#channels.values()];
  }

  registerRoute(route: RouteDefinition): void {
    if (this.#routes.some((other) => other.name === route.name))
      throw new Error(`HTTP route ${route.name} is registered twice`);
    this.#routes.push(route);
    this.#orderedRoutes = undefined;
  }

  registerService(service: ServiceDefinition): void {
    if (this.#services.some((entry) => entry.definition.name === service.name))
      throw new Error(`service ${service.name} is registered twice`);
    this.#services.push({ definition: service, state: { name: service.name, state: 'pending' } });
  }

  method(name: string): MethodDefinition | undefined {
    return this.#methods.get(name);
  }

  event(name: string): EventDefinition | undefined {
    return this.#events.get(name);
  }

  methodNames(): string[] {
    return [...this.#methods.keys()];
  }

  eventNames(): string[] {
    return [...this.#events.keys()];
  }

  /** What `hello-ok.features.methods` advertises: exactly what answers, minus the unadvertised. */
  advertisedMethods(): readonly string[] {
    return this.#advertisedLists().methods;
  }

  capabilities(): readonly string[] {
    return this.#capabilities;
  }

  advertisedEvents(): readonly string[] {
    return this.#advertisedLists().events;
  }

  #advertisedLists() {
    this.#advertised ??= {
      methods: [...this.#methods].filter(([, method]) => method.advertised !== false).map(([name]) => name),
      events: [...this.#events].filter(([, event]) => event.advertised !== false).map(([name]) => name),
    };
    return this.#advertised;
  }

  /** Ordinary routes in registration order, then the fallbacks. */
  routes(): readonly RouteDefinition[] {
    this.#orderedRoutes ??= [
      ...this.#routes.filter((route) => !route.fallback),
      ...this.#routes.filter((route) => route.fallback),
    ];
    return this.#orderedRoutes;
  }

  services(): readonly ServiceState[] {
    return this.#services.map((entry) => entry.state);
  }

  /**
   * Starts the phase's services in registration order. A service that throws is marked failed (and, when
   * required for ready, stays listed by `/readyz`); the others still start.
   */
  async startServices(ctx: GatewayContext, phase: ServicePhase): Promise<void> {
    for (const entry of this.#services) {
      if (entry.definition.phase !== phase || entry.state.state !== 'pending') continue;
      const required = entry.definition.requiredForReady === true;
      if (required) ctx.readiness.setFailing(entry.definition.name, true);
      try {
        await entry.definition.start(ctx);
        entry.state = { name: entry.definition.name, state: 'running' };
        if (required) ctx.readiness.setFailing(entry.definition.name, false);
      } catch (error) {
        entry.state = { name: entry.definition.name, state: 'failed', error: (error as Error).message };
        ctx.logger.error(`service ${entry.definition.name} failed to start`, {
          error: (error as Error).stack,
        });
      }
    }
  }

  /** Stops the phase's running services in reverse order; a failing stop is logged and the rest still stop. */
  async stopServices(
    ctx: GatewayContext,
    phase: ServicePhase,
    log: (message: string, error: Error) => void,
  ): Promise<void> {
    for (const entry of [...this.#services].reverse()) {
      if (entry.definition.phase !== phase || entry.state.state !== 'running') continue;
      try {
        await entry.definition.stop(ctx);
      } catch (error) {
        log(`stopping ${entry.definition.name} failed`, error as Error);
      }
      entry.state = { name: entry.definition.name, state: 'stopped' };
    }
  }
}
