import type { Frame } from './raw-client.ts';

/** Matches the `cron` event of `action` (`added`, `finished`, …) for one job. */
export function cronEvent(action: string, jobId: string): (frame: Frame) => boolean {
  return (frame) => {
    const payload = frame.payload as { action?: string; jobId?: string } | undefined;
    return frame.event === 'cron' && payload?.action === action && payload.jobId === jobId;
  };
}
