import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  AnthropicMessagesProvider,
} from '../../src/agents/providers/anthropic.ts';
import { EchoProvider } from '../../src/agents/providers/echo.ts';
import { retryAfter } from '../../src/agents/providers/errors.ts';
import { type HttpProviderOptions, OpenAiCompletionsProvider } from '../../src/agents/providers/openai.ts';
import { parseModelRef, resolveModel } from '../../src/agents/providers/registry.ts';
import {
  type CompletionRequest,
  type LlmProvider,
  ProviderError,
  type StreamEvent,
} from '../../src/agents/providers/types.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import type { GatewayConfig, ProviderConfig } from '../../src/config/types.ts';
import {
  type FakeProvider,
  type RecordedRequest,
  refusedUrl,
  startFakeProvider,
} from '../helpers/fake-provider.ts';
import { runTraced } from '../helpers/module-trace.ts';

function request(
  signal = new AbortController().signal,
  extra: Partial<CompletionRequest> = {},
): CompletionRequest {
  return {
    model: 'test-model',
    system: 'You are terse.',
    messages: [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'hello there' },
    ],
    signal,
    ...extra,
  };
}

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Runs the stream to its failure; returns the ProviderError and the events that came before it. */
async function failure(
  stream: AsyncIterable<StreamEvent>,
): Promise<{ error: ProviderError; events: StreamEvent[] }> {
  const events: StreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
  } catch (error) {
    assert.ok(error instanceof ProviderError, `expected a ProviderError, got ${String(error)}`);
    return { error, events };
  }
  assert.fail(`stream ended without an error: ${JSON.stringify(events)}`);
}

