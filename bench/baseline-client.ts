/**
 * The realistic floor for `clawgate call health`: Node start, `ws` import, the `connect` handshake and one
 * `health` request against the same gateway, with nothing else loaded. Usage: `--url <ws url> --token <t>`.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' } } });

const ws = new WebSocket(values.url ?? 'ws://127.0.0.1:18789', { perMessageDeflate: false });
const timer = setTimeout(() => {
  process.stderr.write('baseline client: timed out\n');
  process.exit(1);
}, 10_000);
ws.on('error', (error) => {
  process.stderr.write(`baseline client: ${error.message}\n`);
  process.exit(1);
});
ws.on('message', (data) => {
  const frame = JSON.parse(data.toString()) as { type: string; event?: string; id?: string; ok?: boolean };
  if (frame.type === 'event' && frame.event === 'connect.challenge') {
    const client = { id: 'cli', version: '0.0.0', platform: process.platform, mode: 'cli' };
    const params = { minProtocol: 4, maxProtocol: 4, client, role: 'operator', scopes: ['operator.read'] };
    ws.send(
      JSON.stringify({
        type: 'req',
        id: 'c',
        method: 'connect',
        params: { ...params, auth: { token: values.token } },
      }),
    );
  } else if (frame.type === 'res' && frame.id === 'c') {
    if (!frame.ok) process.exit(1);
    ws.send(JSON.stringify({ type: 'req', id: 'h', method: 'health' }));
  } else if (frame.type === 'res' && frame.id === 'h') {
    process.stdout.write(`${data.toString()}\n`);
    clearTimeout(timer);
    process.exitCode = frame.ok ? 0 : 1;
    ws.close(1000);
  }
});
