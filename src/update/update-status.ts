import type { UpdateChannel } from '../config/types.ts';

/** OpenClaw's `UpdateAvailable` for a package install: what `update.status` and `update.available` carry. */
export type UpdateAvailable = { currentVersion: string; latestVersion: string; channel: UpdateChannel };

/** Same answer? The event goes out only when what `update.status` reports changes. */
export function sameUpdateAvailable(a: UpdateAvailable | null, b: UpdateAvailable | null): boolean {
  return (
    a === b ||
    (a !== null &&
      b !== null &&
      a.currentVersion === b.currentVersion &&
      a.latestVersion === b.latestVersion &&
      a.channel === b.channel)
  );
}

const TRUTHY = /^(1|true|yes|on)$/i;
const OFF_SWITCHES = ['CLAWGATE_NO_AUTO_UPDATE', 'OPENCLAW_NO_AUTO_UPDATE'] as const;

/** The environment variable that turns the check off for this process, if one is set. */
export function updateCheckOffSwitch(env: NodeJS.ProcessEnv): string | undefined {
  return OFF_SWITCHES.find((name) => TRUTHY.test(env[name]?.trim() ?? ''));
}
