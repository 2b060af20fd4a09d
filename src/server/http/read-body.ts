import type { IncomingMessage } from 'node:http';
import { ClawgateError } from '../../protocol/clawgate-error.ts';

const BODY_ERROR_CODES: Record<number, string> = {
  408: 'HTTP_BODY_TIMEOUT',
  413: 'HTTP_BODY_TOO_LARGE',
};

export class BodyError extends ClawgateError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(BODY_ERROR_CODES[status] ?? 'HTTP_BODY_INVALID', message);
    this.status = status;
  }
}

export type ReadBodyOptions = {
  /** The whole body must have arrived by then, else 408: a trickling sender must not hold the request open. */
  timeoutMs?: number;
  /** What an empty (or all-whitespace) body stands for; without it an empty body is invalid JSON. */
  emptyValue?: unknown;
};

/**
 * Reads a request body up to `maxBytes`, as bytes (what a signature is checked over). A declared
 * `Content-Length` over the cap is refused (413) before a byte is read; a body that grows past it is refused
 * without buffering the rest.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  options: { timeoutMs?: number } = {},
): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new BodyError(413, `request body over ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => settle(new BodyError(408, `request body not received within ${options.timeoutMs} ms`)),
            options.timeoutMs,
          );
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) settle(new BodyError(413, `request body over ${maxBytes} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => settle(undefined);
    const onClose = () => settle(new BodyError(400, 'the connection closed before the request body ended'));
    const onError = (error: Error) =>
      settle(new BodyError(400, `reading the request body failed: ${error.message}`));
    function settle(error: BodyError | undefined): void {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      if (error) {
        // Unread bytes stay unread: the caller answers and the connection is closed behind the answer.
        req.pause();
        reject(error);
        return;
      }
      resolve(Buffer.concat(chunks));
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
  });
}

/** Reads a JSON request body up to `maxBytes` (see readBody for the limits). */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  options: ReadBodyOptions = {},
): Promise<unknown> {
  const text = (await readBody(req, maxBytes, options)).toString('utf8');
  if (options.emptyValue !== undefined && text.trim() === '') return options.emptyValue;
  try {
    return JSON.parse(text);
  } catch (parseError) {
    throw new BodyError(400, `request body is not valid JSON: ${(parseError as Error).message}`);
  }
}
