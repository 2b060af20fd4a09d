import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCoreTools } from '../../src/agents/tools/builtin/core-tools.ts';
import type { HostResolver } from '../../src/agents/tools/builtin/ssrf-guard.ts';
import { refuseAllExecGate } from '../../src/agents/tools/default-exec-gate.ts';
import { ToolRegistry } from '../../src/agents/tools/tool-registry.ts';
import type { ExecGate, ExecGateRequest, ToolResult } from '../../src/agents/tools/tool-types.ts';
import { buildConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/logging/logger.ts';

export type Harness = {
  stateDir: string;
  configPath: string;
  workspace: string;
  registry: ToolRegistry;
  /** Runs a tool as a turn of agent `main` would (policy, redaction and all). Throws what the tool throws. */
  run(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult>;
};

/** A gate that allows only the commands listed, recording every request it is asked. */
export function recordingGate(
  allowed: (command: string) => boolean,
): ExecGate & { asked: ExecGateRequest[] } {
  const asked: ExecGateRequest[] = [];
  return {
    asked,
    async check(request) {
      asked.push(request);
      return allowed(request.command)
        ? { allowed: true, via: 'policy' }
        : { allowed: false, reason: 'not on the test allowlist' };
    },
  };
}

/**
 * The built-in tools on a real ToolRegistry over a temp state dir (its workspace created), outside a gateway: what
 * the security tests drive directly. `secrets` are what the registry redacts.
 */
export function toolHarness(
  t: { after(fn: () => unknown): void },
  options: {
    config?: Record<string, unknown>;
    gate?: ExecGate;
    resolveHost?: HostResolver;
    secrets?: string[];
    env?: NodeJS.ProcessEnv;
  } = {},
): Harness {
  const stateDir = realpathSync(mkdtempSync(join(tmpdir(), 'clawgate-tools-')));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const configPath = join(stateDir, 'clawgate.json');
  writeFileSync(configPath, JSON.stringify(options.config ?? {}));
  const workspace = join(stateDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const config = buildConfig(options.config ?? {}, {}, { token: 'harness-token-0123456789abcdef' });
  const registry = new ToolRegistry({
    config: () => config,
    logger: createLogger({ level: 'error', console: null }),
    stateDir,
    configPath,
    execGate: options.gate ?? refuseAllExecGate,
    secrets: () => options.secrets ?? [],
  });
  registerCoreTools(registry, {
    stateDir,
    configPath,
    env: options.env ?? { ...process.env },
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  t.after(() => registry.close());
  return {
    stateDir,
    configPath,
    workspace,
    registry,
    async run(name, args, signal) {
      const target = { agentId: 'main', sessionKey: 'agent:main:main', runId: `run-${name}` };
      const entry = registry.resolve(target, 'turn').find((candidate) => candidate.tool.name === name);
      if (!entry) throw new Error(`tool ${name} is not available`);
      return entry.tool.execute(`call-${name}`, args, signal ?? new AbortController().signal);
    },
  };
}

export function textOf(result: ToolResult): string {
  return result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}
