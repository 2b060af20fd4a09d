/**
 * Shared by the RPC, fan-out, connection and soak scenarios: a bare `ws` operator socket that completes the
 * handshake, correlates requests by id and hands every other frame to a hook; and the gateway (or a floor) as a
 * child with the same `--expose-gc` + SIGUSR2 preload `chat-turns.ts` uses, so memory can be read settled.
 */
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import { TRIM_CHECK_MS } from '../src/server/runtime/memory-trim.ts';
// The tests' device identity (an Ed25519 key and OpenClaw's signed payload): one implementation for both.
import { createTestDevice, deviceProof } from '../test/helpers/device.ts';
import { NODE_FLAGS } from './chat-turns.ts';
import { gatewayNodeFlags, SHIPPED_NODE_FLAGS } from './gateway-flags.ts';
import {
  cleanEnv,
  makeTempDir,
  pollUntilOk,
  type RunningChild,
  removeTempDir,
  reservePort,
  spawnNode,
  stopChild,
  withTimeout,
} from './probes.ts';

const START_DEADLINE_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

export type Frame = {
  type: string;
  id?: string;
  ok?: boolean;
  event?: string;
  seq?: number;
  payload?: Record<string, unknown>;
  error?: { code: string; message: string };
};

type Waiter = { resolve: (frame: Frame) => void; reject: (error: Error) => void };

/**
 * The clients real deployments have. `cli`/`cli` and `gateway-client`/`backend` keep their self-declared scopes on
 * direct loopback with the shared token and stay out of presence (OpenClaw's "ephemeral" clients);
 * `control-ui` is OpenClaw's Control UI (`openclaw-control-ui`/`webchat`) with its own signed device: paired on
 * its first connect, issued a device token, listed in presence, and a presence reader.
 */
export type ClientKind = 'cli' | 'backend' | 'control-ui' | 'node';

/** What OpenClaw's node host declares (2026.9.6, observed): a node client's `caps` and `commands`. */
export const NODE_HOST_CAPS = ['browser', 'file', 'local-inference', 'mcp', 'system'];
export const NODE_HOST_COMMANDS = [
  'browser.proxy',
  'browser.proxy.upload.v1',
  'desktop.stream',
  'dir.fetch',
  'dir.list',
  'file.create',
  'file.fetch',
  'file.stat',
  'file.write',
  'fs.listDir',
  'mcp.tools.call.v1',
  'ollama.chat',
  'ollama.models',
  'system.execApprovals.get',
  'system.execApprovals.set',
  'system.run',
  'system.run.prepare',
  'system.which',
  'terminal.upload',
  'workspace.memory',
  'workspace.skills',
];

const CLIENT_INFO: Record<ClientKind, { id: string; mode: string }> = {
  cli: { id: 'cli', mode: 'cli' },
  backend: { id: 'gateway-client', mode: 'backend' },
  'control-ui': { id: 'openclaw-control-ui', mode: 'webchat' },
  node: { id: 'node-host', mode: 'node' },
};

const NOOP = () => undefined;

