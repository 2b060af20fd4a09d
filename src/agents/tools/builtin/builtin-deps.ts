import type { ProcessRegistry } from './process-registry.ts';
import type { HostResolver } from './ssrf-guard.ts';

/** What the built-in tools need from the gateway beyond their ToolContext. */
export type BuiltinDeps = {
  stateDir: string;
  configPath: string;
  /** The environment commands inherit (less the gateway's own secrets). */
  env: NodeJS.ProcessEnv;
  /** The background process registry, loaded (with child_process) on the first `exec`. */
  processes(): Promise<ProcessRegistry>;
  /** DNS for web_fetch; tests inject a resolver instead of asking real DNS. */
  resolveHost?: HostResolver;
};
