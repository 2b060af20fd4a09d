import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { defineChannelPluginEntry } from 'openclaw/plugin-sdk/channel-core';
import { loopbackChatPlugin, outbox, running } from './src/channel.js';

const MAX_BODY_BYTES = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function reply(res: ServerResponse, status: number, body: unknown): true {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
  return true;
}

export default defineChannelPluginEntry({
  id: 'loopback-chat',
  name: 'Loopback Chat',
  description: 'A minimal channel: messages arrive over HTTP, replies land in an outbox',
  plugin: loopbackChatPlugin,
  registerCliMetadata(api) {
    api.registerCli(
      ({ program }: { program: { command(name: string): { description(text: string): unknown } } }) => {
        program.command('loopback-chat').description('Loopback Chat management');
      },
      {
        descriptors: [
          { name: 'loopback-chat', description: 'Loopback Chat management', hasSubcommands: false },
        ],
      },
    );
  },
  registerFull(api) {
    // `plugin` auth: the channel checks its own token, as a webhook from a messaging network would be checked.
    api.registerHttpRoute({
      path: '/loopback-chat/inbound',
      auth: 'plugin',
      handler: async (req: IncomingMessage, res: ServerResponse) => {
        if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
        const account = running.get('default');
        const token = req.headers['x-loopback-token'];
        if (!account || typeof token !== 'string' || !sameSecret(token, account.token)) {
          return reply(res, 401, { error: 'unauthorized' });
        }
        const body = await readJson(req);
        await account.receive({
          messageId: String(body.messageId),
          chatId: String(body.chatId),
          senderId: String(body.senderId),
          text: String(body.text ?? ''),
        });
        return reply(res, 202, { accepted: true });
      },
    });
    api.registerGatewayMethod('loopback-chat.outbox', ({ respond }) => respond(true, { messages: outbox }), {
      scope: 'operator.read',
    });
  },
});
