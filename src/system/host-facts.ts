import { execFile } from 'node:child_process';
import { readFile, statfs } from 'node:fs/promises';
import { hostname, networkInterfaces, platform, release, type } from 'node:os';

/** A macOS name probe that has not answered by then is given up (OpenClaw waits as long). */
const DARWIN_PROBE_TIMEOUT_MS = 1_000;

function run(file: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: DARWIN_PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout) =>
      resolve(error ? undefined : stdout.trim() || undefined),
    );
  });
}

function plainHostname(): string {
  return (
    hostname()
      .trim()
      .replace(/\.local$/i, '') || 'clawgate'
  );
}

async function probeMachineName(): Promise<string> {
  if (platform() === 'darwin') {
    const name =
      (await run('/usr/sbin/scutil', ['--get', 'ComputerName'])) ??
      (await run('/usr/sbin/scutil', ['--get', 'LocalHostName']));
    if (name) return name;
  }
  return plainHostname();
}

async function probeOsLabel(): Promise<string> {
  if (platform() === 'darwin') {
    // Darwin's kernel release is not the macOS version (they diverge from macOS 26 on).
    return `macOS ${(await run('sw_vers', ['-productVersion'])) ?? release()}`;
  }
  return `${type()} ${release()}`;
}

// Facts of the machine, the same for every gateway in this process; probed once (on macOS each costs a spawn).
let machineName: Promise<string> | undefined;
let osLabel: Promise<string> | undefined;

/** The name a person knows this machine by: the macOS computer name, elsewhere the host name without `.local`. */
export function machineDisplayName(): Promise<string> {
  machineName ??= probeMachineName();
  return machineName;
}

/** `Linux 6.8.0-…`, `Darwin 24.1.0`…; on macOS the product version, `macOS 15.1`. */
export function runtimeOsLabel(): Promise<string> {
  osLabel ??= probeOsLabel();
  return osLabel;
}

function isPrivateIpv4(address: string): boolean {
  const [a, b] = address.split('.').map(Number);
  return a === 10 || (a === 172 && b !== undefined && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** Linux's default-route interfaces, from the kernel's routing table (destination 0.0.0.0, mask 0). */
async function defaultRouteInterfaces(): Promise<string[]> {
  if (platform() !== 'linux') return [];
  const table = await readFile('/proc/net/route', 'utf8').catch(() => '');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === '00000000' && fields[7] === '00000000')
    .map((fields) => fields[0] as string);
}

/**
 * The address other machines on the LAN reach this host at: its private (RFC 1918) IPv4 address, or with several,
 * the one on the default route (OpenClaw's choice). None when the host has no private address.
 */
export async function lanAddress(): Promise<string | undefined> {
  const candidates: { name: string; address: string }[] = [];
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    for (const entry of addresses ?? []) {
      if (entry.family === 'IPv4' && !entry.internal && isPrivateIpv4(entry.address))
        candidates.push({ name, address: entry.address });
    }
  }
  if (candidates.length <= 1) return candidates[0]?.address;
  for (const name of await defaultRouteInterfaces()) {
    const routed = candidates.find((candidate) => candidate.name === name);
    if (routed) return routed.address;
  }
  return candidates[0]?.address;
}

export type DiskSpace = { totalBytes: number; availableBytes: number };

/** Size and free space (for an unprivileged user) of the filesystem holding `path`; none if it cannot be read. */
export async function diskSpace(path: string): Promise<DiskSpace | undefined> {
  try {
    const stats = await statfs(path);
    const totalBytes = stats.blocks * stats.bsize;
    const availableBytes = stats.bavail * stats.bsize;
    if (!Number.isSafeInteger(totalBytes) || totalBytes <= 0 || !Number.isSafeInteger(availableBytes))
      return undefined;
    return { totalBytes, availableBytes };
  } catch {
    return undefined;
  }
}