/** Waits for the fake server to see the request's connection close, failing after a deadline. */
async function closedSoon(sent: RecordedRequest, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the server did not see ${sent.path} close within ${ms} ms`)),
      ms,
    );
  });
  try {
    await Promise.race([sent.closed, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const texts = (events: StreamEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'text' ? [e.delta] : []));

type Flavour = {
  name: 'openai' | 'anthropic';
  path: string;
  make(fake: FakeProvider, options?: Partial<HttpProviderOptions>): LlmProvider;
  baseUrl(fake: FakeProvider): string;
  refusedPath: string;
  /** The provider's own stop reasons and what they map to. */
  stopReasons: Array<[string, string]>;
};

const FLAVOURS: Flavour[] = [
  {
    name: 'openai',
    path: '/v1/chat/completions',
    make: (fake, options) =>
      new OpenAiCompletionsProvider({
        id: 'openai',
        baseUrl: fake.openaiBaseUrl,
        apiKey: 'sk-openai-test',
        ...options,
      }),
    baseUrl: (fake) => fake.openaiBaseUrl,
    refusedPath: '/v1',
    stopReasons: [
      ['length', 'length'],
      ['content_filter', 'refusal'],
      ['tool_calls', 'tool_use'],
    ],
  },
  {
    name: 'anthropic',
    path: '/v1/messages',
    make: (fake, options) =>
      new AnthropicMessagesProvider({
        id: 'anthropic',
        baseUrl: fake.anthropicBaseUrl,
        apiKey: 'sk-ant-test',
        ...options,
      }),
    baseUrl: (fake) => fake.anthropicBaseUrl,
    refusedPath: '',
    stopReasons: [
      ['max_tokens', 'length'],
      ['refusal', 'refusal'],
      ['stop_sequence', 'stop'],
    ],
  },
];

for (const flavour of FLAVOURS) {
  const { name } = flavour;

  test(`${name}: streams text deltas in order, then usage, then done; the request carries model, messages, system and key`, async (t) => {
    const fake = await startFakeProvider({
      text: 'The quick brown fox jumps',
      chunkSize: 4,
      usage: { input: 31, output: 5 },
    });
    t.after(() => fake.close());
    const events = await collect(flavour.make(fake).stream(request(undefined, { maxTokens: 256 })));
    assert.deepEqual(events, [
      { type: 'text', delta: 'The ' },
      { type: 'text', delta: 'quic' },
      { type: 'text', delta: 'k br' },
      { type: 'text', delta: 'own ' },
      { type: 'text', delta: 'fox ' },
      { type: 'text', delta: 'jump' },
      { type: 'text', delta: 's' },
      { type: 'usage', input: 31, output: 5 },
      { type: 'done', stopReason: 'stop' },
    ]);
    assert.equal(fake.requests.length, 1);
    const [sent] = fake.requests;
    assert.equal(sent!.method, 'POST');
    assert.equal(sent!.path, flavour.path);
    const turns = [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'hello there' },
    ];
    if (name === 'openai') {
      assert.equal(sent!.headers.authorization, 'Bearer sk-openai-test');
      assert.deepEqual(sent!.body, {
        model: 'test-model',
        messages: [{ role: 'system', content: 'You are terse.' }, ...turns],
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 256,
      });
    } else {
      // @anthropic-ai/sdk 1.x sends the API key as a bearer token.
      assert.equal(sent!.headers.authorization, 'Bearer sk-ant-test');
      assert.match(String(sent!.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/);
      assert.deepEqual(sent!.body, {
        model: 'test-model',
        max_tokens: 256,
        system: 'You are terse.',
        messages: turns,
        stream: true,
      });
    }
  });

  test(`${name}: maps stop reasons and defaults the request fields`, async (t) => {
    const fake = await startFakeProvider();
    t.after(() => fake.close());
    const provider = flavour.make(fake);
    for (const [wire, mapped] of flavour.stopReasons) {
      fake.enqueue({ text: 'cut short', stopReason: wire });
      const events = await collect(provider.stream(request(undefined, { system: undefined })));
      assert.deepEqual(events.at(-1), { type: 'done', stopReason: mapped }, wire);
      assert.equal(texts(events).join(''), 'cut short');
    }
    const body = fake.requests[0]!.body;
    if (name === 'openai') {
      assert.equal(body.max_tokens, undefined);
      assert.equal((body.messages as Array<{ role: string }>)[0]!.role, 'user');
    } else {
      assert.equal(body.max_tokens, ANTHROPIC_DEFAULT_MAX_TOKENS);
      assert.equal(body.system, undefined);
    }
  });

  test(`${name}: aborting mid-stream cancels the HTTP request and ends the stream as 'aborted' at once`, async (t) => {
    const fake = await startFakeProvider({
      text: 'one two three four five six',
      chunkSize: 4,
      failure: { mode: 'stall', afterChunks: 2 },
    });
    t.after(() => fake.close());
    const controller = new AbortController();
    const events: StreamEvent[] = [];
    let abortedAt = 0;
    let caught: unknown;
    try {
      for await (const event of flavour.make(fake).stream(request(controller.signal))) {
        events.push(event);
        if (events.length === 2) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    } catch (error) {
      caught = error;
    }
    const latency = performance.now() - abortedAt;
    assert.ok(caught instanceof ProviderError);
    assert.equal(caught.kind, 'aborted');
    assert.equal(caught.retryable, false);
    assert.equal(caught.message, `The request to ${name} was aborted`);
    assert.ok(latency < 500, `abort took ${latency} ms`);
    assert.deepEqual(texts(events), ['one ', 'two ']);
    const sent = fake.requests[0]!;
    await closedSoon(sent);
    assert.equal(sent.aborted, true, 'the server saw the connection close before the response ended');
  });

  test(`${name}: a consumer that stops iterating early closes the HTTP request`, async (t) => {
    const fake = await startFakeProvider({ failure: { mode: 'stall', afterChunks: 1 } });
    t.after(() => fake.close());
    for await (const event of flavour.make(fake).stream(request())) {
      assert.equal(event.type, 'text');
      break;
    }
    await closedSoon(fake.requests[0]!);
    assert.equal(fake.requests[0]!.aborted, true);
  });

  test(`${name}: a signal aborted before the call makes no request`, async (t) => {
    const fake = await startFakeProvider();
    t.after(() => fake.close());
    const { error } = await failure(flavour.make(fake).stream(request(AbortSignal.abort())));
    assert.equal(error.kind, 'aborted');
    assert.equal(fake.requests.length, 0);
  });

  test(`${name}: HTTP 401 is an auth error naming the config key`, async (t) => {
    const fake = await startFakeProvider({
      failure: { mode: 'status', status: 401, message: 'Invalid API key' },
    });
    t.after(() => fake.close());
    const { error, events } = await failure(flavour.make(fake).stream(request()));
    assert.deepEqual(events, []);
    assert.equal(error.kind, 'auth');
    assert.equal(error.status, 401);
    assert.equal(error.retryable, false);
    assert.equal(
      error.message,
      `${name} rejected the API key (HTTP 401): check models.providers.${name}.apiKey (Invalid API key)`,
    );
  });

  test(`${name}: HTTP 429 with retry-after is a retryable rate_limit with retryAfterMs`, async (t) => {
    const fake = await startFakeProvider({
      failure: { mode: 'status', status: 429, retryAfter: '7', message: 'Slow down' },
    });
    t.after(() => fake.close());
    const { error } = await failure(flavour.make(fake).stream(request()));
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.status, 429);
    assert.equal(error.retryable, true);
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(error.message, `${name} is rate limiting requests (HTTP 429); retry after 7 s: Slow down`);
    assert.equal(fake.requests.length, 1, 'the SDK does not retry by itself');
  });

  test(`${name}: HTTP 500 is a retryable server error, tried once`, async (t) => {
    const fake = await startFakeProvider({ failure: { mode: 'status', status: 500, message: 'boom' } });
    t.after(() => fake.close());
    const { error } = await failure(flavour.make(fake).stream(request()));
    assert.equal(error.kind, 'server');
    assert.equal(error.status, 500);
    assert.equal(error.retryable, true);
    assert.equal(error.message, `${name} failed with a server error (HTTP 500): boom`);
    assert.equal(fake.requests.length, 1);
  });

  test(`${name}: HTTP 400 about the context window is context_length`, async (t) => {
    const message =
      name === 'openai'
        ? "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens."
        : 'prompt is too long: 208310 tokens > 200000 maximum';
    const fake = await startFakeProvider({
      failure: { mode: 'status', status: 400, message, code: 'context_length_exceeded' },
    });
    t.after(() => fake.close());
    const { error } = await failure(flavour.make(fake).stream(request()));
    assert.equal(error.kind, 'context_length');
    assert.equal(error.retryable, false);
    assert.equal(error.message, `The conversation is too long for ${name}/test-model (HTTP 400): ${message}`);
  });

  test(`${name}: a socket cut mid-stream is a retryable network error "stream ended before completion"`, async (t) => {
    const fake = await startFakeProvider({
      text: 'alpha beta gamma delta',
      chunkSize: 6,
      failure: { mode: 'cut', afterChunks: 2 },
    });
    t.after(() => fake.close());
    const { error, events } = await failure(flavour.make(fake).stream(request()));
    assert.deepEqual(texts(events), ['alpha ', 'beta g']);
    assert.equal(error.kind, 'network');
    assert.equal(error.retryable, true);
    assert.match(error.message, new RegExp(`^${name} stream ended before completion: the connection closed`));
    assert.ok(error.message.endsWith(`(${flavour.baseUrl(fake)})`), error.message);
  });

  test(`${name}: a response that ends cleanly without its terminal event is "stream ended before completion"`, async (t) => {
    const fake = await startFakeProvider({ text: 'partial reply', failure: { mode: 'truncate' } });
    t.after(() => fake.close());
    const { error, events } = await failure(flavour.make(fake).stream(request()));
    assert.equal(texts(events).join(''), 'partial reply');
    assert.equal(error.kind, 'network');
    assert.equal(error.retryable, true);
    const missing = name === 'openai' ? 'no finish_reason' : 'no message_stop';
    assert.equal(
      error.message,
      `${name} stream ended before completion: ${missing} before the response closed (${flavour.baseUrl(fake)})`,
    );
  });

  test(`${name}: malformed SSE data is a protocol error`, async (t) => {
    const fake = await startFakeProvider({ failure: { mode: 'malformed', afterChunks: 1 } });
    t.after(() => fake.close());
    const { error, events } = await failure(flavour.make(fake).stream(request()));
    assert.equal(texts(events).length, 1);
    assert.equal(error.kind, 'protocol');
    assert.equal(error.retryable, false);
    assert.match(error.message, new RegExp(`^${name} sent malformed streaming data: `));
    assert.ok(error.cause instanceof SyntaxError);
  });

  test(`${name}: an error event inside the stream becomes a retryable server error`, async (t) => {
    const fake = await startFakeProvider({
      failure: { mode: 'error-event', afterChunks: 1, type: 'overloaded_error', message: 'Overloaded' },
    });
    t.after(() => fake.close());
    const { error } = await failure(flavour.make(fake).stream(request()));
    assert.equal(error.kind, 'server');
    assert.equal(error.retryable, true);
    assert.equal(error.message, `${name} reported an error mid-stream (overloaded_error): Overloaded`);
  });

  test(`${name}: connection refused is a retryable network error naming the URL`, async () => {
    const baseUrl = await refusedUrl(flavour.refusedPath);
    const fake = { openaiBaseUrl: baseUrl, anthropicBaseUrl: baseUrl } as FakeProvider;
    const { error } = await failure(flavour.make(fake).stream(request()));
    assert.equal(error.kind, 'network');
    assert.equal(error.retryable, true);
    assert.equal(
      error.message,
      `Could not reach ${name} at ${baseUrl} (ECONNREFUSED): is the server running and the baseUrl right?`,
    );
  });

  test(`${name}: a stream that goes quiet past the idle timeout is cancelled as a retryable timeout`, async (t) => {
    const fake = await startFakeProvider({ failure: { mode: 'stall', afterChunks: 1 } });
    t.after(() => fake.close());
    const started = performance.now();
    const { error, events } = await failure(flavour.make(fake, { idleTimeoutMs: 150 }).stream(request()));
    const elapsed = performance.now() - started;
    assert.equal(texts(events).length, 1);
    assert.equal(error.kind, 'timeout');
    assert.equal(error.retryable, true);
    assert.equal(error.message, `${name} sent nothing for too long; the request was cancelled`);
    assert.ok(elapsed >= 140 && elapsed < 2000, `timed out after ${elapsed} ms`);
    await closedSoon(fake.requests[0]!);
    assert.equal(fake.requests[0]!.aborted, true);
  });
}

test('retry-after: seconds, HTTP date, retry-after-ms, absent or garbage', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  assert.equal(retryAfter(new Headers({ 'retry-after': '7' }), now), 7000);
  assert.equal(retryAfter(new Headers({ 'retry-after': '1.5' }), now), 1500);
  assert.equal(retryAfter(new Headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:30 GMT' }), now), 30_000);
  assert.equal(retryAfter(new Headers({ 'retry-after': 'Mon, 31 Dec 2029 00:00:00 GMT' }), now), 0);
  assert.equal(retryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '7' }), now), 250);
  assert.equal(retryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(retryAfter(new Headers(), now), undefined);
  assert.equal(retryAfter(undefined, now), undefined);
});

test('echo: streams "Echo: <last user message>" word by word with the configured delay, then usage and done', async () => {
  const provider = new EchoProvider({ delayMs: 20 });
  const stamps: number[] = [];
  const events: StreamEvent[] = [];
  for await (const event of provider.stream(request())) {
    events.push(event);
    stamps.push(performance.now());
  }
  assert.deepEqual(events, [
    { type: 'text', delta: 'Echo:' },
    { type: 'text', delta: ' hello' },
    { type: 'text', delta: ' there' },
    // system (3) + messages (2 + 2 + 2) words in; three words out.
    { type: 'usage', input: 9, output: 3 },
    { type: 'done', stopReason: 'stop' },
  ]);
  for (let i = 1; i < 3; i++)
    assert.ok(stamps[i]! - stamps[i - 1]! >= 15, `gap ${i}: ${stamps[i]! - stamps[i - 1]!} ms`);
  assert.equal(provider.id, 'echo');
  assert.equal(provider.api, 'echo');
});

test('echo: with delay 0 it still yields to the event loop between words', async () => {
  const provider = new EchoProvider({ delayMs: 0 });
  const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ');
  let turns = 0;
  let spinning = true;
  const spin = (): void => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const events = await collect(
    provider.stream(request(undefined, { messages: [{ role: 'user', content: words }] })),
  );
  spinning = false;
  assert.equal(texts(events).length, 51);
  assert.equal(texts(events).join(''), `Echo: ${words}`);
  assert.ok(turns >= 40, `only ${turns} event-loop turns ran during 51 chunks`);
});

test('echo: abort ends the stream as aborted promptly, even mid-delay', async () => {
  const provider = new EchoProvider({ delayMs: 10_000 });
  const controller = new AbortController();
  const events: StreamEvent[] = [];
  let caught: unknown;
  let abortedAt = 0;
  try {
    for await (const event of provider.stream(request(controller.signal))) {
      events.push(event);
      // Abort while the provider sleeps before the second word.
      setImmediate(() => {
        abortedAt = performance.now();
        controller.abort();
      });
    }
  } catch (error) {
    caught = error;
  }
  assert.ok(performance.now() - abortedAt < 500, `abort took ${performance.now() - abortedAt} ms`);
  assert.ok(caught instanceof ProviderError);
  assert.equal(caught.kind, 'aborted');
  assert.equal(caught.message, 'The request to echo was aborted');
  assert.deepEqual(texts(events), ['Echo:']);
  const early = await failure(provider.stream(request(AbortSignal.abort())));
  assert.equal(early.error.kind, 'aborted');
  assert.deepEqual(early.events, []);
});

test('echo: with delay 0, an abort between words ends the stream as aborted before the next word', async () => {
  const provider = new EchoProvider({ delayMs: 0 });
  const controller = new AbortController();
  const events: StreamEvent[] = [];
  let caught: unknown;
  try {
    for await (const event of provider.stream(request(controller.signal))) {
      events.push(event);
      // Lands while the provider waits for the next loop turn, as a chat.abort frame would.
      setImmediate(() => controller.abort());
    }
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ProviderError);
  assert.equal(caught.kind, 'aborted');
  assert.equal(caught.message, 'The request to echo was aborted');
  assert.deepEqual(texts(events), ['Echo:']);
});

test('echo: maxTokens cuts the reply with stop reason length; no user message echoes a placeholder', async () => {
  const provider = new EchoProvider({ delayMs: 0 });
  const events = await collect(provider.stream(request(undefined, { maxTokens: 2 })));
  assert.deepEqual(texts(events), ['Echo:', ' hello']);
  assert.deepEqual(events.at(-1), { type: 'done', stopReason: 'length' });
  const empty = await collect(provider.stream(request(undefined, { messages: [], system: undefined })));
  assert.equal(texts(empty).join(''), 'Echo: (empty message)');
  assert.deepEqual(empty.at(-2), { type: 'usage', input: 0, output: 3 });
  assert.throws(() => new EchoProvider({ delayMs: -1 }), /delayMs must be a number >= 0, got -1/);
});

function config(providers: Record<string, ProviderConfig>): Pick<GatewayConfig, 'models'> {
  return { models: { providers } };
}

test('registry: echo/echo resolves without config, to one shared instance', () => {
  const a = resolveModel('echo/echo', config({}));
  const b = resolveModel('echo/echo', config({}));
  assert.equal(a.provider.api, 'echo');
  assert.equal(a.providerId, 'echo');
  assert.equal(a.model, 'echo');
  assert.equal(a.ref, 'echo/echo');
  assert.equal(a.provider, b.provider);
});

test('registry: configured providers resolve with the api inferred or given, cached per entry', () => {
  const local: ProviderConfig = { baseUrl: 'http://127.0.0.1:11434/v1/', models: [{ id: 'llama3' }] };
  const providers = {
    local,
    anthropic: { apiKey: 'sk-ant' },
    proxy: { baseUrl: 'http://127.0.0.1:9/anthropic', api: 'anthropic-messages' as const },
    openrouter: { apiKey: 'sk-or' },
  };
  const first = resolveModel('local/llama3', config(providers));
  assert.equal(first.provider.api, 'openai-completions');
  assert.equal(first.providerId, 'local');
  assert.equal(first.model, 'llama3');
  assert.ok(first.provider instanceof OpenAiCompletionsProvider);
  assert.equal(first.provider.baseUrl, 'http://127.0.0.1:11434/v1');
  assert.equal(resolveModel('local/other-model', config(providers)).provider, first.provider);

  const anthropic = resolveModel('anthropic/claude-sonnet-4-5', config(providers));
  assert.ok(anthropic.provider instanceof AnthropicMessagesProvider);
  assert.equal(anthropic.provider.baseUrl, 'https://api.anthropic.com');
  assert.equal(resolveModel('proxy/claude', config(providers)).provider.api, 'anthropic-messages');

  const routed = resolveModel('openrouter/meta-llama/llama-3-70b', config(providers));
  assert.equal(routed.model, 'meta-llama/llama-3-70b');
  assert.equal((routed.provider as OpenAiCompletionsProvider).baseUrl, 'https://openrouter.ai/api/v1');
});

test('registry: unknown providers, malformed refs, missing baseUrl or key are errors naming the config key', () => {
  assert.throws(
    () => resolveModel('mystery/model-x', config({})),
    (error: Error) =>
      error.message ===
      'Unknown model provider "mystery" (in "mystery/model-x"): add it to the config under models.providers.mystery with its baseUrl and apiKey',
  );
  for (const ref of ['gpt-4o', '/gpt-4o', 'openai/', ' /x']) {
    assert.throws(
      () => parseModelRef(ref),
      (error: Error) =>
        error.message === `Model "${ref}" must be written as provider/model, e.g. openai/gpt-4o or echo/echo`,
      ref,
    );
  }
  assert.throws(
    () => resolveModel('local/llama3', config({ local: { apiKey: 'x' } })),
    (error: Error) =>
      error.message ===
      'Model provider "local" has no baseUrl: set models.providers.local.baseUrl (e.g. http://127.0.0.1:11434/v1 for Ollama)',
  );
  assert.throws(
    () => resolveModel('openai/gpt-4o', config({ openai: {} })),
    (error: Error) =>
      error.message ===
      'Model provider "openai" needs an API key: set models.providers.openai.apiKey (an env:NAME reference keeps it out of the file)',
  );
});

test('registry: an env: API key is resolved, sent, and re-read when it changes', async (t) => {
  const fake = await startFakeProvider({ text: 'ok' });
  t.after(() => fake.close());
  const providers = { local: { baseUrl: fake.openaiBaseUrl, apiKey: 'env:CLAWGATE_TEST_LLM_KEY' } };
  const env = { CLAWGATE_TEST_LLM_KEY: 'sk-from-env' };
  const resolved = resolveModel('local/llama3', config(providers), env);
  const events = await collect(resolved.provider.stream({ ...request(), model: resolved.model }));
  assert.deepEqual(events.at(-1), { type: 'done', stopReason: 'stop' });
  assert.equal(fake.requests[0]!.headers.authorization, 'Bearer sk-from-env');
  assert.equal(fake.requests[0]!.body.model, 'llama3');

  assert.equal(resolveModel('local/llama3', config(providers), env).provider, resolved.provider);
  const rotated = resolveModel('local/llama3', config(providers), { CLAWGATE_TEST_LLM_KEY: 'sk-rotated' });
  assert.notEqual(rotated.provider, resolved.provider);
  await collect(rotated.provider.stream(request()));
  assert.equal(fake.requests[1]!.headers.authorization, 'Bearer sk-rotated');

  assert.throws(
    () => resolveModel('local/llama3', config(providers), {}),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message ===
        'models.providers.local.apiKey refers to env:CLAWGATE_TEST_LLM_KEY, but CLAWGATE_TEST_LLM_KEY is not set',
  );
});

test('registry: a local provider without a key still sends a placeholder, never the environment', async (t) => {
  const fake = await startFakeProvider({ text: 'ok' });
  t.after(() => fake.close());
  const { provider } = resolveModel('ollama/llama3', config({ ollama: { baseUrl: fake.openaiBaseUrl } }), {
    OPENAI_API_KEY: 'sk-must-not-leak',
  });
  await collect(provider.stream(request()));
  assert.equal(fake.requests[0]!.headers.authorization, 'Bearer no-key');
});

test('resolving and streaming echo/echo loads neither openai nor @anthropic-ai/sdk; the first HTTP request does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-providers-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'child.mjs');
  const registry = new URL('../../src/agents/providers/registry.ts', import.meta.url).href;
  writeFileSync(
    script,
    `
import { appendFileSync } from 'node:fs';
import { resolveModel } from ${JSON.stringify(registry)};
const config = { models: { providers: {
  local: { baseUrl: process.env.REFUSED_URL },
  anthropic: { baseUrl: process.env.REFUSED_URL, apiKey: 'k' },
} } };
const echo = resolveModel('echo/echo', config);
let text = '';
for await (const e of echo.provider.stream({ model: echo.model, messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal })) {
  if (e.type === 'text') text += e.delta;
}
const local = resolveModel('local/llama3', config);
const claude = resolveModel('anthropic/claude', config);
appendFileSync(process.env.MODULE_LOG, 'MARK\\n');
for (const { provider, model } of [local, claude]) {
  try {
    for await (const e of provider.stream({ model, messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal })) {}
  } catch (error) {
    text += ' | ' + error.kind;
  }
}
console.log(text);
`,
  );
  const { stdout, loaded } = await runTraced(t, [script], {
    ...process.env,
    REFUSED_URL: await refusedUrl(),
  });
  assert.equal(stdout.trim(), 'Echo: hi | network | network');
  const [before, after] = loaded.join('\n').split('MARK\n') as [string, string];
  const sdk = /\/node_modules\/(openai|@anthropic-ai\/sdk)\//;
  assert.ok(before.includes('providers/registry.ts'));
  assert.deepEqual(
    before.split('\n').filter((url) => sdk.test(url)),
    [],
  );
  assert.ok(/\/node_modules\/openai\//.test(after), 'the openai SDK loads on the first OpenAI request');
  assert.ok(
    /\/node_modules\/@anthropic-ai\/sdk\//.test(after),
    'the Anthropic SDK loads on the first Anthropic request',
  );
});
