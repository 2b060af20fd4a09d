import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';
import { connectClient, type Frame } from '../helpers/raw-client.ts';

type ChatPayload = { runId: string; state: string; message?: { content: { text: string }[] } };
type AgentPayload = { runId: string; stream: string; data: { phase?: string } };
type LaneSnapshot = {
  lanes: { lane: string; active: number; queued: number; max: number }[];
  sessions: { sessionKey: string; running: boolean; queued: number }[];
};

const WAIT_MS = 15_000;
const TURNS = 20;
const SESSIONS = 5;
const MAIN_LANE = 3;

test('20 concurrent turns over 5 sessions: each session runs its turns one at a time in send order, the main lane never runs more than 3', async (t) => {
  const gw = await startTestGateway({
    config: {
      models: { echo: { wordDelayMs: 5 } },
      gateway: { limits: { mainLaneConcurrency: MAIN_LANE } },
    },
  });
  t.after(() => gw.close());
  const { client } = await connectClient(gw.url, TEST_TOKEN);
  t.after(() => client.close());
  const { client: observer } = await connectClient(gw.url, TEST_TOKEN);
  t.after(() => observer.close());

  const sessionOf = new Map<string, string>();
  const sent: { runId: string; sessionKey: string; message: string }[] = [];
  for (let i = 0; i < TURNS; i++) {
    // Each session's turns are sent back to back, so a session lane that let two through would show at once.
    const sessionKey = `agent:main:lane-${Math.floor(i / (TURNS / SESSIONS))}`;
    const runId = `turn-${String(i).padStart(2, '0')}`;
    const message = `${runId} says one two three four five`;
    sessionOf.set(runId, sessionKey);
    sent.push({ runId, sessionKey, message });
  }
  // All at once, without waiting for any answer.
  for (const { runId, sessionKey, message } of sent) {
    client.send({
      type: 'req',
      id: `send-${runId}`,
      method: 'chat.send',
      params: { sessionKey, message, idempotencyKey: runId },
    });
  }
  const responses = await Promise.all(sent.map(({ runId }) => client.response(`send-${runId}`, WAIT_MS)));
  responses.forEach((res, i) => {
    assert.deepEqual(res.payload, { runId: sent[i]?.runId, status: 'started' }, JSON.stringify(res.error));
  });

  // While the first turns run, the rest wait in their session queues and for a lane slot.
  const isLifecycle = (f: Frame, phase: string) =>
    f.event === 'agent' &&
    (f.payload as AgentPayload).stream === 'lifecycle' &&
    (f.payload as AgentPayload).data.phase === phase;
  await observer.waitFor((f) => isLifecycle(f, 'start'), WAIT_MS);
  const lanes = (await observer.request('diagnostics.lanes', {}, WAIT_MS)).payload as LaneSnapshot;
  const main = lanes.lanes.find((l) => l.lane === 'main');
  assert.ok(main, JSON.stringify(lanes));
  assert.equal(main.max, MAIN_LANE);
  assert.ok(main.active >= 1 && main.active <= MAIN_LANE, JSON.stringify(main));
  const waiting = main.queued + lanes.sessions.reduce((sum, s) => sum + s.queued, 0);
  assert.ok(waiting > 0, `work is queued: ${JSON.stringify(lanes)}`);
  assert.ok(
    lanes.sessions.some((s) => s.running),
    JSON.stringify(lanes.sessions),
  );
  for (const entry of lanes.sessions) assert.match(entry.sessionKey, /^agent:main:lane-\d$/);

  const finals = await Promise.all(
    sent.map(({ runId }) =>
      client.waitFor(
        (f) =>
          f.event === 'chat' &&
          (f.payload as ChatPayload).runId === runId &&
          ['final', 'error', 'aborted'].includes((f.payload as ChatPayload).state),
        WAIT_MS,
      ),
    ),
  );
  finals.forEach((frame, i) => {
    const payload = frame.payload as ChatPayload;
    assert.equal(payload.state, 'final', JSON.stringify(payload));
    assert.equal(payload.message?.content[0]?.text, `Echo: ${sent[i]?.message}`);
  });

  // Replay the lifecycle events in the order this socket received them (one ordered stream).
  let active = 0;
  let peak = 0;
  const running = new Map<string, string>();
  const startOrder = new Map<string, string[]>();
  for (const frame of client.frames) {
    if (frame.event !== 'agent') continue;
    const { runId, stream, data } = frame.payload as AgentPayload;
    if (stream !== 'lifecycle') continue;
    const sessionKey = sessionOf.get(runId) as string;
    if (data.phase === 'start') {
      assert.equal(
        running.get(sessionKey),
        undefined,
        `${runId} started while ${running.get(sessionKey)} ran`,
      );
      running.set(sessionKey, runId);
      startOrder.set(sessionKey, [...(startOrder.get(sessionKey) ?? []), runId]);
      active += 1;
      peak = Math.max(peak, active);
      assert.ok(active <= MAIN_LANE, `${active} turns ran at once`);
    } else if (data.phase === 'end' || data.phase === 'error') {
      assert.equal(running.get(sessionKey), runId);
      running.delete(sessionKey);
      active -= 1;
    }
  }
  assert.equal(active, 0);
  assert.equal(peak, MAIN_LANE, 'the lane was used to its limit');
  for (let s = 0; s < SESSIONS; s++) {
    const sessionKey = `agent:main:lane-${s}`;
    const expected = sent.filter((x) => x.sessionKey === sessionKey).map((x) => x.runId);
    assert.deepEqual(startOrder.get(sessionKey), expected, `${sessionKey} ran its turns in send order`);

    // User messages are committed when accepted, replies when their turn ends: each kind in send order, each
    // reply after its own message.
    const history = (await client.request('chat.history', { sessionKey }, WAIT_MS)).payload as {
      messages: { role: string; content: string | { text: string }[] }[];
    };
    const lines = history.messages.map(
      (m) => `${m.role}:${typeof m.content === 'string' ? m.content : m.content.map((b) => b.text).join('')}`,
    );
    const mine = sent.filter((x) => x.sessionKey === sessionKey);
    assert.deepEqual(
      lines.filter((line) => line.startsWith('user:')),
      mine.map((x) => `user:${x.message}`),
    );
    assert.deepEqual(
      lines.filter((line) => line.startsWith('assistant:')),
      mine.map((x) => `assistant:Echo: ${x.message}`),
    );
    for (const x of mine) {
      assert.ok(lines.indexOf(`user:${x.message}`) < lines.indexOf(`assistant:Echo: ${x.message}`));
    }
  }

  const idle = (await observer.request('diagnostics.lanes', {}, WAIT_MS)).payload as LaneSnapshot;
  assert.deepEqual(
    idle.lanes.find((l) => l.lane === 'main'),
    { lane: 'main', active: 0, queued: 0, max: MAIN_LANE },
  );
  assert.deepEqual(idle.sessions, []);
});
