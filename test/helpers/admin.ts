import assert from 'node:assert/strict';
import type { TestGateway } from './gateway.ts';
import { connectClient, type RawClient } from './raw-client.ts';

/** A token client with every operator scope, closed when the test ends. */
export async function admin(
  t: { after(fn: () => void): void },
  gw: TestGateway,
  token = gw.token,
): Promise<RawClient> {
  const { client, hello } = await connectClient(gw.url, token);
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return client;
}

/** A token client with only `scopes`, closed when the test ends. */
export async function operator(
  t: { after(fn: () => void): void },
  gw: TestGateway,
  scopes: string[],
): Promise<RawClient> {
  const { client, hello } = await connectClient(gw.url, gw.token, { scopes });
  t.after(() => client.close());
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  return client;
}

/** `config.get`'s payload, asserting the call succeeded. */
export async function configGet<T>(client: RawClient): Promise<T> {
  const res = await client.request('config.get');
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return res.payload as T;
}
