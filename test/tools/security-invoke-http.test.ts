import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestGateway, TEST_TOKEN } from '../helpers/gateway.ts';

/**
 * Security: `POST /tools/invoke`. Bearer only: no auth or a wrong one is a 401, a token in the query string is never
 * read (401), a body over 2 MB is a 413 before it is buffered; OpenClaw's request and response JSON; the default
 * deny list (exec) holds over HTTP too.
 */

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: unknown };

function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      // A fresh connection each: a refused request's unread body may close the one it came on.
      { method, agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    // A refused oversized body may reset the connection before the whole upload went out.
    req.on('error', (error) =>
      error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error),
    );
    req.end(body);
  });
}

const bearer = (token = TEST_TOKEN) => ({ authorization: `Bearer ${token}` });

test('POST /tools/invoke: 401 without a Bearer, with a wrong one, or with the token only in the query string', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const url = `${gw.httpUrl}/tools/invoke`;
  const body = JSON.stringify({ tool: 'read', args: { path: 'x' } });
  assert.equal((await post(url, body)).status, 401);
  assert.equal((await post(url, body, bearer('wrong-token-0123456789abcdef'))).status, 401);
  for (const query of [`token=${TEST_TOKEN}`, `access_token=${TEST_TOKEN}`, `password=${TEST_TOKEN}`]) {
    const reply = await post(`${url}?${query}`, body);
    assert.equal(reply.status, 401, query);
    assert.equal(reply.headers['www-authenticate'], 'Bearer');
  }
  assert.equal((await post(url, '', {}, 'GET')).status, 405);
});

test('POST /tools/invoke: a body over 2 MB is refused with 413, by its declared length and by what arrives', async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  const url = `${gw.httpUrl}/tools/invoke`;
  const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
  assert.equal((await post(url, big, bearer())).status, 413);
  // Chunked, no Content-Length: refused once the bytes pass the cap.
  const chunked = await new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { ...bearer(), 'transfer-encoding': 'chunked' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (error) => (/EPIPE|ECONNRESET/.test(error.message) ? undefined : reject(error)));
    for (let i = 0; i < 3; i += 1) req.write(Buffer.alloc(1024 * 1024, 0x20));
    req.end();
  });
  assert.equal(chunked, 413);
  // Just under the cap is read (and then judged on its content).
  const padded = JSON.stringify({
    tool: 'read',
    args: { path: 'nope.txt' },
    pad: 'x'.repeat(2 * 1024 * 1024 - 200),
  });
  assert.equal((await post(url, padded, bearer())).status, 400);
});

test("POST /tools/invoke answers OpenClaw's JSON: {ok, result} on success, {ok:false, error:{type,message}} with the status", async (t) => {
  const gw = await startTestGateway();
  t.after(() => gw.close());
  mkdirSync(join(gw.stateDir, 'workspace'), { recursive: true });
  writeFileSync(join(gw.stateDir, 'workspace', 'a.txt'), 'alpha\n');
  const url = `${gw.httpUrl}/tools/invoke`;
  const ok = await post(
    url,
    JSON.stringify({ tool: 'read', args: { path: 'a.txt' }, sessionKey: 'main' }),
    bearer(),
  );
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, {
    ok: true,
    result: {
      content: [{ type: 'text', text: 'alpha' }],
      details: { kind: 'text', totalLines: 1, startLine: 1, endLine: 1 },
    },
  });
  const cases: [unknown, number, string, RegExp][] = [
    [{ tool: 'exec', args: { command: 'id' } }, 404, 'not_found', /Tool not available: exec/],
    [{ tool: 'nope' }, 404, 'not_found', /Tool not available: nope/],
    [{ args: {} }, 400, 'invalid_request', /requires name/],
    [{ tool: 'read', args: {} }, 400, 'tool_error', /path is required/],
    [{ tool: 'read', args: { path: '../clawgate.json' } }, 403, 'tool_error', /outside the agent workspace/],
    [{ tool: 'read', agentId: 'ghost' }, 400, 'invalid_request', /unknown agent/],
  ];
  for (const [body, status, type, pattern] of cases) {
    const reply = await post(url, JSON.stringify(body), bearer());
    assert.equal(reply.status, status, JSON.stringify({ body, reply: reply.body }));
    const error = (reply.body as { ok: boolean; error: { type: string; message: string } }).error;
    assert.equal((reply.body as { ok: boolean }).ok, false);
    assert.equal(error.type, type);
    assert.match(error.message, pattern);
  }
  assert.equal((await post(url, '{not json', bearer())).status, 400);
  assert.equal((await post(url, '[1,2]', bearer())).status, 400);
});
