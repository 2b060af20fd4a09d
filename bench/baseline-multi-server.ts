/**
 * The floor for the chat, RPC, fan-out and connection scenarios: a bare Node `http` + `ws` server that answers
 * `connect` with a minimal hello-ok, any other request with a cached `res` carrying `--res-payload` (the JSON of the
 * gateway's own `health` answer, so a client parses the same thing from both), and `chat.send` with its `res`
 * plus the frames an echo turn costs (status, lifecycle, one agent + one chat delta per word, usage, end, final),
 * sent to every connection (each frame serialised once, a per-connection `seq` appended, as the gateway does).
 * No validation, storage, scopes or back-pressure. Started like the gateway (`--port N`, same ready line).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'res-payload': { type: 'string', default: '{"ok":true}' },
  },
});

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
const seqs = new WeakMap<WebSocket, number>();

const cached = JSON.stringify(JSON.parse(values['res-payload']));

function broadcast(event: string, payload: unknown): void {
  const head = `{"type":"event","event":${JSON.stringify(event)},"payload":${JSON.stringify(payload)},"seq":`;
  for (const ws of wss.clients) {
    const seq = (seqs.get(ws) ?? 0) + 1;
    seqs.set(ws, seq);
    ws.send(`${head}${seq}}`);
  }
}

function echoTurn(ws: WebSocket, request: Request): void {
  const runId = request.params?.idempotencyKey ?? 'run';
  const sessionKey = `agent:main:${request.params?.sessionKey ?? 'main'}`;
  ws.send(JSON.stringify({ type: 'res', id: request.id, ok: true, payload: { runId, status: 'started' } }));
  let runSeq = 0;
  const agent = (stream: string, data: unknown) =>
    broadcast('agent', { runId, seq: ++runSeq, stream, ts: Date.now(), data });
  const chat = (chatState: string, extra: Record<string, unknown>) =>
    broadcast('chat', { runId, sessionKey, agentId: 'main', seq: runSeq, state: chatState, ...extra });
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
      else if (frame.method === 'chat.send') echoTurn(ws, frame);
      else ws.send(`{"type":"res","id":${JSON.stringify(frame.id)},"ok":true,"payload":${cached}}`);
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
