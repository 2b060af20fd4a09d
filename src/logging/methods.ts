import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LOGS_TAIL_MAX_BYTES } from '../config/limits.ts';
import { GatewayError } from '../protocol/gateway-error.ts';
import { READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';

const DEFAULT_TAIL_LINES = 200;
const DEFAULT_TAIL_BYTES = 256 * 1024;

type TailParams = { cursor?: number; limit?: number; maxBytes?: number };

/**
 * Reads the gateway's JSON-lines log. Without a cursor: the newest `limit` lines. With one (a byte offset from a
 * previous answer): what was appended since. A cursor past the end means the file was rotated: `reset`.
 */
export function tailLogFile(file: string, params: TailParams) {
  const limit = params.limit ?? DEFAULT_TAIL_LINES;
  const maxBytes = Math.min(params.maxBytes ?? DEFAULT_TAIL_BYTES, LOGS_TAIL_MAX_BYTES);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { file, cursor: 0, size: 0, lines: [] as string[] };
    throw new GatewayError('UNAVAILABLE', `log file ${file} cannot be read`);
  }
  try {
    const size = fstatSync(fd).size;
    const reset = params.cursor !== undefined && params.cursor > size;
    const from = params.cursor !== undefined && !reset ? params.cursor : Math.max(0, size - maxBytes);
    const length = Math.min(size - from, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, from);
    let text = buffer.toString('utf8');
    let skippedBytes = 0;
    // Without a cursor the window may start mid-line: drop the partial first line.
    if (params.cursor === undefined && from > 0) {
      const newline = text.indexOf('\n');
      skippedBytes = newline + 1;
      text = newline === -1 ? '' : text.slice(newline + 1);
    }
    const end = text.lastIndexOf('\n');
    const complete = end === -1 ? '' : text.slice(0, end);
    const all = complete === '' ? [] : complete.split('\n');
    const lines = params.cursor === undefined ? all.slice(-limit) : all.slice(0, limit);
    const consumed =
      params.cursor === undefined || lines.length === all.length
        ? Buffer.byteLength(complete) + (end === -1 ? 0 : 1)
        : Buffer.byteLength(lines.join('\n')) + 1;
    const cursor = from + skippedBytes + consumed;
    return {
      file,
      cursor,
      size,
      lines,
      truncated: cursor < size,
      ...(reset ? { reset: true } : {}),
      ...(skippedBytes > 0 || from > 0 ? { skippedBytes: from + skippedBytes } : {}),
    };
  } finally {
    closeSync(fd);
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
