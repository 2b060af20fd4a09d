import { describeToolSource } from '../agents/tools/tool-registry.ts';
import { loadSchemas } from '../protocol/validators.ts';
import { openClawMethodScope } from '../server/authz/openclaw-methods.ts';
import type { GatewayContext } from '../server/context.ts';
import type { GatewayModule } from '../server/registry.ts';
import { within } from '../within.ts';
import type { PluginEntryDefinition, PluginService, PluginServiceContext } from './api.ts';
import { discoverPlugins, type FoundPlugin } from './discovery.ts';
import { probeRequests } from './http-route.ts';
import type { PluginManifest } from './manifest.ts';
import { addPluginRoot, entryUrl, nextGeneration } from './module-hooks.ts';
import {
  createPluginApi,
  type PluginApiInput,
  type PluginEvents,
  type StagedPlugin,
  serviceContext,
} from './plugin-api.ts';
import { checkPluginConfig } from './plugin-config.ts';
import type { PluginHostControl, PluginRecord, PluginSystem } from './plugin-system.ts';
import { disabledReason, pluginsConfigured } from './policy.ts';

/** One running plugin: what it registered and the services it started. */
type Instance = {
  id: string;
  manifest: PluginManifest;
  /** Root, manifest and config it was loaded with: a different one means loading it again. */
  fingerprint: string;
  staged: StagedPlugin;
  input: PluginApiInput;
  events: PluginEvents;
  services: { service: PluginService; ctx: PluginServiceContext }[];
  /** Takes its tools back out of the gateway's one tool registry. */
  unregisterTools: (() => void)[];
};

type Wanted = { found: FoundPlugin; reason: string | undefined; fingerprint: string };
type Loaded = { input: PluginApiInput; staged: StagedPlugin; events: PluginEvents; startedAt: number };

const readinessName = (id: string) => `plugin:${id}`;

/** Settles with `work`, or rejects with `message` once `ms` have passed (the work itself cannot be cancelled). */
/** The default export of an entry file: `definePluginEntry(...)`'s object, or a bare `register` function. */
function entryDefinition(
  module: Record<string, unknown>,
  manifest: PluginManifest,
  file: string,
): PluginEntryDefinition {
  const exported = module.default;
  if (typeof exported === 'function')
    return { id: manifest.id, register: exported as PluginEntryDefinition['register'] };
  const definition = exported as Partial<PluginEntryDefinition> | undefined;
  if (!definition || typeof definition.register !== 'function') {
    throw new Error(`${file} must export default definePluginEntry({ ..., register(api) { … } })`);
  }
  if (definition.id !== undefined && definition.id !== manifest.id) {
    throw new Error(`${file} says id ${definition.id} but openclaw.plugin.json says ${manifest.id}`);
  }
  return definition as PluginEntryDefinition;
}

/**
 * The plugin loader (imported only once a plugin is configured). It finds plugins under `plugins.load.paths`,
 * loads the enabled ones in parallel (each within `plugins.load.timeoutMs`: config check, import, `register`,
 * service starts), commits each plugin's registrations to the registry whole or not at all, and keeps the
 * records `plugins.list` answers. A plugin that fails is disabled with one log line and a `/readyz` entry.
 * Config changes, `plugins.refresh` and `plugins.reload` go through the same steps, one at a time.
 */
export class PluginHost implements PluginHostControl {
  readonly #ctx: GatewayContext;
  readonly #system: PluginSystem;
  readonly #instances = new Map<string, Instance>();
  /** Why a plugin is not running though wanted, and the inputs that failed (not retried until they change). */
  readonly #failures = new Map<string, { message: string; fingerprint: string }>();
  /** Plugins owning channels are loaded at start-up only; a later change to one waits for a restart. */
  readonly #pendingRestart = new Set<string>();
  readonly #coreNamespaces: ReadonlySet<string>;
  readonly #loggedDiagnostics = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  #applied = false;
  #closed = false;

