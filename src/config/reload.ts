import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { writeFileAtomic } from '../storage/atomic-file.ts';
import { ConfigError } from './config-error.ts';
import { anyChanged, changedPaths } from './diff.ts';
import { checkHookTokenReuse } from './hooks-check.ts';
import {
  buildConfig,
  type ConfigOverrides,
  hashConfigText,
  parseConfigText,
  readConfigText,
  validateConfigFile,
} from './load.ts';
import type { GatewayConfig } from './types.ts';

/** The live config and the file it came from; a reload replaces them together. */
export type ConfigState = {
  config: GatewayConfig;
  file: Record<string, unknown>;
  /** The file's text as last read or written, and its SHA-256 (`baseHash` for config.set/patch/apply). */
  text: string;
  hash: string;
  exists: boolean;
};

export type ConfigChangeSource = 'file' | 'config.set' | 'config.patch' | 'config.apply';

export type ConfigChange = {
  readonly before: GatewayConfig;
  readonly after: GatewayConfig;
  /** Two-level dotted paths of the file that changed (`gateway.auth`, `logging.level`). */
  readonly changedPaths: readonly string[];
  /** Settings in this change that take effect only on restart. */
  readonly restartRequired: readonly string[];
  readonly source: ConfigChangeSource;
};

/** Applies its part of a change live. A subscriber that throws is logged; the others still run. */
export type ConfigSubscriber = (change: ConfigChange) => void;

/**
 * Settings read once at start-up: the listener (port, bind, TLS) and the Control UI's root and base path. A
 * change to one is kept in the config but reported as pending restart until the process restarts.
 */
export const RESTART_REQUIRED_KEYS = [
  'gateway.port',
  'gateway.bind',
  'gateway.tls',
  'gateway.controlUi',
  'gateway.tailscale',
  'discovery.wideArea',
] as const;

/** Editors write through temp files and renames; the file is read once the churn has settled. */
const WATCH_DEBOUNCE_MS = 100;
/** When the directory cannot be watched (network file systems, inotify limits), the file is polled. */
const WATCH_POLL_MS = 1_000;

export type ConfigReloaderOptions = {
  state: ConfigState;
  configPath: string;
  env: NodeJS.ProcessEnv;
  overrides: ConfigOverrides;
  logger: Logger;
  /** Told of every applied change after the subscribers ran (it broadcasts `config.changed`). */
  onApplied?: (change: ConfigChange, state: ConfigState) => void;
};

/**
 * Live configuration: one path from a changed file or a config write to the running gateway. A candidate is
 * parsed, validated, built and diffed; only then is it swapped in and each subscriber applies its part. An
 * invalid external edit keeps the last good config and is logged by key; config writes reject it before
 * anything touches the disk.
 */
export class ConfigReloader {
  readonly #options: ConfigReloaderOptions;
  readonly #subscribers: ConfigSubscriber[] = [];
  /** The config the process started with: restart-required keys are compared against it. */
  readonly #startedWith: GatewayConfig;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  /** Serialises reloads and writes, so two edits never interleave their read-validate-swap. */
  #queue: Promise<unknown> = Promise.resolve();
  #watchFiles = false;
  #stopped = false;

  constructor(options: ConfigReloaderOptions) {
    this.#options = options;
    this.#startedWith = options.state.config;
  }

  get state(): ConfigState {
    return this.#options.state;
  }

  subscribe(subscriber: ConfigSubscriber): () => void {
    this.#subscribers.push(subscriber);
    return () => {
      const index = this.#subscribers.indexOf(subscriber);
      if (index >= 0) this.#subscribers.splice(index, 1);
    };
  }

