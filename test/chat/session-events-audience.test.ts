import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import { HealthState } from '../../src/health/health-state.ts';
import { InProcessBroadcast } from '../../src/server/broadcast.ts';
import { CORE_MODULES } from '../../src/server/core-modules.ts';
import { GatewayRegistry } from '../../src/server/registry.ts';
import { serverModule } from '../../src/server/server-module.ts';
import type { GatewayWsClient } from '../../src/server/ws/client.ts';
import { SessionEvents } from '../../src/sessions/session-events.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { echoChatService } from '../helpers/echo-chat.ts';

const KEY = 'agent:main:main';

type Frame = { event: string; seq: number; payload: Record<string, unknown> };

/** A connected admin socket as the broadcast sees it: what it was sent, parsed. */
function fakeClient() {
  const sent: string[] = [];
  const client = {
    authenticated: true,
    closed: false,
    scopes: new Set(['operator.admin']),
    caps: new Set<string>(),
    sessionsSubscribed: false,
    messageSubscriptions: new Set<string>(),
    seq: 0,
    ws: { readyState: 1, bufferedAmount: 0, send: (text: string) => sent.push(text) },
  };
  const frames = () => sent.map((text) => JSON.parse(text) as Frame);
  return { client, frames };
}

/** A ChatService on a real store and the real broadcast; `reads` counts the store's getSession calls. */
function harness(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-audience-'));
  const sqlite = SqliteStore.open(dir);
  let reads = 0;
  const counted = new Proxy(sqlite, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'getSession') reads += 1;
        return value.apply(target, args);
      };
    },
  });
  const health = new HealthState();
  const registry = new GatewayRegistry();
  registry.register(serverModule());
  for (const module of CORE_MODULES) registry.register(module);
  const socket = fakeClient();
  const events = new InProcessBroadcast({
    clients: new Set([socket.client as unknown as GatewayWsClient]),
    health,
    registry,
    maxBufferedBytes: () => 1024 * 1024,
    onSlowConsumer: () => assert.fail('no slow consumer here'),
    onUnregistered: (event) => assert.fail(`unregistered event ${event}`),
  });
  const sessionEvents = new SessionEvents(events, Date.now, () => KEY);
  const config = defaultConfig();
  config.models.echo = { ...config.models.echo, wordDelayMs: 0 };
  const chat = echoChatService({ store: counted, events, config, sessionEvents });
  sessionEvents.activeRuns = (sessionKey) => chat.activeRunIds(sessionKey);
  t.after(async () => {
    await chat.close();
    sqlite.close();
    health.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const turn = async () => {
    n += 1;
    const before = reads;
    const started = await chat.send({
      sessionKey: KEY,
      agentId: 'main',
      message: `hi ${n}`,
      idempotencyKey: `r-${n}`,
    });
    assert.equal((await started.done).status, 'ok');
    return { runId: `r-${n}`, reads: reads - before };
  };
  return { socket, turn };
}

const sessionFrames = (frames: Frame[], runId: string) =>
  frames.filter(
    (f) =>
      (f.event === 'sessions.changed' && f.payload.runId === runId) ||
      (f.event === 'session.message' &&
        (f.payload.message as { runId?: string } | undefined)?.runId === runId),
  );

test('a turn nobody watches the session of reads it only for the run, and sends no session events', async (t) => {
  const { socket, turn } = harness(t);
  const { runId, reads } = await turn();
  // send() (does it exist?) and #execute (its model): the two reads for the session events are skipped.
  assert.equal(reads, 2);
  assert.deepEqual(sessionFrames(socket.frames(), runId), []);
  assert.ok(socket.frames().some((f) => f.event === 'chat' && f.payload.state === 'final'));
});

test("a subscriber still gets every session event of a turn, each with its session row, in OpenClaw's order", async (t) => {
  const { socket, turn } = harness(t);
  await turn();
  socket.client.sessionsSubscribed = true;
  const { runId, reads } = await turn();
  assert.equal(reads, 4);
  const frames = socket.frames().filter((f) => f.payload.runId === runId || sessionFrames([f], runId).length);
  const named = frames
    .filter((f) => f.event !== 'agent' && !(f.event === 'chat' && f.payload.state !== 'final'))
    .map((f) =>
      f.event === 'sessions.changed'
        ? `changed:${f.payload.reason}:${(f.payload.session as { status?: string }).status}`
        : f.event === 'session.message'
          ? `message:${(f.payload.message as { role: string }).role}:${f.payload.messageSeq}`
          : `${f.event}:${f.payload.state}`,
    );
  assert.deepEqual(named, [
    'changed:message:running',
    'message:user:3',
    'message:assistant:4',
    'chat:final',
    'changed:agent.input.settled:running',
  ]);
  const rows = frames
    .filter((f) => f.event === 'sessions.changed' || f.event === 'session.message')
    .map((f) => (f.payload.session as { key: string; totalTokens: number } | undefined)?.key);
  assert.deepEqual(rows, [KEY, KEY, KEY, KEY]);
});

test("a session's message subscriber alone still gets its session.message events, session row included", async (t) => {
  const { socket, turn } = harness(t);
  socket.client.messageSubscriptions.add(KEY);
  const { runId, reads } = await turn();
  assert.equal(reads, 4);
  const messages = sessionFrames(socket.frames(), runId);
  assert.deepEqual(
    messages.map((f) => [f.event, (f.payload.session as { key?: string } | undefined)?.key]),
    [
      ['session.message', KEY],
      ['session.message', KEY],
    ],
  );
});
