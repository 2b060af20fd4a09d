import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that speaks the streaming wire formats of the OpenAI chat completions API
 * (`POST /v1/chat/completions`) and the Anthropic Messages API (`POST /v1/messages`), closely enough for the
 * official SDKs to parse. Each request follows a script: the next queued one, else the default.
 */

export type FakeFailure =
  /** Send `afterChunks` text chunks, then hang until the client goes away. */
  | { mode: 'stall'; afterChunks?: number }
  /** Send `afterChunks` text chunks, then destroy the socket (no terminal event, no `[DONE]`). */
  | { mode: 'cut'; afterChunks?: number }
  /** Answer with this HTTP status and an error body in the provider's format. */
  | { mode: 'status'; status: number; message?: string; type?: string; code?: string; retryAfter?: string }
  /** Send `afterChunks` text chunks, then an SSE event whose data is not JSON. */
  | { mode: 'malformed'; afterChunks?: number }
  /** Send `afterChunks` text chunks, then the provider's in-stream error event (e.g. Anthropic `overloaded_error`). */
  | { mode: 'error-event'; afterChunks?: number; type?: string; message?: string }
  /** Send every text chunk, then end the response cleanly: no finish chunk, `[DONE]`, `message_delta` or `message_stop`. */
  | { mode: 'truncate' };

/** A tool call the fake model makes: its arguments streamed as JSON text in `argumentChunks` pieces. */
export type FakeToolCall = {
  id?: string;
  name: string;
  /** An object is sent as its JSON; a string as written (to send JSON that does not parse). */
  arguments: Record<string, unknown> | string;
  argumentChunks?: number;
};

export type FakeScript = {
  /** The reply, streamed in `chunkSize`-character deltas. */
  text?: string;
  /**
   * Tool calls after the text, in the provider's real streaming shape: OpenAI `tool_calls` deltas keyed by index
   * (id and name first, then the arguments in pieces), Anthropic `tool_use` blocks with `input_json_delta`s. The
   * stop reason then defaults to `tool_calls` / `tool_use`.
   */
  toolCalls?: FakeToolCall[];
  chunkSize?: number;
  /** Delay before each chunk (0: none). */
  delayMs?: number;
  /** The stop reason in the provider's own vocabulary (`stop`/`length`… or `end_turn`/`max_tokens`…). */
  stopReason?: string;
  usage?: { input: number; output: number };
  failure?: FakeFailure;
};

export type RecordedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** True once the connection closed before the response was complete (the client aborted or went away). */
  aborted: boolean;
  /** Resolves when the response is finished or the connection closed. */
  closed: Promise<void>;
};

export type FakeProvider = {
  /** `http://127.0.0.1:<port>/v1`: the OpenAI SDK's `baseURL`. */
  openaiBaseUrl: string;
  /** `http://127.0.0.1:<port>`: the Anthropic SDK's `baseURL`. */
  anthropicBaseUrl: string;
  requests: RecordedRequest[];
  /** Queue a script for the next request (FIFO); requests beyond the queue use the default script. */
  enqueue(script: FakeScript): void;
  setDefault(script: FakeScript): void;
  /** Resolves with the `n`-th request (1-based) once it has arrived. */
  waitForRequest(n: number): Promise<RecordedRequest>;
  close(): Promise<void>;
};

const DEFAULT_TEXT = 'Hello from the fake provider.';

