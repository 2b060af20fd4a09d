/**
 * The floor for the chat-turn benchmark: a bare Node `http` + `ws` server that answers `connect` and then, per
 * `chat.send`, the `res` and the same frames an echo turn costs on the gateway (status, lifecycle, one agent +
 * one chat delta per word, usage, end, final), with payloads of the same shape, per-connection `seq`, and
 * nothing else: no validation, storage, lanes or history. Started like the gateway (`--port N`, same ready line).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

type Request = {
  id?: string;
  method?: string;
  params?: { sessionKey?: string; message?: string; idempotencyKey?: string };
};

const server = createServer((req, res) => {
  const ok = req.url === '/health' || req.url === '/readyz';
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
  res.end(ok ? '{"ok":true}' : '{"ok":false}');
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

/** Sends one event with the connection's next seq. */
function emit(ws: WebSocket, state: { seq: number }, event: string, payload: unknown): void {
  state.seq += 1;
  ws.send(JSON.stringify({ type: 'event', event, payload, seq: state.seq }));
}

function echoTurn(ws: WebSocket, state: { seq: number }, request: Request): void {
  const runId = request.params?.idempotencyKey ?? 'run';
  const sessionKey = `agent:main:${request.params?.sessionKey ?? 'main'}`;
  ws.send(JSON.stringify({ type: 'res', id: request.id, ok: true, payload: { runId, status: 'started' } }));
  let runSeq = 0;
  const agent = (stream: string, data: unknown) =>
    emit(ws, state, 'agent', { runId, seq: ++runSeq, stream, ts: Date.now(), data });
  const chat = (chatState: string, extra: Record<string, unknown>) =>
    emit(ws, state, 'chat', { runId, sessionKey, agentId: 'main', seq: runSeq, state: chatState, ...extra });
  const startedAt = Date.now();
  for (const phase of ['preparing_context', 'starting_model']) {
    agent('run_status', { phase });
    chat('status', { phase });
    agent('lifecycle', phase === 'preparing_context' ? { phase: 'start', startedAt } : { phase: 'model' });
  }
  const words = `Echo: ${request.params?.message ?? ''}`.match(/\s*\S+/g) ?? [];
  let text = '';
  for (const delta of words) {
    text += delta;
    const message = { role: 'assistant', content: [{ type: 'text', text }], timestamp: Date.now() };
    agent('assistant', { text, delta });
    chat('delta', { deltaText: delta, message });
  }
  agent('usage', { input: words.length, output: words.length, totalTokens: 2 * words.length });
  agent('lifecycle', { phase: 'end', stopReason: 'stop', aborted: false, startedAt, endedAt: Date.now() });
  chat('final', {
    stopReason: 'stop',
    message: { role: 'assistant', content: [{ type: 'text', text }], timestamp: Date.now() },
  });
}

server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const state = { seq: 0 };
    ws.send(
      JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }),
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Request;
      if (frame.method === 'connect')
        ws.send(
          JSON.stringify({
            type: 'res',
            id: frame.id,
            ok: true,
            payload: {
              type: 'hello-ok',
              protocol: 4,
              auth: { role: 'operator', scopes: ['operator.admin'] },
            },
          }),
        );
      else if (frame.method === 'chat.send') echoTurn(ws, state, frame);
      else ws.send(JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: {} }));
    });
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`clawgate ready: ws://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});

process.once('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