  constructor(ctx: GatewayContext, system: PluginSystem) {
    this.#ctx = ctx;
    this.#system = system;
    // Every namespace the core serves when plugins load is the core's; a plugin may not add to it.
    this.#coreNamespaces = new Set(ctx.registry.methodNames().map((name) => name.split('.')[0] as string));
  }

  refresh(): Promise<void> {
    return this.#serial(() => this.#apply({ force: new Set(), retry: true }));
  }

  reconcile(): Promise<void> {
    return this.#serial(() => this.#apply({ force: new Set(), retry: false }));
  }

  reload(ids: readonly string[]): Promise<void> {
    return this.#serial(() => this.#apply({ force: new Set(ids), retry: true }));
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      this.#closed = true;
      for (const instance of [...this.#instances.values()].reverse()) await this.#unload(instance);
    });
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => (this.#closed ? (undefined as T) : work()));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #reservedMethod = (name: string): string | undefined => {
    if (openClawMethodScope(name) !== undefined) return 'it is an OpenClaw core method';
    const namespace = name.split('.')[0] as string;
    return this.#coreNamespaces.has(namespace) ? `${namespace}.* is a core namespace` : undefined;
  };

  async #apply(options: { force: ReadonlySet<string>; retry: boolean }): Promise<void> {
    const ctx = this.#ctx;
    const plugins = ctx.configState.config.plugins;
    const discovery = pluginsConfigured(plugins)
      ? discoverPlugins(plugins.load.paths, ctx.paths.configPath)
      : { plugins: [], diagnostics: [] };
    this.#system.diagnostics = discovery.diagnostics;
    for (const diagnostic of discovery.diagnostics) {
      if (this.#loggedDiagnostics.has(diagnostic.message)) continue;
      this.#loggedDiagnostics.add(diagnostic.message);
      ctx.logger[diagnostic.level](`plugins: ${diagnostic.message}`);
    }
    const wanted = new Map<string, Wanted>();
    for (const found of discovery.plugins) {
      const config = plugins.entries[found.id]?.config ?? null;
      const hash = 'manifest' in found ? found.manifest.hash : found.error;
      wanted.set(found.id, {
        found,
        reason: disabledReason(plugins, found.id),
        fingerprint: JSON.stringify([found.rootDir, hash, config]),
      });
    }

    let changed = false;
    for (const instance of [...this.#instances.values()].reverse()) {
      const want = wanted.get(instance.id);
      const stays =
        want !== undefined &&
        want.reason === undefined &&
        want.fingerprint === instance.fingerprint &&
        !options.force.has(instance.id);
      if (stays) {
        this.#pendingRestart.delete(instance.id);
        continue;
      }
      if (this.#ownsChannels(instance.manifest)) {
        this.#restartNeeded(instance.id);
        continue;
      }
      await this.#unload(instance);
      ctx.logger.info(
        `plugin ${instance.id} unloaded: ${want?.reason ?? (want ? 'to load it again' : 'no longer found')}`,
      );
      changed = true;
    }

    const toLoad: Wanted[] = [];
    for (const want of wanted.values()) {
      const { id } = want.found;
      if (this.#instances.has(id)) continue;
      if (want.reason !== undefined) {
        this.#clearFailure(id);
        this.#pendingRestart.delete(id);
        continue;
      }
      if ('error' in want.found) {
        this.#fail(id, want.found.rootDir, want.found.error, want.fingerprint);
        continue;
      }
      const previous = this.#failures.get(id);
      if (previous && previous.fingerprint === want.fingerprint && !options.retry && !options.force.has(id))
        continue;
      if (this.#afterStartup() && this.#ownsChannels(want.found.manifest)) {
        this.#restartNeeded(id);
        continue;
      }
      toLoad.push(want);
    }
    for (const id of this.#failures.keys()) if (!wanted.has(id)) this.#clearFailure(id);

    if (toLoad.length > 0) {
      changed = true;
      await this.#loadAll(toLoad);
    }
    this.#rebuildRecords(wanted);
    if (changed || !this.#applied) this.#system.generation += 1;
    if (changed && this.#afterStartup()) {
      ctx.events.broadcast('plugins.changed', { generation: this.#system.generation });
    }
    this.#applied = true;
  }

  /** Start-up is over: the channel manager has started the channels it will start without a restart. */
  #afterStartup(): boolean {
    return this.#ctx.readiness.started;
  }

  #ownsChannels(manifest: PluginManifest): boolean {
    return manifest.channels.length > 0;
  }

  #restartNeeded(id: string): void {
    if (this.#pendingRestart.has(id)) return;
    this.#pendingRestart.add(id);
    this.#ctx.logger.info(`plugin ${id}: owns a channel, so this change applies after a restart`);
  }

  /** Loads in parallel, commits in discovery order (so which of two clashing plugins wins never depends on timing). */
  async #loadAll(toLoad: Wanted[]): Promise<void> {
    const { readiness } = this.#ctx;
    for (const want of toLoad) readiness.setFailing(readinessName(want.found.id), true);
    const timeoutMs = this.#ctx.configState.config.plugins.load.timeoutMs;
    // The schema layer (config checks) is the gateway's cost, not the plugins': loaded before their clocks start.
    await loadSchemas();
    const results = await Promise.all(
      toLoad.map((want) =>
        this.#load(want, timeoutMs).then(
          (loaded) => ({ want, loaded }),
          (error: unknown) => ({ want, error: error as Error }),
        ),
      ),
    );
    const committed: { want: Wanted; instance: Instance; startedAt: number }[] = [];
    for (const result of results) {
      const { id, rootDir } = result.want.found;
      if ('error' in result) {
        this.#fail(id, rootDir, result.error.message, result.want.fingerprint, result.error);
        continue;
      }
      try {
        committed.push({
          want: result.want,
          instance: this.#commit(result.want, result.loaded),
          startedAt: result.loaded.startedAt,
        });
      } catch (error) {
        this.#fail(id, rootDir, (error as Error).message, result.want.fingerprint);
      }
    }
    await Promise.all(
      committed.map(async ({ want, instance, startedAt }) => {
        try {
          await this.#startServices(instance, startedAt + timeoutMs - performance.now());
          this.#clearFailure(instance.id);
          this.#logLoaded(instance, performance.now() - startedAt);
        } catch (error) {
          await this.#unload(instance);
          this.#fail(
            instance.id,
            want.found.rootDir,
            (error as Error).message,
            want.fingerprint,
            error as Error,
          );
        }
      }),
    );
    for (const want of toLoad) readiness.setFailing(readinessName(want.found.id), false);
  }

  /** Config check, import and `register(api)`, within the plugin's time. Nothing is committed here. */
  async #load(want: Wanted, timeoutMs: number): Promise<Loaded> {
    const startedAt = performance.now();
    const manifest = (want.found as { manifest: PluginManifest }).manifest;
    let abandoned = false;
    const work = (async () => {
      const ctx = this.#ctx;
      const pluginConfig = await checkPluginConfig(
        manifest,
        ctx.configState.config.plugins.entries[manifest.id]?.config,
      );
      addPluginRoot(manifest.rootDir);
      const generation = nextGeneration();
      let made: ReturnType<typeof createPluginApi> | undefined;
      let input: PluginApiInput | undefined;
      for (const file of manifest.entries) {
        const module = (await import(entryUrl(file, generation))) as Record<string, unknown>;
        if (abandoned) throw new Error('abandoned');
        const definition = entryDefinition(module, manifest, file);
        input ??= { ctx, manifest, entryFile: file, pluginConfig, reservedMethod: this.#reservedMethod };
        made ??= createPluginApi(input);
        await definition.register(made.api);
      }
      if (!made || !input) throw new Error(`${manifest.rootDir}: no entry to load`);
      made.seal();
      return { input, staged: made.staged, events: made.events, startedAt };
    })();
    try {
      return await within(work, timeoutMs, `did not load within ${timeoutMs} ms (plugins.load.timeoutMs)`);
    } catch (error) {
      // A hung import or register cannot be stopped; whatever it registers later is dropped with this staging.
      abandoned = true;
      throw error;
    }
  }

  /** Checks every registration against what is already served, then registers them all (one synchronous step). */
  #commit(want: Wanted, loaded: Loaded): Instance {
    const { staged } = loaded;
    const clash = this.#clash(staged);
    if (clash) throw new Error(clash);
    const manifest = (want.found as { manifest: PluginManifest }).manifest;
    this.#ctx.registry.register(staged.module as GatewayModule);
    const unregisterTools = staged.tools.map((tool) => this.#ctx.tools.register(tool));
    staged.live = true;
    const instance: Instance = {
      id: manifest.id,
      manifest,
      fingerprint: want.fingerprint,
      staged,
      input: loaded.input,
      events: loaded.events,
      services: [],
      unregisterTools,
    };
    this.#instances.set(manifest.id, instance);
    return instance;
  }

  #ownerOfMethod(name: string): string {
    for (const instance of this.#instances.values()) {
      if (Object.hasOwn(instance.staged.module.methods, name)) return `plugin ${instance.id}`;
    }
    return 'the gateway';
  }

  #clash(staged: StagedPlugin): string | undefined {
    const { registry } = this.#ctx;
    for (const name of Object.keys(staged.module.methods)) {
      if (registry.method(name))
        return `gateway method ${name} is already registered by ${this.#ownerOfMethod(name)}`;
    }
    for (const name of Object.keys(staged.module.events)) {
      if (registry.event(name)) return `gateway event ${name} is already registered`;
    }
    for (const route of staged.routes) {
      for (const existing of registry.routes()) {
        if (existing.fallback) continue;
        for (const probe of probeRequests(route)) {
          let claimed = false;
          try {
            claimed = existing.match(this.#ctx, probe.path, probe.req);
          } catch {
            claimed = false;
          }
          if (claimed) return `HTTP route ${route.path} clashes with the route ${existing.name}`;
        }
      }
    }
    for (const adapter of staged.module.channels) {
      const owner = registry.channels().find((entry) => entry.adapter.id === adapter.id)?.owner;
      if (owner) return `channel ${adapter.id} is already registered by ${owner}`;
    }
    for (const tool of staged.tools) {
      const existing = this.#ctx.tools.registrations().find((entry) => entry.name === tool.name);
      if (existing)
        return `tool ${tool.name} is already registered by ${describeToolSource(existing.source)}`;
    }
    return undefined;
  }

  async #startServices(instance: Instance, remainingMs: number): Promise<void> {
    const deadline = performance.now() + remainingMs;
    const timeoutMs = this.#ctx.configState.config.plugins.load.timeoutMs;
    const name = readinessName(instance.id);
    const health = {
      reportFailure: (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.#ctx.readiness.setDegraded(name, message);
        this.#ctx.logger.warn(`plugin ${instance.id}: service reports failure: ${message}`);
      },
      clearFailure: () => this.#ctx.readiness.setDegraded(name, undefined),
    };
    for (const service of instance.staged.services) {
      const ctx = serviceContext(instance.input, instance.events, health);
      try {
        await within(
          Promise.resolve().then(() => service.start(ctx)),
          deadline - performance.now(),
          `service ${service.id} did not start within ${timeoutMs} ms (plugins.load.timeoutMs)`,
        );
      } catch (error) {
        const message = (error as Error).message;
        throw new Error(
          message.startsWith('service ') ? message : `service ${service.id} failed to start: ${message}`,
        );
      }
      instance.services.push({ service, ctx });
    }
  }

