import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  CompletionRequest,
  LlmProvider,
  ProviderMessage,
  StreamEvent,
  StreamedToolCall,
} from '../../src/agents/providers/types.ts';
import { TurnError } from '../../src/agents/runner.ts';
import { runToolLoop, type ToolLoopCallbacks, type ToolStep } from '../../src/agents/tool-loop.ts';
import type { AgentTool, ToolResult } from '../../src/agents/tools/tool-types.ts';

/** A provider that answers each request with the next scripted step and records what it was sent. */
function scripted(steps: ((request: CompletionRequest) => StreamEvent[])[]) {
  const requests: CompletionRequest[] = [];
  const provider: LlmProvider = {
    id: 'scripted',
    api: 'echo',
    async *stream(request) {
      requests.push({ ...request, messages: [...request.messages] });
      const step = steps[requests.length - 1];
      assert.ok(step, `no scripted step ${requests.length}`);
      for (const event of step(request)) yield event;
    },
  };
  return { provider, requests };
}

const call = (
  id: string,
  name: string,
  args: Record<string, unknown> = {},
  invalid?: string,
): StreamEvent => ({
  type: 'tool_call',
  call: { id, name, arguments: args, ...(invalid ? { invalidArguments: invalid } : {}) },
});
const done = (stopReason = 'stop'): StreamEvent => ({ type: 'done', stopReason });
const say = (text: string): StreamEvent => ({ type: 'text', delta: text });

function recorder() {
  const log: string[] = [];
  const steps: ToolStep[] = [];
  const results: { call: StreamedToolCall; result: ToolResult }[] = [];
  const callbacks: ToolLoopCallbacks = {
    onDelta: () => {},
    onUsage: () => {},
    onStepStart: (step) => log.push(`step ${step}`),
    onToolStep: async (step) => {
      steps.push(step);
      log.push(`commit step ${step.step}`);
    },
    onToolStart: (c) => log.push(`start ${c.name}`),
    onToolUpdate: (c) => log.push(`update ${c.name}`),
    onToolResult: async (c, result) => {
      results.push({ call: c, result });
      log.push(`result ${c.name}${result.isError ? ' error' : ''}`);
    },
  };
  return { log, steps, results, callbacks };
}

function firstText(result: ToolResult | undefined): string {
  const block = result?.content[0];
  return block?.type === 'text' ? block.text : '';
}

const echoTool: AgentTool = {
  name: 'echo_args',
  description: 'Echoes its arguments.',
  parameters: { type: 'object', properties: { value: { type: 'string' } }, required: ['value'] },
  async execute(_id, params, _signal, onUpdate) {
    onUpdate?.({ content: [{ type: 'text', text: 'working' }] });
    return {
      content: [{ type: 'text', text: `got ${String(params.value)}` }],
      details: { secret: 'for-ui' },
    };
  },
};

test('the loop runs each call in order, commits step then results, feeds results back (no details) until the model answers', async () => {
  const { provider, requests } = scripted([
    () => [
      say('Let me look.'),
      call('a', 'echo_args', { value: 'one' }),
      call('b', 'echo_args', { value: 'two' }),
      done('tool_use'),
    ],
    () => [say('Both done.'), done()],
  ]);
  const rec = recorder();
  const result = await runToolLoop(
    {
      provider,
      model: 'm',
      messages: [{ role: 'user', content: 'go' }],
      tools: [echoTool],
      maxSteps: 8,
      signal: new AbortController().signal,
    },
    rec.callbacks,
  );
  assert.equal(result.text, 'Both done.');
  assert.equal(result.toolSteps, 1);
  assert.deepEqual(rec.log, [
    'commit step 1',
    'start echo_args',
    'update echo_args',
    'result echo_args',
    'start echo_args',
    'update echo_args',
    'result echo_args',
    'step 2',
  ]);
  assert.equal(rec.steps[0]?.text, 'Let me look.');
  assert.deepEqual(
    requests[0]?.tools?.map((t) => t.name),
    ['echo_args'],
  );
  const second = requests[1]?.messages as ProviderMessage[];
  assert.deepEqual(second.slice(1), [
    {
      role: 'assistant',
      content: 'Let me look.',
      toolCalls: [
        { id: 'a', name: 'echo_args', arguments: { value: 'one' } },
        { id: 'b', name: 'echo_args', arguments: { value: 'two' } },
      ],
    },
    { role: 'tool', toolCallId: 'a', toolName: 'echo_args', content: 'got one' },
    { role: 'tool', toolCallId: 'b', toolName: 'echo_args', content: 'got two' },
  ]);
  assert.ok(!JSON.stringify(second).includes('for-ui'), 'details are never replayed to the model');
});

test('an unknown tool, arguments that are not JSON or break the schema, and a throwing tool are isError results, never a failed turn', async () => {
  const throwing: AgentTool = {
    name: 'boom',
    description: 'Throws.',
    parameters: { type: 'object', properties: {} },
    async execute() {
      throw new Error('kaboom');
    },
  };
  const { provider, requests } = scripted([
    () => [
      call('1', 'nope'),
      call('2', 'echo_args', {}, 'not valid JSON (Unexpected token): {bad'),
      call('3', 'echo_args', { value: 7 }),
      call('4', 'boom'),
      done('tool_use'),
    ],
    () => [say('ok'), done()],
  ]);
  const rec = recorder();
  const result = await runToolLoop(
    {
      provider,
      model: 'm',
      messages: [{ role: 'user', content: 'go' }],
      tools: [echoTool, throwing],
      maxSteps: 8,
      signal: new AbortController().signal,
    },
    rec.callbacks,
  );
  assert.equal(result.text, 'ok');
  const texts = rec.results.map(({ result: r }) => [r.isError, firstText(r)]);
  assert.deepEqual(texts[0], [true, 'Tool nope not found.']);
  assert.match(String(texts[1]?.[1]), /^Invalid arguments for tool echo_args: not valid JSON/);
  assert.match(String(texts[2]?.[1]), /^Invalid arguments for tool echo_args: value/);
  assert.deepEqual(texts[3], [true, 'kaboom']);
  const fed = (requests[1]?.messages ?? []).filter((m) => m.role === 'tool');
  assert.equal(fed.length, 4);
  assert.ok(fed.every((m) => m.role === 'tool' && m.isError === true));
});

