/**
 * The Node flags a measured gateway runs with: those on `bin/clawgate.mjs`'s shebang, which is how users run it
 * (`npm start`, `clawgate …`), read from that one line so the two never drift; under `--profile`, also a CPU
 * profile written when the gateway exits.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const BIN = join(REPO_ROOT, 'bin', 'clawgate.mjs');

/** `#!/usr/bin/env -S node --flag …` → `['--flag', …]`. */
export function shebangFlags(source: string): string[] {
  const first = source.slice(0, source.indexOf('\n'));
  const match = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  if (!match)
    throw new Error(`${BIN}: expected a "#!/usr/bin/env -S node [--flag…]" first line, got ${first}`);
  return match[1].split(' ').filter(Boolean);
}

export const SHIPPED_NODE_FLAGS: readonly string[] = shebangFlags(readFileSync(BIN, 'utf8'));

let profileDir: string | undefined;
const profileNames = new Map<string, number>();

/** From now on, every gateway started with `gatewayNodeFlags` writes `<dir>/<label>[-n].cpuprofile` at exit. */
export function enableProfiling(dir: string): void {
  mkdirSync(dir, { recursive: true });
  profileDir = dir;
}

export function profilingDir(): string | undefined {
  return profileDir;
}

/** The shipped flags, plus the profiler's when profiling is on; `label` names the profile file. */
export function gatewayNodeFlags(label: string): string[] {
  if (profileDir === undefined) return [...SHIPPED_NODE_FLAGS];
  const n = (profileNames.get(label) ?? 0) + 1;
  profileNames.set(label, n);
  const name = n === 1 ? label : `${label}-${n}`;
  return [
    ...SHIPPED_NODE_FLAGS,
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
    `--cpu-prof-name=${name}.cpuprofile`,
  ];
}
