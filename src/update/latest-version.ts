import { parseSemver } from './semver.ts';

export type LatestVersionOptions = {
  timeoutMs: number;
  maxBytes: number;
  /** Aborts the request early (the gateway is stopping). */
  signal: AbortSignal;
  userAgent: string;
};

/**
 * The `version` of an npm-registry-style document (`GET /<package>/<dist-tag>`), fetched with a deadline and a
 * size cap. Throws an Error whose message says what went wrong, for the caller to log; never retries.
 */
export async function fetchLatestVersion(url: string, options: LatestVersionOptions): Promise<string> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(url, {
      signal,
      headers: { accept: 'application/json', 'user-agent': options.userAgent },
    });
  } catch (error) {
    throw describeFailure(error, options.timeoutMs);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`registry answered HTTP ${response.status}`);
  }
  const text = await readCapped(response, options.maxBytes, options.timeoutMs);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error('registry answer is not JSON');
  }
  const version = (document as { version?: unknown } | null)?.version;
  if (typeof version !== 'string' || !parseSemver(version))
    throw new Error('registry answer has no semver `version` field');
  return version;
}

/** The body as text, refused (and the connection released) once it passes `maxBytes`, declared or streamed. */
async function readCapped(response: Response, maxBytes: number, timeoutMs: number): Promise<string> {
  const tooLarge = () => new Error(`registry answer is larger than ${maxBytes} bytes`);
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch((error: unknown) => {
      throw describeFailure(error, timeoutMs);
    });
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFailure(error: unknown, timeoutMs: number): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const { name, message, cause } = error as Error & { cause?: { code?: string; message?: string } };
  if (name === 'TimeoutError') return new Error(`no answer within ${timeoutMs} ms`);
  if (name === 'AbortError') return new Error('aborted: the gateway is stopping');
  // undici reports every network failure as "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is the cause.
  const reason = cause?.code ?? cause?.message;
  return new Error(reason ? `${message}: ${reason}` : message);
}
