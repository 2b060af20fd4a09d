import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogLevel } from '../config/types.ts';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  setLevel(level: LogLevel): void;
  readonly file: string | undefined;
};

export type LoggerOptions = {
  level: LogLevel;
  /** JSON lines are appended here, the source `logs.tail` reads. */
  file?: string;
  /** Human-readable lines go here (stderr by default); `null` silences it (tests). */
  console?: ((line: string) => void) | null;
};

/**
 * JSON-lines logger: one object per line to the log file, a short human line to the console. Writes are
 * synchronous appends so a crash never loses the line that explains it; log volume here is low (connections,
 * errors), never per frame.
 */
export function createLogger(options: LoggerOptions): Logger {
  let threshold = LEVEL_RANK[options.level];
  const file = options.file;
  if (file) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const consoleSink =
    options.console === undefined ? (line: string) => process.stderr.write(`${line}\n`) : options.console;

  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVEL_RANK[level] < threshold) return;
    const time = new Date().toISOString();
    if (file) {
      try {
        appendFileSync(file, `${JSON.stringify({ time, level, msg, ...fields })}\n`, { mode: 0o600 });
      } catch {
        // A full disk must not take the gateway down with it.
      }
    }
    if (consoleSink) {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      consoleSink(`${time} ${level.toUpperCase().padEnd(5)} ${msg}${extra}`);
    }
  };

  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    setLevel(level) {
      threshold = LEVEL_RANK[level];
    },
    file,
  };
}
