import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type FakeProvider, startFakeProvider } from '../helpers/fake-provider.ts';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { assertMatchesOfficial } from '../helpers/official-schemas.ts';
import { connectClient, type Frame, type RawClient } from '../helpers/raw-client.ts';

/**
 * A turn with tools through each provider's real wire format: the local fake server streams tool calls as the
 * OpenAI chat completions API (`tool_calls` deltas by index, arguments in pieces) and the Anthropic Messages API
 * (`tool_use` blocks with `input_json_delta`) stream them; the gateway runs the calls against the agent workspace
 * and sends the results back in that provider's format, then streams the model's answer.
 */
const WAIT_MS = 15_000;

type ChatPayload = {
  runId: string;
  state: string;
  message?: { content: { text: string }[] };
  errorMessage?: string;
};
type AgentPayload = {
  runId: string;
  stream: string;
  sessionKey?: string;
  agentId?: string;
  data: Record<string, unknown>;
};

async function setup(t: TestContext, api: 'openai-completions' | 'anthropic-messages') {
  const fake = await startFakeProvider();
  t.after(() => fake.close());
  const gw = await startTestGateway({
    config: {
      models: {
        providers: {
          fake: {
            baseUrl: api === 'openai-completions' ? fake.openaiBaseUrl : fake.anthropicBaseUrl,
            apiKey: 'sk-test-0123456789',
            api,
          },
        },
      },
      agents: { defaults: { model: 'fake/m1' } },
    },
  });
  t.after(() => gw.close());
  const workspace = join(gw.stateDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'notes.txt'), 'the answer is 42\n');
  const { client } = await connectClient(gw.url, TEST_TOKEN, { caps: ['tool-events'] });
  t.after(() => client.close());
  return { fake, gw, client };
}

async function turn(client: RawClient, message: string, runId: string): Promise<ChatPayload> {
  const sent = await client.request(
    'chat.send',
    { sessionKey: 'main', message, idempotencyKey: runId },
    WAIT_MS,
  );
  assert.equal(sent.ok, true, JSON.stringify(sent.error));
  const end = await client.waitFor(
    (f) =>
      f.event === 'chat' &&
      (f.payload as ChatPayload).runId === runId &&
      ['final', 'error', 'aborted'].includes((f.payload as ChatPayload).state),
    WAIT_MS,
  );
  return end.payload as ChatPayload;
}

function toolEvents(client: RawClient): AgentPayload[] {
  return client.frames
    .filter((f: Frame) => f.event === 'agent' && (f.payload as AgentPayload).stream === 'tool')
    .map((f) => f.payload as AgentPayload);
}

function scriptTwoCalls(fake: FakeProvider): void {
  fake.enqueue({
    text: 'Reading.',
    toolCalls: [
      { id: 'call_read', name: 'read', arguments: { path: 'notes.txt' }, argumentChunks: 4 },
      { id: 'call_missing', name: 'read', arguments: { path: 'missing.txt' } },
    ],
  });
  fake.enqueue({ text: 'It says 42.' });
}

test('OpenAI format: tools offered as functions, tool_calls deltas assembled, results sent back as role:"tool"', async (t) => {
  const { fake, client } = await setup(t, 'openai-completions');
  scriptTwoCalls(fake);
  const end = await turn(client, 'what do my notes say?', 'oa-1');
  assert.equal(end.state, 'final', JSON.stringify(end));
  assert.equal(end.message?.content[0]?.text, 'It says 42.');

  const first = (await fake.waitForRequest(1)).body as {
    tools: { type: string; function: { name: string } }[];
  };
  const offered = first.tools.map((tool) => `${tool.type}:${tool.function.name}`);
  for (const name of ['read', 'write', 'edit', 'exec', 'process', 'web_fetch']) {
    assert.ok(offered.includes(`function:${name}`), `${name} offered: ${offered.join(', ')}`);
  }
  const second = (await fake.waitForRequest(2)).body as { messages: Record<string, unknown>[] };
  const tail = second.messages.slice(-3);
  assert.deepEqual(tail[0], {
    role: 'assistant',
    content: 'Reading.',
    tool_calls: [
      { id: 'call_read', type: 'function', function: { name: 'read', arguments: '{"path":"notes.txt"}' } },
      {
        id: 'call_missing',
        type: 'function',
        function: { name: 'read', arguments: '{"path":"missing.txt"}' },
      },
    ],
  });
  assert.deepEqual(tail[1], { role: 'tool', tool_call_id: 'call_read', content: 'the answer is 42' });
  assert.equal(tail[2]?.role, 'tool');
  assert.equal(tail[2]?.tool_call_id, 'call_missing');
  assert.match(String(tail[2]?.content), /File not found/);

  // The Control UI's tool stream: start (args) and result (content, isError) per call, named by session.
  const events = toolEvents(client);
  assert.deepEqual(
    events.map((e) => [e.data.phase, e.data.toolCallId, e.data.name]),
    [
      ['start', 'call_read', 'read'],
      ['result', 'call_read', 'read'],
      ['start', 'call_missing', 'read'],
      ['result', 'call_missing', 'read'],
    ],
  );
  assert.deepEqual(events[0]?.data.args, { path: 'notes.txt' });
  assert.equal(events[1]?.data.isError, false);
  assert.equal(events[3]?.data.isError, true);
  for (const event of events) {
    assert.equal(event.sessionKey, 'agent:main:main');
    // OpenClaw adds sessionKey and agentId beyond the published AgentEvent schema; the rest is official.
    const { sessionKey: _s, agentId: _a, ...official } = event;
    assertMatchesOfficial('AgentEvent', official);
  }
});

