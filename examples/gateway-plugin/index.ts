import type { IncomingMessage, ServerResponse } from 'node:http';
import { definePluginEntry } from 'openclaw/plugin-sdk/plugin-entry';

type Counter = { visits: number };

export default definePluginEntry({
  id: 'visit-counter',
  name: 'Visit Counter',
  description: 'Counts visits over RPC and HTTP and reports them every so often',
  register(api) {
    const greeting: string = api.pluginConfig.greeting ?? 'Hello';
    const counter: Counter = { visits: 0 };
    let timer: NodeJS.Timeout | undefined;

    // Readers may visit; the default scope (operator.admin) guards the reset.
    api.registerGatewayMethod(
      'visit-counter.visit',
      ({ params, respond }) => {
        counter.visits += 1;
        const name = typeof params.name === 'string' ? params.name : 'visitor';
        respond(true, { message: `${greeting}, ${name}`, visits: counter.visits });
      },
      { scope: 'operator.read' },
    );
    api.registerGatewayMethod('visit-counter.reset', ({ respond }) => {
      counter.visits = 0;
      respond(true, { visits: 0 });
    });

    // Under the plugin's own prefix; `gateway` auth: the caller needs the gateway's bearer token.
    api.registerHttpRoute({
      path: '/visit-counter/visits',
      auth: 'gateway',
      handler: (req: IncomingMessage, res: ServerResponse) => {
        if (req.method === 'POST') counter.visits += 1;
        res.statusCode = 200;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ visits: counter.visits }));
        return true;
      },
    });

    api.registerService({
      id: 'visit-counter.reporter',
      start(ctx) {
        ctx.gatewayEvents?.emit('started', { visits: counter.visits }, { scope: 'operator.read' });
        const every: number = api.pluginConfig.reportEveryMs ?? 60_000;
        timer = setInterval(() => ctx.logger.info(`${counter.visits} visits so far`), every);
        timer.unref();
      },
      stop() {
        clearInterval(timer);
        timer = undefined;
      },
    });
  },
});
