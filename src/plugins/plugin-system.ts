import type { GatewayContext } from '../server/context.ts';
import { pluginsConfigured } from './policy.ts';

/** OpenClaw's plugin states (`plugins.list`): `not-installed` is a `plugins.entries` id no plugin answers to. */
export type PluginState = 'enabled' | 'disabled' | 'error' | 'not-installed';

/** One plugin as `plugins.list` / `plugins.inspect` report it: plain data, rebuilt by the loader. */
export type PluginRecord = {
  id: string;
  name: string;
  description?: string;
  version?: string;
  packageName?: string;
  /** Where it was found (the folder holding `openclaw.plugin.json`). */
  rootDir: string;
  /** Config says it should run. */
  enabled: boolean;
  state: Exclude<PluginState, 'not-installed'>;
  error?: string;
  /** What the manifest declares (`channels`, `contracts.tools`, contract kinds, CLI commands). */
  declared: { channels: string[]; tools: string[]; contracts: string[]; cliCommands: string[] };
  /** What the running instance registered (also reported by `plugins.inspect`). */
  registered: { tools: string[]; channels: string[] };
  /** A change waits for a restart (the plugin owns a channel, which the channel manager starts at boot). */
  pendingRestart: boolean;
  /** SHA-256 of the manifest text: `plugins.inspect`'s review token. */
  manifestHash: string;
};

/** A plugin folder that could not be read (no id to file it under). */
export type PluginDiagnostic = { level: 'error' | 'warn'; message: string; source: string };

/** What the loader (loaded on demand) offers the methods. */
export type PluginHostControl = {
  /** Re-reads config and manifests and brings the running plugins in line (OpenClaw's `plugins.refresh`). */
  refresh(): Promise<void>;
  /** Applies the live config to the plugins it concerns. */
  reconcile(): Promise<void>;
  /** Loads these plugins' code again, keeping their enablement (`plugins.reload`). */
  reload(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
};

/**
 * The gateway's plugins (`ctx.plugins`): their records and the loader (their tools live in the gateway's one tool registry, `ctx.tools`), which is imported only once
 * a plugin is configured. Start-up with no plugin configured loads this file and nothing else of the feature.
 */
export class PluginSystem {
  readonly records = new Map<string, PluginRecord>();
  diagnostics: PluginDiagnostic[] = [];
  /** Moves on every applied change (OpenClaw's runtime generation, in `plugins.changed` and receipts). */
  generation = 0;
  #ctx: GatewayContext | undefined;
  #host: Promise<PluginHostControl> | undefined;
  #settled: Promise<void> = Promise.resolve();

  /** Called by the plugin-bootstrap phase: config changes under `plugins` apply live from then on. */
  attach(ctx: GatewayContext): void {
    this.#ctx = ctx;
    ctx.config.subscribe(({ before, after }) => {
      if (JSON.stringify(before.plugins) === JSON.stringify(after.plugins)) return;
      this.#track(async () => {
        const host = this.#host ?? (pluginsConfigured(after.plugins) ? this.host() : undefined);
        await (await host)?.reconcile();
      });
    });
  }

  /** The loader, imported and started on first use. */
  host(): Promise<PluginHostControl> {
    const ctx = this.#ctx;
    if (!ctx) return Promise.reject(new Error('plugins: the plugin system is not attached to a gateway'));
    this.#host ??= import('./loader.ts').then(
      ({ PluginHost }) => new PluginHost(ctx, this),
      (error: unknown) => {
        this.#host = undefined;
        throw error;
      },
    );
    return this.#host;
  }

  /** The loader if it was ever needed. */
  loadedHost(): Promise<PluginHostControl> | undefined {
    return this.#host;
  }

  /** Resolves once every change applied so far (config writes included) has been carried out. */
  settled(): Promise<void> {
    return this.#settled;
  }

  #track(work: () => Promise<void>): void {
    const run = this.#settled.then(work);
    this.#settled = run.catch((error: unknown) => {
      this.#ctx?.logger.error('plugins: applying a config change failed', { error: (error as Error).stack });
    });
  }

  async close(): Promise<void> {
    await this.#settled;
    await (await this.#host)?.close();
  }
}