export class BenchClient {
  readonly ws: WebSocket;
  readonly #requests = new Map<string, Waiter>();
  #nextId = 0;
  closed: { code: number; reason: string } | undefined;
  /** Every frame that is not an answer to a request of ours. */
  onEvent: (frame: Frame, raw: string) => void = NOOP;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const raw = data.toString();
      // Events nobody listens to are not parsed: a thousand clients in one process would otherwise measure the
      // load generator's JSON.parse of every presence event rather than the server.
      if (this.onEvent === NOOP && !raw.startsWith('{"type":"res"')) return;
      const frame = JSON.parse(raw) as Frame;
      if (frame.type === 'res' && frame.id !== undefined && this.#requests.has(frame.id)) {
        const waiter = this.#requests.get(frame.id)!;
        this.#requests.delete(frame.id);
        waiter.resolve(frame);
      } else this.onEvent(frame, raw);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#fail(new Error(`socket closed ${code} ${reason.toString()}`));
    });
    ws.on('error', (error) => this.#fail(error));
  }

  static async connect(
    url: string,
    token: string,
    kind: ClientKind,
    scopes: string[] = ['operator.admin'],
  ): Promise<BenchClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const challenge = new Promise<{ nonce: string; ts: number }>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('message', (data) => resolve(JSON.parse(data.toString()).payload));
    });
    const client = new BenchClient(ws);
    const { nonce, ts } = await withTimeout(challenge, START_DEADLINE_MS, `no connect.challenge from ${url}`);
    const info = { ...CLIENT_INFO[kind], version: '0.0.0', platform: process.platform };
    const role = kind === 'node' ? 'node' : 'operator';
    if (kind === 'node') scopes = [];
    const device =
      kind === 'control-ui' || kind === 'node'
        ? deviceProof(createTestDevice(), {
            clientId: info.id,
            clientMode: info.mode,
            role,
            scopes,
            token,
            nonce,
            signedAt: ts,
            platform: info.platform,
          })
        : undefined;
    const hello = await client.request('connect', {
      minProtocol: 4,
      maxProtocol: 4,
      client: info,
      role,
      scopes,
      auth: kind === 'control-ui' ? { token, password: token } : { token },
      ...(device ? { device } : {}),
      ...(kind === 'node'
        ? { caps: NODE_HOST_CAPS, commands: NODE_HOST_COMMANDS, pathEnv: '/usr/bin:/bin' }
        : {}),
    });
    if (hello?.type !== 'hello-ok') throw new Error(`connect answered ${JSON.stringify(hello)}`);
    return client;
  }

  /** Resolves with the whole `res` frame (`ok` or not). */
  send(method: string, params: unknown): Promise<Frame> {
    if (this.closed) return Promise.reject(new Error(`socket closed ${this.closed.code}`));
    const id = String(++this.#nextId);
    const answer = new Promise<Frame>((resolve, reject) => this.#requests.set(id, { resolve, reject }));
    this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    return answer;
  }

  async request(method: string, params: unknown): Promise<Frame['payload']> {
    const frame = await withTimeout(this.send(method, params), REQUEST_TIMEOUT_MS, `${method}: no answer`);
    if (!frame.ok) throw new Error(`${method} failed: ${frame.error?.code} ${frame.error?.message}`);
    return frame.payload;
  }

  /** A close handshake: resolves once the server has answered it, i.e. has seen the socket go. */
  async closeAndWait(): Promise<void> {
    if (this.closed) return;
    const closed = once(this.ws, 'close');
    this.ws.close(1000);
    await withTimeout(closed, START_DEADLINE_MS, 'no close handshake');
  }

  close(): void {
    this.ws.removeAllListeners();
    this.ws.on('error', () => undefined);
    this.ws.terminate();
  }

  #fail(error: Error): void {
    for (const waiter of this.#requests.values()) waiter.reject(error);
    this.#requests.clear();
  }
}

/** `dir`: its state dir (the gateway's log is `logs/gateway.log` there). */
export type Server = { running: RunningChild; url: string; pid: number; dir: string; stop(): Promise<void> };

/**
 * The gateway (`config` written to `clawgate.json` in a fresh state dir, or in `stateDir`, which is then kept)
 * with the GC preload and the shipped Node flags; `label` names its CPU profile under `--profile`.
 */
export async function startGateway(
  cli: string,
  token: string,
  config: unknown,
  label: string,
  stateDir?: string,
): Promise<Server> {
  const dir = stateDir ?? makeTempDir('clawgate-bench-gw-');
  writeFileSync(join(dir, 'clawgate.json'), JSON.stringify(config));
  return startChild(
    (port) => [...gatewayNodeFlags(label), cli, 'gateway', 'run', '--port', String(port), '--token', token],
    cleanEnv({ CLAWGATE_STATE_DIR: dir }),
    dir,
    stateDir === undefined,
  );
}

/** A floor server (`bench/baseline-multi-server`) with the GC preload and the same Node flags as the gateway. */
export async function startFloor(script: string, extra: string[] = []): Promise<Server> {
  const dir = makeTempDir('clawgate-bench-floor-');
  return startChild(
    (port) => [...SHIPPED_NODE_FLAGS, script, '--port', String(port), ...extra],
    cleanEnv({}),
    dir,
  );
}

async function startChild(
  args: (port: number) => string[],
  env: NodeJS.ProcessEnv,
  dir: string,
  removeDir = true,
): Promise<Server> {
  const port = await reservePort();
  const running = spawnNode([...NODE_FLAGS, ...args(port)], env, dir);
  const stop = async () => {
    await stopChild(running.child);
    if (removeDir) removeTempDir(dir);
  };
  try {
    await pollUntilOk(running, port, '/readyz', running.t0 + START_DEADLINE_MS);
    const ready = await withTimeout(running.readyLine, START_DEADLINE_MS, 'no ready line on stdout');
    return { running, url: ready.url, pid: running.child.pid!, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Connects `count` clients, at most `wave` handshakes at a time (the pre-auth cap is per source). */
export async function connectMany(
  url: string,
  token: string,
  kind: ClientKind,
  count: number,
  wave = 16,
  scopes?: string[],
  /** Each handshake's time (socket open to hello-ok), in ms, appended. */
  latencies?: number[],
): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const start = performance.now();
      clients.push(await BenchClient.connect(url, token, kind, scopes));
      latencies?.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: Math.min(wave, count) }, worker));
  return clients;
}

/** A load client this busy (share of one core) may be what bounds a throughput figure rather than the server. */
export const CLIENT_BOUND_SHARE = 0.9;

/**
 * A note naming the runs whose load client was near a full core (`runs`: label → client CPU ÷ wall time), where
 * the figure says as much about the client as about the server; undefined when there are none.
 */
export function clientBoundNote(scenario: string, runs: [string, number][]): string | undefined {
  const bound = runs.filter(([, share]) => share >= CLIENT_BOUND_SHARE);
  if (bound.length === 0) return undefined;
  return `${scenario}: the load client (this process, sharing the machine with the server) used ≥ ${CLIENT_BOUND_SHARE * 100} % of a core in ${bound.map(([label, share]) => `${label} (${(share * 100).toFixed(0)} %)`).join(', ')}: there the client, not the server, may be what bounds the figure; compare the server CPU per request or frame.`;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const CPU = () => process.cpuUsage();
export const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

/** What the gateway logs (src/server/runtime/memory-trim.ts) once it gave memory back after a burst. */
const TRIM_LINE = '"memory trimmed"';
/** Slack past one trim check: two idle windows after the burst's last work, and the line written. */
export const TRIM_SLACK_MS = 8_000;

const TRIM_POLL_MS = 100;

/** How many trims the gateway has logged so far. */
export function trimsLogged(server: Server): number {
  try {
    return readFileSync(join(server.dir, 'logs', 'gateway.log'), 'utf8').split(TRIM_LINE).length - 1;
  } catch {
    return 0;
  }
}

/** Whether the gateway logged a trim beyond the `before` it had, polled until TRIM_CHECK_MS + slack have passed. */
export async function trimAfter(server: Server, before: number): Promise<boolean> {
  const deadline = performance.now() + TRIM_CHECK_MS + TRIM_SLACK_MS;
  while (trimsLogged(server) <= before) {
    if (performance.now() > deadline) return false;
    await delay(TRIM_POLL_MS);
  }
  return true;
}
