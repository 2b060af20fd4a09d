import { ToolInputError } from '../tool-errors.ts';
import type { ToolRegistration } from '../tool-types.ts';
import { webFetchLimits } from '../tools-config.ts';
import type { BuiltinDeps } from './builtin-deps.ts';

const PARAMETERS = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'URL to fetch; http(s) only.' },
    extractMode: {
      type: 'string',
      enum: ['markdown', 'text'],
      description: 'Output format after extraction (default markdown).',
    },
    maxChars: { type: 'number', description: 'Truncate output to this many characters.' },
  },
  required: ['url'],
};

type FetchArgs = { url: string; extractMode?: 'markdown' | 'text'; maxChars?: number };

/**
 * `web_fetch`: a plain GET of a public page as readable text. Private, loopback and link-local targets are refused
 * (redirects too, and a host name is resolved once and the connection pinned to the checked address) unless
 * `tools.web.fetch.ssrfPolicy` opens them; size and time are capped.
 */
export function webFetchToolRegistration(deps: BuiltinDeps): ToolRegistration {
  return {
    name: 'web_fetch',
    source: { kind: 'core' },
    factory: (ctx) => {
      const limits = webFetchLimits(ctx.config);
      if (!limits.enabled) return null;
      return {
        name: 'web_fetch',
        label: 'Fetch page',
        description:
          'Fetch a URL (HTTP GET) and return its readable content as markdown or text. Does not run JavaScript.',
        parameters: PARAMETERS,
        async execute(_toolCallId, params, signal) {
          const args = params as FetchArgs;
          if (typeof args.url !== 'string' || args.url.trim() === '') {
            throw new ToolInputError('url must be a non-empty string');
          }
          const mode = args.extractMode === 'text' ? 'text' : 'markdown';
          const maxChars = Math.max(
            100,
            Math.min(Math.floor(args.maxChars ?? limits.maxChars), limits.maxCharsCap),
          );
          const { extract, guardedFetch, systemResolver } = await import('./web-fetch.ts');
          const started = performance.now();
          const outcome = await guardedFetch(
            args.url.trim(),
            limits,
            deps.resolveHost ?? systemResolver,
            signal,
          );
          const extracted = extract(outcome, mode);
          const truncated = extracted.text.length > maxChars || outcome.cut;
          const text = extracted.text.slice(0, maxChars);
          const warning = outcome.cut
            ? `The response was cut at ${limits.maxResponseBytes} bytes (tools.web.fetch.maxResponseBytes).`
            : undefined;
          return {
            content: [{ type: 'text', text: warning ? `${text}\n\n[${warning}]` : text }],
            details: {
              url: outcome.url,
              finalUrl: outcome.finalUrl,
              status: outcome.status,
              extractMode: mode,
              extractor: extracted.extractor,
              ...(outcome.contentType ? { contentType: outcome.contentType.slice(0, 256) } : {}),
              ...(extracted.title ? { title: extracted.title.slice(0, 256) } : {}),
              ...(warning ? { warning } : {}),
              truncated,
              length: text.length,
              rawLength: extracted.text.length,
              fetchedAt: new Date().toISOString(),
              tookMs: Math.round(performance.now() - started),
            },
            ...(outcome.status >= 400 ? { isError: true } : {}),
          };
        },
      };
    },
  };
}