export async function startFakeProvider(defaultScript: FakeScript = {}): Promise<FakeProvider> {
  let fallback = defaultScript;
  const queue: FakeScript[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ n: number; resolve: (r: RecordedRequest) => void }> = [];

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      body = {};
    }
    let markClosed = (): void => {};
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      aborted: false,
      closed: new Promise<void>((resolve) => {
        markClosed = resolve;
      }),
    };
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
      markClosed();
    });
    requests.push(record);
    for (const waiter of waiters.filter((w) => w.n <= requests.length)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(requests[waiter.n - 1]!);
    }
    const script = queue.shift() ?? fallback;
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') return openai(res, body, script);
    if (req.method === 'POST' && path === '/v1/messages') return anthropic(res, body, script);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
  }

  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  return {
    openaiBaseUrl: `http://127.0.0.1:${port}/v1`,
    anthropicBaseUrl: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (script) => queue.push(script),
    setDefault: (script) => {
      fallback = script;
    },
    waitForRequest: (n) =>
      requests.length >= n
        ? Promise.resolve(requests[n - 1]!)
        : new Promise((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens: connecting to it is refused. */
export async function refusedUrl(path = ''): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

function chunkText(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function estimateTokens(body: Record<string, unknown>): number {
  return JSON.stringify(body.messages ?? []).split(/\s+/).length;
}

/** Streams the scripted chunks through `send`, applying `failure` at its chunk; returns false if it took over. */
async function streamChunks(
  res: ServerResponse,
  script: FakeScript,
  send: (delta: string) => void,
  malformed: () => void,
  errorEvent: (type: string | undefined, message: string | undefined) => void,
): Promise<boolean> {
  const chunks = chunkText(script.text ?? DEFAULT_TEXT, script.chunkSize ?? 5);
  const failure = script.failure;
  const stopAt =
    failure && failure.mode !== 'status' && failure.mode !== 'truncate'
      ? (failure.afterChunks ?? 2)
      : Number.POSITIVE_INFINITY;
  for (let i = 0; i < chunks.length; i++) {
    if (i === stopAt) break;
    await sleep(script.delayMs ?? 0);
    if (res.destroyed) return false;
    send(chunks[i]!);
  }
  if (!failure || failure.mode === 'status' || failure.mode === 'truncate') return true;
  // Let the chunks already written reach the client before failing.
  await sleep(5);
  if (failure.mode === 'cut') res.socket?.destroy();
  else if (failure.mode === 'malformed') {
    malformed();
    res.end();
  } else if (failure.mode === 'error-event') {
    errorEvent(failure.type, failure.message);
    res.end();
  }
  // 'stall': leave the response open; the client's abort (or close()) ends it.
  return false;
}

/** A call's argument JSON cut into pieces, as models stream it. */
function argumentPieces(call: FakeToolCall): string[] {
  const json = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
  const pieces = Math.max(1, call.argumentChunks ?? 3);
  const size = Math.max(1, Math.ceil(json.length / pieces));
  return json === '' ? [] : chunkText(json, size);
}

function sse(res: ServerResponse, data: unknown, event?: string): void {
  res.write(
    `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
  );
}

async function openai(res: ServerResponse, body: Record<string, unknown>, script: FakeScript): Promise<void> {
  const failure = script.failure;
  if (failure?.mode === 'status') {
    writeJson(
      res,
      failure.status,
      {
        error: {
          message: failure.message ?? `fake failure ${failure.status}`,
          type: failure.type ?? (failure.status === 401 ? 'invalid_request_error' : 'server_error'),
          param: null,
          code: failure.code ?? null,
        },
      },
      failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
    );
    return;
  }
  const model = String(body.model ?? 'unknown');
  const text = script.text ?? DEFAULT_TEXT;
  const usage = {
    prompt_tokens: script.usage?.input ?? estimateTokens(body),
    completion_tokens: script.usage?.output ?? chunkText(text, script.chunkSize ?? 5).length,
    total_tokens: 0,
  };
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  const finish = script.stopReason ?? (script.toolCalls?.length ? 'tool_calls' : 'stop');
  const base = { id: 'chatcmpl-fake', created: 1_700_000_000, model, system_fingerprint: null };
  if (body.stream !== true) {
    writeJson(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [
        { index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finish },
      ],
      usage,
    });
    return;
  }
  const includeUsage =
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  sse(res, chunk({ role: 'assistant', content: '' }, null));
  const complete = await streamChunks(
    res,
    script,
    (delta) => sse(res, chunk({ content: delta }, null)),
    () => sse(res, '{"id":"chatcmpl-fake","choices":[{"delta":{"content":"oops"'),
    (type, message) =>
      sse(res, { error: { message: message ?? 'fake stream error', type: type ?? 'server_error' } }),
  );
  if (!complete) return;
  for (const [index, call] of (script.toolCalls ?? []).entries()) {
    const id = call.id ?? `call_fake_${index + 1}`;
    sse(
      res,
      chunk(
        { tool_calls: [{ index, id, type: 'function', function: { name: call.name, arguments: '' } }] },
        null,
      ),
    );
    for (const piece of argumentPieces(call)) {
      sse(res, chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null));
    }
  }
  if (failure?.mode !== 'truncate') {
    sse(res, chunk({}, finish));
    if (includeUsage) sse(res, { ...base, object: 'chat.completion.chunk', choices: [], usage });
    sse(res, '[DONE]');
  }
  res.end();
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

async function anthropic(
  res: ServerResponse,
  body: Record<string, unknown>,
  script: FakeScript,
): Promise<void> {
  const failure = script.failure;
  if (failure?.mode === 'status') {
    writeJson(
      res,
      failure.status,
      {
        type: 'error',
        error: {
          type: failure.type ?? ANTHROPIC_ERROR_TYPES[failure.status] ?? 'api_error',
          message: failure.message ?? `fake failure ${failure.status}`,
        },
        request_id: 'req_fake',
      },
      { 'request-id': 'req_fake', ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}) },
    );
    return;
  }
  const model = String(body.model ?? 'unknown');
  const text = script.text ?? DEFAULT_TEXT;
  const input = script.usage?.input ?? estimateTokens(body);
  const output = script.usage?.output ?? chunkText(text, script.chunkSize ?? 5).length;
  const stopReason = script.stopReason ?? (script.toolCalls?.length ? 'tool_use' : 'end_turn');
  const message = {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model,
    stop_sequence: null,
    container: null,
  };
  if (body.stream !== true) {
    writeJson(res, 200, {
      ...message,
      content: [{ type: 'text', text, citations: null }],
      stop_reason: stopReason,
      usage: {
        input_tokens: input,
        output_tokens: output,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': 'req_fake',
  });
  sse(
    res,
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: {
          input_tokens: input,
          output_tokens: 1,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    },
    'message_start',
  );
  sse(
    res,
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    'content_block_start',
  );
  sse(res, { type: 'ping' }, 'ping');
  const complete = await streamChunks(
    res,
    script,
    (delta) =>
      sse(
        res,
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: delta } },
        'content_block_delta',
      ),
    () => sse(res, '{"type":"content_block_delta","index":0,"delta":{', 'content_block_delta'),
    (type, message) =>
      sse(
        res,
        { type: 'error', error: { type: type ?? 'overloaded_error', message: message ?? 'Overloaded' } },
        'error',
      ),
  );
  if (!complete) return;
  if (failure?.mode === 'truncate') {
    res.end();
    return;
  }
  sse(res, { type: 'content_block_stop', index: 0 }, 'content_block_stop');
  for (const [n, call] of (script.toolCalls ?? []).entries()) {
    const index = n + 1;
    sse(
      res,
      {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: call.id ?? `toolu_fake_${index}`, name: call.name, input: {} },
      },
      'content_block_start',
    );
    for (const piece of argumentPieces(call)) {
      sse(
        res,
        { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } },
        'content_block_delta',
      );
    }
    sse(res, { type: 'content_block_stop', index }, 'content_block_stop');
  }
  sse(
    res,
    {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: output },
    },
    'message_delta',
  );
  sse(res, { type: 'message_stop' }, 'message_stop');
  res.end();
}
