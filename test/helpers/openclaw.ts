import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The OpenClaw release clawgate is compared against (its CLI, Control UI build and node host are the readers). */
export const OPENCLAW_VERSION = '2026.9.6';

/** A finished install leaves this file; an install cut off half-way does not, so it is redone. */
const DONE_MARKER = '.clawgate-install-complete';
/** A second test process waits this long for another's install before giving up. */
const INSTALL_WAIT_MS = 10 * 60_000;

export type OpenClawInstall = {
  /** `node_modules/openclaw` */
  packageDir: string;
  /** `openclaw.mjs`, run with this process's Node (24, as the package requires). */
  entry: string;
  /** The Control UI build shipped in the package. */
  controlUiDir: string;
};

/** Outside the checkout, shared by every clone: `CLAWGATE_OPENCLAW_CACHE` or `~/.cache/clawgate/openclaw-<v>`. */
export function openClawCacheDir(): string {
  return (
    process.env.CLAWGATE_OPENCLAW_CACHE ??
    join(homedir(), '.cache', 'clawgate', `openclaw-${OPENCLAW_VERSION}`)
  );
}

/**
 * Installs `openclaw@OPENCLAW_VERSION` into the cache on first use (from the npm registry, with this process's
 * Node 24 first on PATH, as the package's install needs), never into the project. Concurrent test files take a
 * directory lock; the others wait for the marker.
 */
export function ensureOpenClaw(): OpenClawInstall {
  const root = openClawCacheDir();
  const packageDir = join(root, 'node_modules', 'openclaw');
  const install: OpenClawInstall = {
    packageDir,
    entry: join(packageDir, 'openclaw.mjs'),
    controlUiDir: join(packageDir, 'dist', 'control-ui'),
  };
  if (existsSync(join(root, DONE_MARKER))) return install;
  mkdirSync(dirname(root), { recursive: true });
  const lock = `${root}.lock`;
  try {
    mkdirSync(lock);
  } catch {
    waitForOtherInstall(root, lock);
    return install;
  }
  try {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'package.json'), '{"name":"clawgate-openclaw-cache","private":true}\n');
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', `openclaw@${OPENCLAW_VERSION}`],
      { cwd: root, env, stdio: 'ignore' },
    );
    if (!existsSync(install.entry))
      throw new Error(`npm installed openclaw, but ${install.entry} is missing`);
    writeFileSync(join(root, DONE_MARKER), `${new Date().toISOString()}\n`);
    return install;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function waitForOtherInstall(root: string, lock: string): void {
  const deadline = Date.now() + INSTALL_WAIT_MS;
  // A synchronous wait: this runs before any test of the file starts, and there is nothing else to do meanwhile.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(join(root, DONE_MARKER))) {
    if (!existsSync(lock)) throw new Error(`another process's openclaw install into ${root} did not finish`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for the openclaw install in ${root}`);
    // A lock older than the wait is left from a killed run: take it over.
    if (Date.now() - statSync(lock).mtimeMs > INSTALL_WAIT_MS) rmSync(lock, { recursive: true, force: true });
    Atomics.wait(pause, 0, 0, 200);
  }
}

export type OpenClawRun = { code: number | null; stdout: string; stderr: string };

export type OpenClawCliOptions = {
  /** The gateway the CLI is pointed at, as `gateway.mode: "remote"` in its own config. */
  url: string;
  token: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
};

/**
 * The real `openclaw` CLI, with its own throwaway HOME and state dir (so nothing of the machine's `~/.openclaw`
 * is read), configured to talk to `url` with `token`. Returns instead of throwing on a non-zero exit.
 */
export async function runOpenClaw(
  t: { after(fn: () => void): void },
  args: string[],
  options: OpenClawCliOptions,
): Promise<OpenClawRun> {
  const { entry } = ensureOpenClaw();
  const home = mkdtempSync(join(tmpdir(), 'clawgate-openclaw-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const stateDir = join(home, '.openclaw');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    join(stateDir, 'openclaw.json'),
    JSON.stringify({ gateway: { mode: 'remote', remote: { url: options.url, token: options.token } } }),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: home,
    OPENCLAW_STATE_DIR: stateDir,
    NO_COLOR: '1',
    ...options.env,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
      { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