test('the step cap: the last allowed step still gets results for its calls, then the turn fails naming tools.maxSteps', async () => {
  const steps = Array.from({ length: 5 }, (_, i) => () => [
    call(`c${i}`, 'echo_args', { value: String(i) }),
    done('tool_use'),
  ]);
  const { provider, requests } = scripted(steps);
  const rec = recorder();
  await assert.rejects(
    runToolLoop(
      {
        provider,
        model: 'm',
        messages: [{ role: 'user', content: 'loop forever' }],
        tools: [echoTool],
        maxSteps: 3,
        signal: new AbortController().signal,
      },
      rec.callbacks,
    ),
    (error: unknown) => {
      assert.ok(error instanceof TurnError);
      assert.equal(error.providerError.kind, 'tool_loop');
      assert.match(error.message, /3 model steps.*tools\.maxSteps/);
      assert.equal(error.toolSteps, 3);
      return true;
    },
  );
  assert.equal(requests.length, 3);
  assert.equal(rec.results.length, 3);
  assert.match(firstText(rec.results[2]?.result), /^Not run: the turn reached its limit/);
});

test('an abort reaches the running tool through its signal; a tool ignoring it does not hold the turn', async () => {
  const controller = new AbortController();
  let sawAbort = false;
  const waiting: AgentTool = {
    name: 'wait',
    description: 'Waits for the abort.',
    parameters: { type: 'object', properties: {} },
    execute: (_id, _params, signal) =>
      new Promise((resolve) => {
        signal?.addEventListener('abort', () => {
          sawAbort = true;
          resolve({ content: [{ type: 'text', text: 'stopped' }] });
        });
      }),
  };
  const stubborn: AgentTool = {
    name: 'stubborn',
    description: 'Never settles.',
    parameters: { type: 'object', properties: {} },
    execute: () => new Promise(() => {}),
  };
  for (const tool of [waiting, stubborn]) {
    const ctrl = tool === waiting ? controller : new AbortController();
    const { provider } = scripted([() => [call('x', tool.name), call('y', tool.name), done('tool_use')]]);
    const rec = recorder();
    let executing!: () => void;
    const started = new Promise<void>((resolve) => {
      executing = resolve;
    });
    const original = tool.execute;
    tool.execute = (...args) => {
      executing();
      return original(...args);
    };
    const running = runToolLoop(
      {
        provider,
        model: 'm',
        messages: [{ role: 'user', content: 'go' }],
        tools: [tool],
        maxSteps: 4,
        signal: ctrl.signal,
      },
      rec.callbacks,
    );
    await started;
    ctrl.abort();
    await assert.rejects(
      running,
      (error: unknown) => error instanceof TurnError && error.providerError.kind === 'aborted',
    );
    // Both calls of the committed step are answered: the running one as aborted, the next as not run.
    assert.equal(rec.results.length, 2, tool.name);
    assert.ok(rec.results.every(({ result }) => result.isError));
    assert.match(firstText(rec.results[0]?.result), /aborted|stopped/);
    assert.match(firstText(rec.results[1]?.result), /^Not run: the run was aborted/);
    tool.execute = original;
  }
  assert.equal(sawAbort, true);
});

test('a provider failure after a tool step reports the steps done, so no fallback runs the tools again', async () => {
  const { provider } = scripted([
    () => [call('a', 'echo_args', { value: 'x' }), done('tool_use')],
    () => {
      throw new Error('provider went away');
    },
  ]);
  const rec = recorder();
  await assert.rejects(
    runToolLoop(
      {
        provider,
        model: 'm',
        messages: [{ role: 'user', content: 'go' }],
        tools: [echoTool],
        maxSteps: 4,
        signal: new AbortController().signal,
      },
      rec.callbacks,
    ),
    (error: unknown) =>
      error instanceof TurnError && error.toolSteps === 1 && /provider went away/.test(error.message),
  );
});

test('a step whose commit fails ends the turn before any of its tools runs', async () => {
  let ran = false;
  const tool: AgentTool = {
    ...echoTool,
    execute: async () => {
      ran = true;
      return { content: [] };
    },
  };
  const { provider } = scripted([() => [call('a', 'echo_args', { value: 'x' }), done('tool_use')]]);
  const rec = recorder();
  rec.callbacks.onToolStep = async () => {
    throw new Error('disk full');
  };
  await assert.rejects(
    runToolLoop(
      {
        provider,
        model: 'm',
        messages: [{ role: 'user', content: 'go' }],
        tools: [tool],
        maxSteps: 4,
        signal: new AbortController().signal,
      },
      rec.callbacks,
    ),
    /the tool calls could not be saved: disk full/,
  );
  assert.equal(ran, false);
});
