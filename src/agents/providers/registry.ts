import { resolveSecretRef } from '../../config/secret-ref.ts';
import type { GatewayConfig, ProviderConfig } from '../../config/types.ts';
import { ANTHROPIC_DEFAULT_BASE_URL, AnthropicMessagesProvider } from './anthropic.ts';
import { ECHO_WORD_DELAY_MS, EchoProvider } from './echo.ts';
import { OPENAI_DEFAULT_BASE_URL, OpenAiCompletionsProvider } from './openai.ts';
import type { LlmProvider } from './types.ts';

export type ResolvedModel = {
  /** The ref as given, `provider/model`. */
  ref: string;
  providerId: string;
  /** The model id as the provider knows it (may itself contain `/`, e.g. `openrouter/meta-llama/llama-3`). */
  model: string;
  provider: LlmProvider;
};

/** The built-in offline provider; always available, needs no config. */
export const ECHO_PROVIDER_ID = 'echo';

/** Where well-known providers live when `baseUrl` is not set. */
const DEFAULT_BASE_URLS: Record<string, string> = {
  openai: OPENAI_DEFAULT_BASE_URL,
  anthropic: ANTHROPIC_DEFAULT_BASE_URL,
  openrouter: 'https://openrouter.ai/api/v1',
  ollama: 'http://127.0.0.1:11434/v1',
};

/** Sent when a provider with its own `baseUrl` (a local server) has no key: such servers ignore it. */
const NO_KEY = 'no-key';

/** Echo instances by word delay (`models.echo.wordDelayMs`; 0 for benchmarks). */
const echoByDelay = new Map<number, EchoProvider>();

function echoProvider(delayMs: number): EchoProvider {
  let provider = echoByDelay.get(delayMs);
  if (!provider) {
    provider = new EchoProvider({ delayMs });
    echoByDelay.set(delayMs, provider);
  }
  return provider;
}
/** One provider instance per config entry, rebuilt when the entry or its resolved key changes. */
const cache = new WeakMap<ProviderConfig, { fingerprint: string; provider: LlmProvider }>();

/** Splits `provider/model` at the first `/`. */
export function parseModelRef(ref: string): { providerId: string; model: string } {
  const slash = ref.indexOf('/');
  const providerId = ref.slice(0, slash).trim();
  const model = ref.slice(slash + 1).trim();
  if (slash <= 0 || !providerId || !model) {
    throw new Error(`Model "${ref}" must be written as provider/model, e.g. openai/gpt-4o or echo/echo`);
  }
  return { providerId, model };
}

/** The API a provider entry speaks: its `api`, else `anthropic-messages` for the id `anthropic`. */
export function inferApi(
  providerId: string,
  config: ProviderConfig,
): 'openai-completions' | 'anthropic-messages' {
  return config.api ?? (providerId === 'anthropic' ? 'anthropic-messages' : 'openai-completions');
}

/**
 * Finds the provider for `provider/model` in `models.providers` (the built-in `echo` needs no entry) and
 * returns a cached instance of it. Throws an Error naming the config key to add or fix.
 */
export function resolveModel(
  ref: string,
  config: Pick<GatewayConfig, 'models'>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedModel {
  const { providerId, model } = parseModelRef(ref);
  if (providerId === ECHO_PROVIDER_ID) {
    return {
      ref,
      providerId,
      model,
      provider: echoProvider(config.models.echo?.wordDelayMs ?? ECHO_WORD_DELAY_MS),
    };
  }
  const entry = config.models.providers[providerId];
  if (!entry) {
    throw new Error(
      `Unknown model provider "${providerId}" (in "${ref}"): add it to the config under models.providers.${providerId} with its baseUrl and apiKey`,
    );
  }
  const api = inferApi(providerId, entry);
  const baseUrl = (entry.baseUrl ?? DEFAULT_BASE_URLS[providerId])?.replace(/\/+$/, '');
  if (!baseUrl) {
    throw new Error(
      `Model provider "${providerId}" has no baseUrl: set models.providers.${providerId}.baseUrl (e.g. http://127.0.0.1:11434/v1 for Ollama)`,
    );
  }
  const apiKey = entry.apiKey
    ? resolveSecretRef(entry.apiKey, `models.providers.${providerId}.apiKey`, env)
    : undefined;
  if (!apiKey && !entry.baseUrl) {
    throw new Error(
      `Model provider "${providerId}" needs an API key: set models.providers.${providerId}.apiKey (an env:NAME reference keeps it out of the file)`,
    );
  }
  const fingerprint = JSON.stringify([providerId, api, baseUrl, apiKey]);
  const cached = cache.get(entry);
  if (cached?.fingerprint === fingerprint) return { ref, providerId, model, provider: cached.provider };
  const options = { id: providerId, baseUrl, apiKey: apiKey ?? NO_KEY };
  const provider =
    api === 'anthropic-messages'
      ? new AnthropicMessagesProvider(options)
      : new OpenAiCompletionsProvider(options);
  cache.set(entry, { fingerprint, provider });
  return { ref, providerId, model, provider };
}
