import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LOGS_TAIL_MAX_BYTES } from '../config/limits.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import { readLogOffset } from './logger.ts';

const DEFAULT_TAIL_LINES = 200;
const DEFAULT_TAIL_BYTES = 256 * 1024;

type TailParams = { cursor?: number; limit?: number; maxBytes?: number };

/** OpenClaw's `LogsTailResult`, which allows no other fields. */
export type TailResult = {
  file: string;
  cursor: number;
  size: number;
  lines: string[];
  truncated?: boolean;
  reset?: boolean;
  skippedBytes?: number;
};

/** One file of the log stream: `base` is the stream position of its first byte. */
type Segment = { fd: number; base: number; size: number };

function openSegment(path: string): Segment | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayError('UNAVAILABLE', `log file ${path} cannot be read`);
  }
  try {
    const size = fstatSync(fd).size;
    return { fd, base: size > 0 ? readLogOffset(fd) : 0, size };
  } catch {
    closeSync(fd);
    throw new GatewayError('UNAVAILABLE', `log file ${path} cannot be read`);
  }
}

/** Up to `budget` bytes of the segments from stream position `from`; lines never span files, so they join. */
function readStream(segments: Segment[], from: number, budget: number): Buffer {
  const chunks: Buffer[] = [];
  let position = from;
  for (const segment of segments) {
    const start = position - segment.base;
    if (budget <= 0 || start < 0 || start >= segment.size) continue;
    const length = Math.min(segment.size - start, budget);
    const chunk = Buffer.alloc(length);
    const read = readSync(segment.fd, chunk, 0, length, start);
    chunks.push(chunk.subarray(0, read));
    budget -= read;
    position += read;
  }
  return Buffer.concat(chunks);
}

/**
 * Reads the gateway's JSON-lines log. Without a cursor: the newest `limit` lines. With one (from a previous
 * answer): what was appended since. Cursor and size are positions in the log stream, which spans rotations:
 * the byte offset in `file` plus the bytes its predecessors held (the rotation header's `logOffset`), so for a
 * log that never rotated they are plain byte offsets. A cursor into the previous file (`<file>.1`) reads the
 * rest of it, then the current file, so a rotation loses and repeats no line; a cursor older than that, or past
 * the end (the file was truncated or replaced), means `reset` and the newest lines.
 */
export function tailLogFile(file: string, params: TailParams): TailResult {
  const limit = params.limit ?? DEFAULT_TAIL_LINES;
  const maxBytes = Math.min(params.maxBytes ?? DEFAULT_TAIL_BYTES, LOGS_TAIL_MAX_BYTES);
  const current = openSegment(file);
  if (!current) return { file, cursor: 0, size: 0, lines: [] };
  const segments = [current];
  try {
    const end = current.base + current.size;
    let cursor = params.cursor;
    if (cursor !== undefined && cursor < current.base) {
      const previous = openSegment(`${file}.1`);
      // Only a predecessor that ends exactly where the current file begins is part of the same stream.
      if (previous && previous.base + previous.size === current.base && cursor >= previous.base)
        segments.unshift(previous);
      else {
        if (previous) closeSync(previous.fd);
        cursor = undefined;
      }
    }
    const reset = params.cursor !== undefined && (cursor === undefined || cursor > end);
    if (reset) cursor = undefined;

    const from = cursor ?? Math.max(current.base, end - maxBytes);
    let text = readStream(segments, from, maxBytes).toString('utf8');
    let skippedBytes = 0;
    // Without a cursor the window may start mid-line: drop the partial first line.
    if (cursor === undefined && from > current.base) {
      const newline = text.indexOf('\n');
      skippedBytes = newline + 1;
      text = newline === -1 ? '' : text.slice(newline + 1);
    }
    const last = text.lastIndexOf('\n');
    const complete = last === -1 ? '' : text.slice(0, last);
    const all = complete === '' ? [] : complete.split('\n');
    const lines = cursor === undefined ? all.slice(-limit) : all.slice(0, limit);
    const consumed =
      cursor === undefined || lines.length === all.length
        ? Buffer.byteLength(complete) + (last === -1 ? 0 : 1)
        : Buffer.byteLength(lines.join('\n')) + 1;
    const next = from + skippedBytes + consumed;
    const skipped = cursor === undefined ? from - current.base + skippedBytes : 0;
    return {
      file,
      cursor: next,
      size: end,
      lines,
      truncated: next < end,
      ...(reset ? { reset: true } : {}),
      ...(skipped > 0 ? { skippedBytes: skipped } : {}),
    };
  } finally {
    for (const segment of segments) closeSync(segment.fd);
  }
}

export const logsMethods = defineMethods({
  'logs.tail': {
    access: READ,
    handler: (params, { gateway }) => {
      const file = gateway.logger.file;
      if (!file)
        throw new GatewayError(
          'UNAVAILABLE',
          'logs.tail unavailable: no log file is configured (logging.file)',
        );
      return tailLogFile(file, params);
    },
  },
});
