import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatewayWsClient } from '../../../src/server/ws/client.ts';
import { corkUntilImmediate, corkUntilTickEnds } from '../../../src/server/ws/cork.ts';

function fakeClient(log: string[]): GatewayWsClient {
  const socket = { cork: () => log.push('cork'), uncork: () => log.push('uncork') };
  return { corked: false, ws: { _socket: socket } } as unknown as GatewayWsClient;
}

test('answers are held until the tick ends, not until the check phase', async () => {
  const log: string[] = [];
  const client = fakeClient(log);
  corkUntilTickEnds(client);
  corkUntilTickEnds(client);
  assert.deepEqual(log, ['cork'], 'one cork for all the answers of the tick');
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(log, ['cork', 'uncork']);
  assert.equal(client.corked, false);
});

test('an answer to a socket already held for the check phase rides along with its events', async () => {
  const log: string[] = [];
  const client = fakeClient(log);
  corkUntilImmediate(client);
  corkUntilTickEnds(client);
  await new Promise((resolve) => process.nextTick(resolve));
  assert.deepEqual(log, ['cork'], 'still held after the tick');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(log, ['cork', 'uncork']);
});

test('a socket without its underlying stream (closed) is left alone', () => {
  const client = { corked: false, ws: {} } as unknown as GatewayWsClient;
  corkUntilTickEnds(client);
  corkUntilImmediate(client);
  assert.equal(client.corked, false);
});
