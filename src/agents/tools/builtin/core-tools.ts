import type { ToolRegistry } from '../tool-registry.ts';
import type { BuiltinDeps } from './builtin-deps.ts';
import { editToolRegistration } from './edit-tool.ts';
import { execToolRegistration } from './exec-tool.ts';
import type { ProcessRegistry } from './process-registry.ts';
import { processToolRegistration } from './process-tool.ts';
import { readToolRegistration } from './read-tool.ts';
import { webFetchToolRegistration } from './web-fetch-tool.ts';
import { writeToolRegistration } from './write-tool.ts';

/**
 * Registers the core's built-in tools (OpenClaw's names and parameters): `read`, `write`, `edit`, `exec`, `process`
 * and `web_fetch`. The background process registry, and child_process with it, loads on the first `exec`; the
 * registry's close kills whatever it still runs.
 */
export function registerCoreTools(tools: ToolRegistry, deps: Omit<BuiltinDeps, 'processes'>): void {
  let processes: Promise<ProcessRegistry> | undefined;
  const builtin: BuiltinDeps = {
    ...deps,
    processes: () => {
      processes ??= import('./process-registry.ts').then(({ ProcessRegistry }) => new ProcessRegistry());
      return processes;
    },
  };
  tools.onClose(async () => {
    if (processes) await (await processes).close();
  });
  for (const registration of [
    readToolRegistration(builtin),
    writeToolRegistration(builtin),
    editToolRegistration(builtin),
    execToolRegistration(builtin),
    processToolRegistration(builtin),
    webFetchToolRegistration(builtin),
  ]) {
    tools.register(registration);
  }
}
