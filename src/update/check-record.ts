import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file.ts';

export const UPDATE_CHECK_FILE_NAME = 'update-check.json';

/**
 * The last registry check, kept in the state dir so "at most once a day" holds across restarts (OpenClaw keeps
 * the same record): a gateway restarted within the interval reuses the answer instead of asking again.
 */
export type UpdateCheckRecord = {
  checkedAtMs: number;
  /** The answer belongs to this URL; another URL is asked afresh. */
  registryUrl: string;
  /** Absent when no check of this URL has succeeded yet. */
  latestVersion?: string;
};

/** The record, or undefined when there is none or it is unreadable (it is only a cache: asking again is safe). */
export function readCheckRecord(stateDir: string): UpdateCheckRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(stateDir, UPDATE_CHECK_FILE_NAME), 'utf8'));
  } catch {
    return undefined;
  }
  const record = parsed as Partial<UpdateCheckRecord> | null;
  if (typeof record?.checkedAtMs !== 'number' || typeof record.registryUrl !== 'string') return undefined;
  return {
    checkedAtMs: record.checkedAtMs,
    registryUrl: record.registryUrl,
    ...(typeof record.latestVersion === 'string' ? { latestVersion: record.latestVersion } : {}),
  };
}

export function writeCheckRecord(stateDir: string, record: UpdateCheckRecord): void {
  writeFileAtomic(join(stateDir, UPDATE_CHECK_FILE_NAME), `${JSON.stringify(record)}\n`);
}
