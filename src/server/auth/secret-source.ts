import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { ConfigError } from '../../config/config-error.ts';
import { readGatewayTokenFile } from '../../config/gateway-token.ts';
import {
  type ConfigOverrides,
  parseConfigText,
  type ResolvedAuth,
  readConfigText,
  resolveAuth,
} from '../../config/load.ts';
import { secretRefFile } from '../../config/secret-ref.ts';

export type CurrentAuth = ResolvedAuth & {
  /** Changes whenever the shared secret changes; sockets remember the one they authenticated with. */
  generation: number;
};

type Watched = { path: string; stamp: string };
type FileAuth = { mode?: ResolvedAuth['mode']; token?: string; password?: string };

function stamp(path: string): string {
  try {
    // Without throwIfNoEntry a missing file (the usual case for the token file) costs an Error per connect.
    const s = statSync(path, { throwIfNoEntry: false });
    return s ? `${s.mtimeMs}:${s.size}:${s.ino}` : 'missing';
  } catch {
    return 'missing';
  }
}

function fingerprint(auth: ResolvedAuth): string {
  return createHash('sha256')
    .update(`${auth.mode}\0${auth.token ?? ''}\0${auth.password ?? ''}`)
    .digest('hex');
}

/**
 * The shared secret, re-resolved for every connection so a rotated token takes effect at once. Re-resolving is
 * a few `stat` calls: the config file, the generated-token file and any `file:` secret are re-read only when
 * one of them changed. Flags stay fixed for the life of the process, as does the environment.
 */
export class AuthSecretSource {
  #configPath: string;
  #tokenPath: string;
  #env: NodeJS.ProcessEnv;
  #overrides: ConfigOverrides;
  #watched: Watched[] = [];
  #current: CurrentAuth;
  #fingerprint: string;
  #onError: (error: Error) => void;

  constructor(options: {
    configPath: string;
    tokenPath: string;
    env: NodeJS.ProcessEnv;
    overrides: ConfigOverrides;
    initial: ResolvedAuth;
    onError: (error: Error) => void;
  }) {
    this.#configPath = options.configPath;
    this.#tokenPath = options.tokenPath;
    this.#env = options.env;
    this.#overrides = options.overrides;
    this.#onError = options.onError;
    this.#current = { ...options.initial, generation: 1 };
    this.#fingerprint = fingerprint(options.initial);
    // The `file:` secret the gateway started with must be watched from the start, not only after a reload.
    let fileAuth: FileAuth | undefined;
    try {
      fileAuth = this.#readFileAuth();
    } catch {
      fileAuth = undefined;
    }
    this.#watched = this.#watchList(fileAuth);
  }

  #readFileAuth(): FileAuth {
    const { text } = readConfigText(this.#configPath);
    const file = parseConfigText(text, this.#configPath);
    return ((file.gateway as Record<string, unknown> | undefined)?.auth ?? {}) as FileAuth;
  }

  #watchList(fileAuth: { token?: string; password?: string } | undefined): Watched[] {
    const paths = [this.#configPath, this.#tokenPath];
    const refs = [secretRefFile(fileAuth?.token), secretRefFile(fileAuth?.password)];
    for (const ref of refs) if (ref) paths.push(ref);
    return paths.map((path) => ({ path, stamp: stamp(path) }));
  }

  /** The secret in force now; `changed` is true when it differs from what earlier sockets authenticated with. */
  current(): { auth: CurrentAuth; changed: boolean } {
    if (this.#watched.every((w) => stamp(w.path) === w.stamp)) return { auth: this.#current, changed: false };
    return this.reload();
  }

  /** Re-resolves now (after config.set, or when a watcher fires). A broken file keeps the previous secret. */
  reload(): { auth: CurrentAuth; changed: boolean } {
    try {
      const fileAuth = this.#readFileAuth();
      this.#watched = this.#watchList(fileAuth);
      const next = resolveAuth(fileAuth, this.#env, this.#overrides);
      if (next.mode === 'token' && next.token === undefined)
        next.token = readGatewayTokenFile(this.#tokenPath);
      const nextFingerprint = fingerprint(next);
      if (nextFingerprint === this.#fingerprint) return { auth: this.#current, changed: false };
      this.#fingerprint = nextFingerprint;
      this.#current = { ...next, generation: this.#current.generation + 1 };
      return { auth: this.#current, changed: true };
    } catch (error) {
      this.#watched = this.#watchList(undefined);
      if (error instanceof ConfigError) this.#onError(error);
      else this.#onError(error as Error);
      return { auth: this.#current, changed: false };
    }
  }
}
