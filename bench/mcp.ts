/**
 * MCP servers (issue 14): what a call to an MCP server's tool costs through the gateway, next to a core tool
 * through the same path and to the same MCP call made straight from an SDK client (the floor), in one run.
 *
 * A gateway child is configured with a stdio server (the test fixture test/fixtures/mcp-server.ts, spawned by the
 * gateway) and a Streamable HTTP server (the same fixture, served from this process on loopback). Each row is
 * `tools.invoke` one call at a time: core `read`, the stdio server's `add`, the HTTP server's `add`; the floor row
 * is an SDK `Client` in this process calling `add` on its own stdio child. The first `tools.invoke` of the run
 * also connects both servers (lazy start): its time is reported on its own.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startHttpMcpServer } from '../test/fixtures/mcp-server.ts';
import { BenchClient, startGateway } from './bench-client.ts';
import { makeTempDir, removeTempDir } from './probes.ts';
import { type Row, stats, type Table, type Target } from './report.ts';

export type McpBenchOptions = { cli: string; cliLabel: string; token: string };
export type McpBenchResult = { tables: Table[]; notes: string[]; targets: Target[]; correct: boolean };

const CALLS = 300;
const WARMUP = 30;
const FIXTURE = new URL('../test/fixtures/mcp-server.ts', import.meta.url).pathname;

async function timed(
  count: number,
  call: (i: number) => Promise<boolean>,
): Promise<{ ms: number[]; wrong: number }> {
  const ms: number[] = [];
  let wrong = 0;
  for (let i = 0; i < count + WARMUP; i += 1) {
    const started = performance.now();
    const ok = await call(i);
    if (i >= WARMUP) ms.push(performance.now() - started);
    if (!ok) wrong += 1;
  }
  return { ms, wrong };
}

const text = (payload: unknown) =>
  (payload as { output?: { content?: { text?: string }[] } }).output?.content?.[0]?.text ?? '';

export async function measureMcp(options: McpBenchOptions): Promise<McpBenchResult> {
  const http = await startHttpMcpServer();
  const stateDir = makeTempDir('clawgate-bench-mcp-');
  const workspace = join(stateDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'file.txt'), 'bench\n');
  const server = await startGateway(
    options.cli,
    options.token,
    {
      agents: { defaults: { workspace } },
      mcp: {
        servers: {
          local: { command: process.execPath, args: [FIXTURE] },
          remote: { url: http.url, transport: 'streamable-http' },
        },
      },
    },
    'mcp',
    stateDir,
  );
  const client = await BenchClient.connect(server.url, options.token, 'backend');
  const floorClient = new Client({ name: 'bench', version: '0' });
  try {
    process.stderr.write('bench: mcp, first use (connects both servers)…\n');
    const firstStarted = performance.now();
    const first = await client.request('tools.invoke', { name: 'local__add', args: { a: 1, b: 1 } });
    const firstMs = performance.now() - firstStarted;
    let wrong = text(first) === '1 + 1 = 2' ? 0 : 1;

    process.stderr.write(`bench: mcp, ${CALLS} calls each: core read, stdio, HTTP, SDK floor…\n`);
    const invoke =
      (name: string, args: Record<string, unknown>, expected: (i: number) => string) => (i: number) =>
        client
          .request('tools.invoke', { name, args: typeof args.a === 'number' ? { a: i, b: 1 } : args })
          .then((payload) => text(payload) === expected(i));
    const core = await timed(
      CALLS,
      invoke('read', { path: 'file.txt' }, () => 'bench'),
    );
    const stdio = await timed(
      CALLS,
      invoke('local__add', { a: 0 }, (i) => `${i} + 1 = ${i + 1}`),
    );
    const remote = await timed(
      CALLS,
      invoke('remote__add', { a: 0 }, (i) => `${i} + 1 = ${i + 1}`),
    );
    await floorClient.connect(
      new StdioClientTransport({ command: process.execPath, args: [FIXTURE], stderr: 'ignore' }),
    );
    const floor = await timed(CALLS, async (i) => {
      const result = (await floorClient.callTool({ name: 'add', arguments: { a: i, b: 1 } })) as {
        content: { text: string }[];
      };
      return result.content[0]?.text === `${i} + 1 = ${i + 1}`;
    });
    wrong += core.wrong + stdio.wrong + remote.wrong + floor.wrong;

    const floorStats = stats(floor.ms);
    const coreStats = stats(core.ms);
    const rows: Row[] = [
      { label: 'SDK client → stdio server, in process (floor)', unit: 'ms', ours: floorStats },
      { label: 'tools.invoke core `read`', unit: 'ms', ours: coreStats },
      {
        label: 'tools.invoke stdio MCP `add`',
        unit: 'ms',
        ours: stats(stdio.ms),
        floorLabel: 'SDK floor',
        floor: floorStats,
      },
      {
        label: 'tools.invoke Streamable HTTP MCP `add`',
        unit: 'ms',
        ours: stats(remote.ms),
        floorLabel: 'core read',
        floor: coreStats,
      },
    ];
    const stdioOverFloor = stats(stdio.ms).median - floorStats.median;
    return {
      tables: [
        {
          title: 'MCP: one tool call',
          description: `${CALLS} sequential calls each after ${WARMUP} warm-up calls (${options.cliLabel}); the first call, which started both servers, took ${firstMs.toFixed(0)} ms.`,
          rows,
        },
      ],
      targets: [],
      correct: wrong === 0,
      notes: [
        `MCP: tools.invoke of a stdio MCP tool adds ${stdioOverFloor.toFixed(2)} ms (median) to the ${floorStats.median.toFixed(2)} ms the SDK alone takes in process (the WebSocket round trip, policy, redaction); a core read through the same path takes ${coreStats.median.toFixed(2)} ms. The HTTP row includes the fixture building a fresh server per request (stateless mode). The first call (lazy start of both servers, one spawning Node on a .ts file) took ${firstMs.toFixed(0)} ms.`,
      ],
    };
  } finally {
    await floorClient.close().catch(() => undefined);
    await client.closeAndWait().catch(() => undefined);
    await server.stop();
    await http.close();
    removeTempDir(stateDir);
  }
}
