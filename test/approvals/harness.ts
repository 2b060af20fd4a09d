import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecApprovals } from '../../src/agents/approvals/exec-approvals.ts';
import type { AutomationJob } from '../../src/agents/approvals/standing-grants.ts';
import type { ExecGateRequest } from '../../src/agents/tools/tool-types.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { GatewayConfig } from '../../src/config/types.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { Broadcast, EventOptions } from '../../src/server/broadcast.ts';
import type { ClientView } from '../../src/server/ws/client.ts';
import type { ApprovalStore } from '../../src/storage/approval-store.ts';
import { SqliteApprovalStore } from '../../src/storage/sqlite-approval-store.ts';
import { SqliteStore } from '../../src/storage/sqlite-store.ts';
import { FakeClock } from '../cron/fake-clock.ts';

export const START_MS = 1_800_000_000_000;

export type Sent = { event: string; payload: unknown; to: string[] };

/**
 * A Broadcast over pretend connections: each event goes to the clients the caller's filter (and the event's
 * scope, which only the real broadcast applies) selects, recorded with who got it. Returns bytes as the real one
 * does, so "nobody received it" reads as 0.
 */
export class RecordingBroadcast implements Broadcast {
  readonly sent: Sent[] = [];
  clients: ClientView[] = [];

  broadcast(event: string, payload: unknown, options?: EventOptions): number {
    const to = this.clients.filter((client) => !options?.filter || options.filter(client));
    this.sent.push({ event, payload: structuredClone(payload), to: to.map((client) => client.connId) });
    return to.length * JSON.stringify(payload).length;
  }

  send(): void {}

  named(event: string): Sent[] {
    return this.sent.filter((entry) => entry.event === event);
  }
}

/** A connection as the approvals code sees it; only the fields it reads are real. */
export function fakeClient(
  connId: string,
  options: { scopes?: string[]; caps?: string[]; id?: string } = {},
) {
  return {
    connId,
    scopes: new Set(options.scopes ?? ['operator.approvals']),
    caps: new Set(options.caps ?? ['exec-approvals']),
    info: { id: options.id ?? 'cli', mode: 'cli', version: '1', platform: 'linux' },
  } as unknown as ClientView;
}

export type Harness = {
  approvals: ExecApprovals;
  clock: FakeClock;
  events: RecordingBroadcast;
  config: GatewayConfig;
  store: ApprovalStore;
  sqlite: SqliteStore;
  stateDir: string;
  /** A directory of executables on PATH (`tool`, `git`, `deploy`), then /usr/bin and /bin. */
  binDir: string;
  /** The agent workspace requests run in. */
  workspace: string;
  jobs: Map<string, AutomationJob>;
  request(command: string, extra?: Partial<ExecGateRequest>): ExecGateRequest;
  /** Lets the store's group commit and the awaits after it run. */
  settle(): Promise<void>;
};

export async function approvalsHarness(
  t: { after(fn: () => unknown): void },
  options: { approver?: boolean; stateDir?: string; owner?: string } = {},
): Promise<Harness> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'clawgate-approvals-'));
  if (!options.stateDir) t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const binDir = join(stateDir, 'bin');
  const workspace = join(stateDir, 'workspace');
  mkdirSync(binDir, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  for (const name of ['tool', 'git', 'deploy']) {
    writeFileSync(join(binDir, name), '#!/bin/sh\nexit 0\n');
    chmodSync(join(binDir, name), 0o755);
  }
  const sqlite = SqliteStore.open(stateDir);
  t.after(() => sqlite.close());
  const store = new SqliteApprovalStore(sqlite.database, (work) => sqlite.write(work));
  const clock = new FakeClock(START_MS);
  const events = new RecordingBroadcast();
  if (options.approver !== false) events.clients = [fakeClient('approver')];
  const config = defaultConfig();
  const jobs = new Map<string, AutomationJob>();
  const approvals = new ExecApprovals({
    store,
    events,
    logger: createLogger({ level: 'error', console: null }),
    config: () => config,
    env: { PATH: `${binDir}:/usr/bin:/bin`, HOME: stateDir },
    owner: options.owner ?? 'boot-1',
    documentPath: join(stateDir, 'clawgate.db#exec_approvals_config'),
    lookupJob: async (jobId) => jobs.get(jobId),
    clock,
  });
  await approvals.start();
  t.after(() => approvals.stop());
  return {
    approvals,
    clock,
    events,
    config,
    store,
    sqlite,
    stateDir,
    binDir,
    workspace,
    jobs,
    request: (command, extra = {}) => ({
      agentId: 'main',
      sessionKey: 'agent:main:main',
      runId: 'run-1',
      command,
      cwd: workspace,
      ...extra,
    }),
    settle: async () => {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** Waits (without sleeping) until the harness has broadcast `count` events of that name. */
export async function untilSent(h: Harness, event: string, count = 1): Promise<Sent> {
  for (let i = 0; i < 1000; i++) {
    const sent = h.events.named(event);
    if (sent.length >= count) return sent[count - 1];
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${event} was not broadcast ${count} time(s)`);
}
