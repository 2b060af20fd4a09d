import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { LOG_MAX_FILE_BYTES, LOG_MAX_FILES } from '../config/limits.ts';
import type { LogLevel } from '../config/types.ts';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogRotation = { maxFileBytes: number; maxFiles: number };

export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  setLevel(level: LogLevel): void;
  /** New limits apply from the next line written. */
  setRotation(rotation: LogRotation): void;
  /**
   * Closes the log file. Lines logged afterwards still reach the console but not the file: reopening would
   * leak a descriptor after the gateway meant to let go of it (tests start many gateways in one process).
   */
  close(): void;
  readonly file: string | undefined;
};

export type LoggerOptions = {
  level: LogLevel;
  /** JSON lines are appended here, the source `logs.tail` reads. */
  file?: string;
  /** Size limit of the file before it is rotated to `<file>.1`; default 100 MiB. */
  maxFileBytes?: number;
  /** Rotated archives kept (`<file>.1` … `<file>.<maxFiles>`); default 5. */
  maxFiles?: number;
  /** Human-readable lines go here (stderr by default); `null` silences it (tests). */
  console?: ((line: string) => void) | null;
};

/**
 * The first line of a file started by rotation carries this field: the stream position (bytes written to the
 * file's predecessors) where the file begins, so `logs.tail` cursors stay valid across rotations and restarts.
 */
export const LOG_OFFSET_FIELD = 'logOffset';
const HEADER_PROBE_BYTES = 512;

/** tslog's level ids, which OpenClaw's log readers (`openclaw logs`, the Control UI's Logs page) understand. */
const TSLOG_LEVEL: Record<LogLevel, { id: number; name: string }> = {
  debug: { id: 2, name: 'DEBUG' },
  info: { id: 3, name: 'INFO' },
  warn: { id: 4, name: 'WARN' },
  error: { id: 5, name: 'ERROR' },
};

/**
 * One JSON line in OpenClaw's log shape: `message`, `time`, the level as `_meta.logLevelName`/`logLevelId`
 * (what `openclaw logs` and the Control UI read) and a `subsystem`; the caller's fields ride along at the top
 * level, and `level` keeps the plain lowercase name.
 */
export function logLine(
  time: string,
  level: LogLevel,
  message: string,
  fields?: Record<string, unknown>,
): string {
  const { id, name } = TSLOG_LEVEL[level];
  return `${JSON.stringify({
    ...fields,
    time,
    level,
    subsystem: 'gateway',
    message,
    _meta: { logLevelId: id, logLevelName: name, date: time, name: '{"subsystem":"gateway"}' },
  })}\n`;
}

/** The stream position a log file starts at: 0 unless its first line is a rotation header. */
export function readLogOffset(fd: number): number {
  const buffer = Buffer.alloc(HEADER_PROBE_BYTES);
  const read = readSync(fd, buffer, 0, HEADER_PROBE_BYTES, 0);
  const newline = buffer.subarray(0, read).indexOf(0x0a);
  if (newline === -1) return 0;
  try {
    const header = JSON.parse(buffer.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
    const offset = header[LOG_OFFSET_FIELD];
    return Number.isSafeInteger(offset) && (offset as number) >= 0 ? (offset as number) : 0;
  } catch {
    return 0;
  }
}

/**
 * JSON-lines logger: one object per line to the log file, a short human line to the console. Writes are
 * synchronous so a crash never loses the line that explains it; log volume here is low (connections, errors),
 * never per frame. The file is rotated by size; a failed write or rotation is swallowed, since a full disk must
 * not take the gateway down with it.
 */
export function createLogger(options: LoggerOptions): Logger {
  let threshold = LEVEL_RANK[options.level];
  const file = options.file;
  let rotation: LogRotation = {
    maxFileBytes: options.maxFileBytes ?? LOG_MAX_FILE_BYTES,
    maxFiles: options.maxFiles ?? LOG_MAX_FILES,
  };
  // Archives beyond a lowered maxFiles are still removed on the next rotation.
  let highestArchive = rotation.maxFiles;
  if (file) {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    } catch {
      // Reported by the first write failing silently; the console still gets every line.
    }
  }
  const consoleSink =
    options.console === undefined ? (line: string) => process.stderr.write(`${line}\n`) : options.console;

  let fd: number | undefined;
  let size = 0;
  let offset = 0;
  // Nothing but the header since the last rotation: a line larger than the limit is written, not rotated forever.
  let fresh = false;
  let closed = false;

  const open = (): number => {
    const opened = openSync(file as string, 'a', 0o600);
    try {
      size = fstatSync(opened).size;
      offset = size > 0 ? readLogOffsetOfPath(file as string) : offset;
    } catch {
      size = 0;
    }
    fd = opened;
    return opened;
  };

  const closeFd = () => {
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Already closed behind our back; nothing is lost.
    }
    fd = undefined;
  };

  const writeAll = (target: number, bytes: Buffer) => {
    let done = 0;
    while (done < bytes.length) done += writeSync(target, bytes, done, bytes.length - done);
  };

  const rotate = () => {
    const nextOffset = offset + size;
    closeFd();
    const path = file as string;
    for (let index = highestArchive; index >= rotation.maxFiles; index--)
      unlinkQuietly(logArchivePath(path, index));
    highestArchive = rotation.maxFiles;
    for (let index = rotation.maxFiles - 1; index >= 1; index--)
      renameQuietly(logArchivePath(path, index), logArchivePath(path, index + 1));
    try {
      renameSync(path, logArchivePath(path, 1));
    } catch {
      // Keep appending to the same file (no header: its offset has not changed); the next line tries again.
      open();
      fresh = true;
      return;
    }
    const target = open();
    offset = nextOffset;
    const header = Buffer.from(
      logLine(new Date().toISOString(), 'info', 'log rotated', { [LOG_OFFSET_FIELD]: nextOffset }),
    );
    writeAll(target, header);
    size += header.length;
    fresh = true;
  };

  const append = (line: string) => {
    if (!file || closed) return;
    const bytes = Buffer.from(line);
    try {
      let target = fd ?? open();
      if (!fresh && size > 0 && size + bytes.length > rotation.maxFileBytes) {
        rotate();
        target = fd ?? open();
      }
      try {
        writeAll(target, bytes);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EBADF') throw error;
        fd = undefined;
        writeAll(open(), bytes);
      }
      size += bytes.length;
      fresh = false;
    } catch {
      // A full disk or a failed rotation must not take the gateway down; the console still has the line.
    }
  };

  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVEL_RANK[level] < threshold) return;
    const time = new Date().toISOString();
    append(logLine(time, level, msg, fields));
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
    setRotation(next) {
      highestArchive = Math.max(highestArchive, rotation.maxFiles);
      rotation = { ...next };
    },
    close() {
      closed = true;
      closeFd();
    },
    file,
  };
}

/** Rotated archive number `index` of `file`: `<file>.1` is the newest, higher numbers are older. */
export function logArchivePath(file: string, index: number): string {
  return `${file}.${index}`;
}

/** The append descriptor cannot read, so the header is read through a second, short-lived one. */
function readLogOffsetOfPath(path: string): number {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return readLogOffset(fd);
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Missing archives are the normal case until the log has rotated maxFiles times.
  }
}

function renameQuietly(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // Same: a gap in the archive chain is expected early on.
  }
}