  /** Changed settings that wait for a restart (compared with what the process started with). */
  pendingRestart(): string[] {
    return RESTART_REQUIRED_KEYS.filter((key) =>
      anyChanged(this.#startedWith, this.#options.state.config, [key]),
    );
  }

  /**
   * Watches the config file; `applyFileEdits: false` (`gateway.reload.mode: "off"`) still validates and logs
   * edits but leaves them for a restart.
   */
  watch(applyFileEdits: boolean): void {
    this.#watchFiles = applyFileEdits;
    const path = this.#options.configPath;
    try {
      // The directory, not the file: an atomic rename replaces the file's inode and a file watch goes deaf.
      this.#watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name === null || name === basename(path)) this.#scheduleCheck();
      });
      this.#watcher.on('error', (error) => {
        this.#options.logger.warn(`config watch failed, polling instead: ${error.message}`);
        this.#watcher?.close();
        this.#watcher = undefined;
        this.#startPolling();
      });
    } catch (error) {
      this.#options.logger.info(`config directory not watchable, polling: ${(error as Error).message}`);
      this.#startPolling();
    }
  }

  #startPolling(): void {
    if (this.#stopped || this.#poll) return;
    this.#poll = setInterval(() => this.#scheduleCheck(), WATCH_POLL_MS);
    this.#poll.unref();
  }

  #scheduleCheck(): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.checkFile().catch((error: unknown) =>
        this.#options.logger.error('config reload failed', { error: (error as Error).stack }),
      );
    }, WATCH_DEBOUNCE_MS);
    this.#debounce.unref();
  }

  /** Reads the file now and applies it if it changed and is valid. Resolves once done (tests, SIGHUP). */
  checkFile(): Promise<ConfigChange | undefined> {
    return this.#serial(async () => {
      const { configPath, logger } = this.#options;
      let text: string;
      let exists: boolean;
      try {
        ({ text, exists } = readConfigText(configPath));
      } catch (error) {
        logger.warn(`config reload skipped: ${(error as Error).message}`);
        return undefined;
      }
      // Our own writes set the hash first, so they are not applied twice.
      if (hashConfigText(text) === this.#options.state.hash) return undefined;
      let file: Record<string, unknown>;
      let config: GatewayConfig;
      try {
        file = parseConfigText(text, configPath);
        ({ file, config } = await this.#candidate(file));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        logger.warn(`config reload skipped (invalid config); keeping the last good config: ${error.message}`);
        return undefined;
      }
      if (!this.#watchFiles) {
        logger.info('config file changed; gateway.reload.mode is "off": restart to apply it');
        return undefined;
      }
      return this.#swap(file, config, text, exists, 'file');
    });
  }

  /**
   * A config write (config.set/patch/apply): validated and built before anything is written, then written
   * atomically and applied through the same path as a file edit. Throws ConfigError for an invalid candidate.
   */
  write(file: Record<string, unknown>, source: Exclude<ConfigChangeSource, 'file'>): Promise<ConfigChange> {
    return this.#serial(async () => {
      this.#refuseIfChangedOnDisk(source);
      const candidate = await this.#candidate(file);
      const text = `${JSON.stringify(candidate.file, null, 2)}\n`;
      writeFileAtomic(this.#options.configPath, text, 0o600);
      return this.#swap(candidate.file, candidate.config, text, true, source);
    });
  }

  /**
   * An edit on disk the gateway has not taken in (invalid, or `reload.mode: "off"`) would be overwritten by a write
   * computed from the older config: refuse instead, so the operator's edit is never lost.
   */
  #refuseIfChangedOnDisk(source: string): void {
    const { configPath, state } = this.#options;
    let onDisk: string;
    try {
      onDisk = readConfigText(configPath).text;
    } catch {
      return;
    }
    if (hashConfigText(onDisk) === state.hash) return;
    throw new GatewayError(
      'INVALID_REQUEST',
      `${source} refused: ${configPath} was edited on disk and that edit is not applied (invalid, or gateway.reload.mode is "off"); fix the file or restart, then call config.get again`,
      { details: { code: 'CONFIG_BASE_HASH_MISMATCH' } },
    );
  }

  async #candidate(
    file: Record<string, unknown>,
  ): Promise<{ file: Record<string, unknown>; config: GatewayConfig }> {
    const { configPath, env, overrides } = this.#options;
    if (Object.keys(file).length > 0) await validateConfigFile(file, configPath);
    const config = buildConfig(file, env, overrides);
    // The generated token lives outside the file; a file without a token keeps it.
    if (config.gateway.auth.mode === 'token' && config.gateway.auth.token === undefined) {
      config.gateway.auth.token = this.#options.state.config.gateway.auth.token;
      checkHookTokenReuse(config);
    }
    return { file, config };
  }

  #swap(
    file: Record<string, unknown>,
    config: GatewayConfig,
    text: string,
    exists: boolean,
    source: ConfigChangeSource,
  ): ConfigChange {
    const { state, logger } = this.#options;
    const before = state.config;
    const change: ConfigChange = {
      before,
      after: config,
      changedPaths: changedPaths(state.file, file),
      restartRequired: RESTART_REQUIRED_KEYS.filter((key) => anyChanged(before, config, [key])),
      source,
    };
    Object.assign(state, { config, file, text, hash: hashConfigText(text), exists });
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(change);
      } catch (error) {
        logger.error('applying a config change failed', { source, error: (error as Error).stack });
      }
    }
    logger.info(`config applied from ${source}`, {
      changedPaths: change.changedPaths,
      ...(change.restartRequired.length > 0 ? { pendingRestart: change.restartRequired } : {}),
    });
    this.#options.onApplied?.(change, state);
    return change;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.#stopped = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
  }
}