test('Anthropic format: tools with input_schema, tool_use blocks from input_json_delta, results as tool_result blocks', async (t) => {
  const { fake, client } = await setup(t, 'anthropic-messages');
  scriptTwoCalls(fake);
  const end = await turn(client, 'what do my notes say?', 'an-1');
  assert.equal(end.state, 'final', JSON.stringify(end));
  assert.equal(end.message?.content[0]?.text, 'It says 42.');

  const first = (await fake.waitForRequest(1)).body as {
    tools: { name: string; input_schema: { type: string } }[];
  };
  const read = first.tools.find((tool) => tool.name === 'read');
  assert.equal(read?.input_schema.type, 'object');
  const second = (await fake.waitForRequest(2)).body as { messages: { role: string; content: unknown }[] };
  const [assistant, results] = second.messages.slice(-2);
  assert.deepEqual(assistant, {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Reading.' },
      { type: 'tool_use', id: 'call_read', name: 'read', input: { path: 'notes.txt' } },
      { type: 'tool_use', id: 'call_missing', name: 'read', input: { path: 'missing.txt' } },
    ],
  });
  assert.equal(results?.role, 'user');
  const blocks = results?.content as {
    type: string;
    tool_use_id: string;
    content: string;
    is_error?: boolean;
  }[];
  assert.deepEqual(blocks[0], { type: 'tool_result', tool_use_id: 'call_read', content: 'the answer is 42' });
  assert.equal(blocks[1]?.tool_use_id, 'call_missing');
  assert.equal(blocks[1]?.is_error, true);
});

test('the next turn replays the earlier tool calls and results to the model; bad JSON from the model is its error to fix', async (t) => {
  const { fake, client } = await setup(t, 'openai-completions');
  fake.enqueue({ text: '', toolCalls: [{ id: 'bad', name: 'read', arguments: '{"path": "notes.txt"' }] });
  fake.enqueue({
    text: 'Sorry, retrying.',
    toolCalls: [{ id: 'good', name: 'read', arguments: { path: 'notes.txt' } }],
  });
  fake.enqueue({ text: 'Done.' });
  const end = await turn(client, 'read it', 'r-1');
  assert.equal(end.state, 'final');
  const second = (await fake.waitForRequest(2)).body as { messages: { role: string; content: string }[] };
  assert.match(second.messages.at(-1)?.content ?? '', /^Invalid arguments for tool read: not valid JSON/);

  fake.enqueue({ text: 'Still 42.' });
  const next = await turn(client, 'and now?', 'r-2');
  assert.equal(next.message?.content[0]?.text, 'Still 42.');
  const replay = (await fake.waitForRequest(4)).body as { messages: Record<string, unknown>[] };
  const roles = replay.messages.map((m) => `${m.role}${m.tool_calls ? '+calls' : ''}`);
  assert.deepEqual(roles, [
    'user',
    'assistant+calls',
    'tool',
    'assistant+calls',
    'tool',
    'assistant',
    'user',
  ]);
  assert.equal(replay.messages[2]?.tool_call_id, 'bad');
  assert.equal(replay.messages[4]?.content, 'the answer is 42');
});