  /** Stops the services (newest first), then takes back every registration. */
  async #unload(instance: Instance): Promise<void> {
    const timeoutMs = this.#ctx.configState.config.plugins.load.timeoutMs;
    for (const { service, ctx } of [...instance.services].reverse()) {
      try {
        await within(
          Promise.resolve().then(() => service.stop?.(ctx)),
          timeoutMs,
          `did not stop within ${timeoutMs} ms`,
        );
      } catch (error) {
        this.#ctx.logger.warn(
          `plugin ${instance.id}: service ${service.id} stop failed: ${(error as Error).message}`,
        );
      }
    }
    instance.services = [];
    instance.staged.live = false;
    this.#ctx.registry.unregister(instance.staged.module as GatewayModule);
    for (const unregister of instance.unregisterTools.splice(0)) unregister();
    this.#instances.delete(instance.id);
    this.#ctx.readiness.setDegraded(readinessName(instance.id), undefined);
  }

  /** The one log line and `/readyz` entry of a plugin that could not be loaded. */
  #fail(id: string, rootDir: string, message: string, fingerprint: string, error?: Error): void {
    const previous = this.#failures.get(id);
    this.#failures.set(id, { message, fingerprint });
    this.#ctx.readiness.setDegraded(readinessName(id), message);
    if (previous?.message === message && previous.fingerprint === fingerprint) return;
    this.#ctx.logger.error(`plugin ${id} disabled: ${message}`, {
      plugin: id,
      rootDir,
      ...(error?.stack && !message.includes('within') ? { stack: error.stack } : {}),
    });
  }

  #clearFailure(id: string): void {
    if (!this.#failures.delete(id)) return;
    this.#ctx.readiness.setDegraded(readinessName(id), undefined);
  }

  #logLoaded(instance: Instance, ms: number): void {
    const { staged } = instance;
    const counts = [
      [Object.keys(staged.module.methods).length, 'method'],
      [staged.routes.length, 'route'],
      [staged.services.length, 'service'],
      [staged.tools.length, 'tool'],
      [staged.module.channels.length, 'channel'],
    ]
      .filter(([count]) => (count as number) > 0)
      .map(([count, what]) => `${count} ${what}${count === 1 ? '' : 's'}`);
    this.#ctx.logger.info(
      `plugin ${instance.id} loaded in ${Math.round(ms)} ms${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`,
      { plugin: instance.id },
    );
  }

  #rebuildRecords(wanted: ReadonlyMap<string, Wanted>): void {
    const records = this.#system.records;
    records.clear();
    for (const { found, reason } of wanted.values()) {
      const instance = this.#instances.get(found.id);
      const failure = this.#failures.get(found.id);
      const manifest = 'manifest' in found ? found.manifest : undefined;
      const staged = instance?.staged;
      const record: PluginRecord = {
        id: found.id,
        name: manifest?.name ?? found.id,
        ...(manifest?.description !== undefined ? { description: manifest.description } : {}),
        ...(manifest?.version !== undefined ? { version: manifest.version } : {}),
        ...(manifest?.packageName !== undefined ? { packageName: manifest.packageName } : {}),
        rootDir: found.rootDir,
        enabled: reason === undefined,
        state: instance ? 'enabled' : failure ? 'error' : 'disabled',
        ...(failure && !instance ? { error: failure.message } : {}),
        declared: {
          channels: manifest?.channels ?? [],
          tools: manifest?.tools ?? [],
          contracts: Object.keys(manifest?.contracts ?? {}),
          cliCommands: staged?.cliCommands ?? [],
        },
        registered: {
          tools: staged?.tools.map((tool) => tool.name) ?? [],
          channels: staged?.module.channels.map((adapter) => adapter.id) ?? [],
        },
        pendingRestart: this.#pendingRestart.has(found.id),
        manifestHash: manifest?.hash ?? '',
      };
      records.set(found.id, record);
    }
  }
}
