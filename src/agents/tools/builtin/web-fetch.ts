import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { ToolInputError } from '../tool-errors.ts';
import type { WebFetchLimits } from '../tools-config.ts';
import { htmlToText } from './html-text.ts';
import { type HostResolver, pinTarget, type ResolvedAddress, SsrfBlockedError } from './ssrf-guard.ts';

export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export const systemResolver: HostResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

export type FetchOutcome = {
  url: string;
  finalUrl: string;
  status: number;
  contentType: string | undefined;
  body: Buffer;
  /** The body was cut at maxResponseBytes. */
  cut: boolean;
};

/** A lookup that answers with the address already checked: the socket connects there and nowhere else. */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [pinned]);
    } else callback(null, pinned.address, pinned.family);
  };
}

function getOnce(
  url: URL,
  pinned: ResolvedAddress,
  limits: WebFetchLimits,
  signal: AbortSignal,
): Promise<{ response: IncomingMessage; done: () => void }> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        // The certificate is still checked against the host name (SNI too): only the address is fixed.
        lookup: pinnedLookup(pinned),
        headers: {
          'user-agent': limits.userAgent ?? DEFAULT_USER_AGENT,
          accept: 'text/html,application/xhtml+xml,text/plain,application/json;q=0.9,*/*;q=0.5',
          'accept-language': 'en-US,en;q=0.9',
          'accept-encoding': 'identity',
        },
        signal,
        agent: false,
      },
      (response) => resolve({ response, done: () => req.destroy() }),
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * GETs a URL for web_fetch: http(s) only, no credentials in it, each hop (the first and every redirect, at most
 * `maxRedirects`) checked and pinned by `pinTarget`, the whole exchange within `timeoutMs`, the body read up to
 * `maxResponseBytes` and cut there.
 */
export async function guardedFetch(
  raw: string,
  limits: WebFetchLimits,
  resolveHost: HostResolver,
  outer: AbortSignal | undefined,
): Promise<FetchOutcome> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolInputError(`url is not a valid URL: ${JSON.stringify(raw)}`);
  }
  const signal = AbortSignal.any([AbortSignal.timeout(limits.timeoutMs), ...(outer ? [outer] : [])]);
  for (let hop = 0; ; hop += 1) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ToolInputError(`only http and https URLs can be fetched, not ${url.protocol}`);
    }
    if (url.username || url.password) throw new ToolInputError('URLs with credentials are not fetched');
    const pinned = await pinTarget(url, limits, resolveHost);
    let exchange: Awaited<ReturnType<typeof getOnce>>;
    try {
      exchange = await getOnce(url, pinned, limits, signal);
    } catch (error) {
      throw fetchError(error, signal, limits);
    }
    const { response } = exchange;
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (REDIRECTS.has(status) && location) {
      exchange.done();
      if (hop >= limits.maxRedirects) {
        throw new Error(
          `too many redirects (more than ${limits.maxRedirects}, tools.web.fetch.maxRedirects)`,
        );
      }
      url = new URL(location, url);
      continue;
    }
    try {
      const { body, cut } = await readCapped(response, limits.maxResponseBytes, signal);
      return {
        url: raw,
        finalUrl: url.href,
        status,
        contentType: response.headers['content-type'],
        body,
        cut,
      };
    } catch (error) {
      throw fetchError(error, signal, limits);
    } finally {
      exchange.done();
    }
  }
}

function fetchError(error: unknown, signal: AbortSignal, limits: WebFetchLimits): Error {
  if (error instanceof SsrfBlockedError || error instanceof ToolInputError) return error;
  if (signal.aborted) {
    const reason = signal.reason as Error | undefined;
    return reason?.name === 'TimeoutError'
      ? new Error(`the fetch took longer than ${limits.timeoutMs / 1000} s (tools.web.fetch.timeoutSeconds)`)
      : new Error('the fetch was aborted');
  }
  return new Error(`the fetch failed: ${(error as Error).message}`);
}

async function readCapped(
  response: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: Buffer; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    signal.throwIfAborted();
    const buffer = chunk as Buffer;
    if (size + buffer.length > maxBytes) {
      chunks.push(buffer.subarray(0, maxBytes - size));
      return { body: Buffer.concat(chunks), cut: true };
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { body: Buffer.concat(chunks), cut: false };
}

/** The readable text of a fetched body by its content type; binary bodies are refused. */
export function extract(
  outcome: FetchOutcome,
  mode: 'markdown' | 'text',
): { text: string; title?: string; extractor: string } {
  const type = (outcome.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const charset = /charset=([^;]+)/i
    .exec(outcome.contentType ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  const decoder = new TextDecoder(charset && charset !== 'utf8' ? charset : 'utf-8', { fatal: false });
  let decoded: string;
  try {
    decoded = decoder.decode(outcome.body);
  } catch {
    decoded = outcome.body.toString('utf8');
  }
  if (type === 'text/html' || type === 'application/xhtml+xml' || (type === '' && /<html/i.test(decoded))) {
    return { ...htmlToText(decoded, mode), extractor: 'basic' };
  }
  if (type.startsWith('text/') || type.includes('json') || type.includes('xml') || type === '') {
    return { text: decoded, extractor: 'raw' };
  }
  throw new Error(`content type ${type} is not text; web_fetch returns text only`);
}
