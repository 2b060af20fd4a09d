import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig } from '../../src/config/defaults.ts';
import { SessionEvents } from '../../src/sessions/session-events.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { echoChatService } from '../helpers/echo-chat.ts';

const KEY = 'agent:main:main';

test('close() also aborts a turn whose send was still committing when close began', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-chat-close-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = SqliteStore.open(dir);
  t.after(() => sqlite.close());
  const bus = { broadcast: () => 0, send: () => undefined };
  // A minute per word: a turn that is not aborted would hold close() for the whole reply.
  const config = { ...defaultConfig(), models: { providers: {}, echo: { wordDelayMs: 60_000 } } };
  const chat = echoChatService({
    store: sqlite,
    events: bus,
    config,
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
