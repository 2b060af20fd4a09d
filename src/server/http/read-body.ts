import type { IncomingMessage } from 'node:http';
import { ClawgateError } from '../../protocol/clawgate-error.ts';

export class BodyError extends ClawgateError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(status === 413 ? 'HTTP_BODY_TOO_LARGE' : 'HTTP_BODY_INVALID', message);
    this.status = status;
  }
}

/** Reads a JSON request body up to `maxBytes`; larger bodies are refused (413) without buffering them. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyError(413, `request body over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BodyError(400, 'request body is not valid JSON');
  }
}
