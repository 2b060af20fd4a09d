import { hostname } from 'node:os';

/**
 * Who holds the scheduler lease: the gateway's boot id, with the host and process it runs in, so a gateway
 * restarted after a kill -9 can see that the holder is gone instead of waiting out its lease.
 */
export function leaseOwnerId(bootId: string): string {
  return `${bootId}@${hostname()}#${process.pid}`;
}

/**
 * True only when the holder certainly is gone: a process of this host (same host name) that no longer exists.
 * Anything else (another host, an id without a process, a process that exists, this very process) counts as
 * alive, and its lease is waited out.
 */
export function leaseOwnerGone(owner: string): boolean {
  const match = /@([^@#]+)#(\d+)$/.exec(owner);
  if (!match || match[1] !== hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
