import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveModel } from '../../src/agents/providers/registry.ts';
import { ChatService } from '../../src/chat/chat-service.ts';
import { ContextTailStore } from '../../src/chat/context-tail.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { Lanes } from '../../src/server/lanes.ts';
import { SessionEvents } from '../../src/sessions/session-events.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';

const KEY = 'agent:main:main';

test('close() also aborts a turn whose send was still committing when close began', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-chat-close-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = SqliteStore.open(dir);
  t.after(() => sqlite.close());
  const bus = { broadcast: () => 0, send: () => undefined };
  // A minute per word: a turn that is not aborted would hold close() for the whole reply.
  const config = { ...defaultConfig(), models: { providers: {}, echo: { wordDelayMs: 60_000 } } };
  const chat = new ChatService({
    store: new ContextTailStore(sqlite),
    events: bus,
    lanes: new Lanes({ main: 1 }),
    logger: createLogger({ level: 'error', console: () => undefined }),
    now: Date.now,
    config: () => config,
    resolveModel: (ref) => resolveModel(ref, config),
    agentSettings: () => ({ models: ['echo/echo'] }),
    sessionEvents: new SessionEvents(bus, Date.now, () => KEY),
  });
  // Not awaited: the send is past its closing check and committing its user message when close() starts.
  const sending = chat.send({
    sessionKey: KEY,
    agentId: 'main',
    message: 'one two three',
    idempotencyKey: 'late',
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), 5_000);
  });
  const closed = await Promise.race([chat.close().then(() => 'closed'), deadline]);
  clearTimeout(timer);
  assert.equal(closed, 'closed', 'close() waited for the turn instead of aborting it');
  const outcome = await (await sending).done;
  assert.equal(outcome.status, 'aborted');
});
