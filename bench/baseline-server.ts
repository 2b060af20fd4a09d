/**
 * The floor for the start-up benchmark: a bare Node `http` + `ws` server started the same way as the gateway
 * (`--port N`), answering `/health` and `/readyz` 200, accepting WebSocket upgrades, answering a `connect`
 * with a minimal hello-ok, and printing the same ready line. Whatever the gateway spends above this is ours.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

const server = createServer((req, res) => {
  const ok = req.url === '/health' || req.url === '/readyz';
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
  res.end(ok ? '{"ok":true}' : '{"ok":false}');
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send(
      JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }),
    );
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { id?: string; method?: string };
      if (frame.method === 'connect')
        ws.send(
          JSON.stringify({ type: 'res', id: frame.id, ok: true, payload: { type: 'hello-ok', protocol: 4 } }),
        );
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
