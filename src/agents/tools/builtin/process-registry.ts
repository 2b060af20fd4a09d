import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';

/** Characters of output a session keeps (OpenClaw's default aggregate cap); older output is dropped. */
export const MAX_RETAINED_OUTPUT_CHARS = 200_000;
/** Finished background sessions kept at most; the oldest go first. */
export const MAX_FINISHED_SESSIONS = 50;
/** How long a killed process group gets to exit on SIGTERM before SIGKILL. */
export const KILL_GRACE_MS = 2_000;

export type SessionStatus = 'running' | 'completed' | 'failed' | 'killed' | 'timeout';

/** One command `exec` started: its process group, output and outcome. */
export class ProcessSession {
  readonly id: string;
  readonly agentId: string;
  readonly command: string;
  readonly cwd: string;
  readonly startedAt: number;
  readonly pid: number | undefined;
  status: SessionStatus = 'running';
  exitCode: number | null = null;
  exitSignal: string | null = null;
  endedAt: number | undefined;
  /** Listed by `process` (it outlived its tool call); foreground sessions never are. */
  backgrounded = false;
  /** Why it ended, when the gateway ended it (timeout, kill, shutdown). */
  stopReason: string | undefined;
  /** Settles when the process has exited and its output is complete. */
  readonly done: Promise<void>;
  #output = '';
  #dropped = 0;
  /** Where the next `poll` starts reading, in the output as retained. */
  #pollFrom = 0;
  readonly #child: ChildProcess;
  /** The status a kill ends it with, once it has exited. */
  #pendingStatus: 'killed' | 'timeout' | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  #timeoutTimer: NodeJS.Timeout | undefined;

  constructor(options: {
    agentId: string;
    command: string;
    cwd: string;
    env: NodeJS.ProcessEnv;
    /** 0: none. */
    timeoutMs: number;
    now: () => number;
  }) {
    this.id = randomUUID().slice(0, 8);
    this.agentId = options.agentId;
    this.command = options.command;
    this.cwd = options.cwd;
    this.startedAt = options.now();
    // Its own process group, so a kill reaches what the shell started too.
    this.#child = spawn(shellPath(), [...shellFlags(), '-c', options.command], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.#child.pid;
    this.#child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#append(chunk));
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#append(chunk));
    // A pipe error (EPIPE on stdin) must not become an unhandled error event.
    this.#child.stdin?.on('error', () => {});
    this.done = new Promise<void>((resolve) => {
      this.#child.once('error', (error) => {
        this.#append(`${error.message}\n`);
        this.#finish(null, null, options.now());
        resolve();
      });
      this.#child.once('close', (code, signal) => {
        this.#finish(code, signal, options.now());
        resolve();
      });
    });
    if (options.timeoutMs > 0) {
      this.#timeoutTimer = setTimeout(() => {
        this.kill('timeout', `timed out after ${Number((options.timeoutMs / 1000).toFixed(1))} s`);
      }, options.timeoutMs);
    }
  }

  get running(): boolean {
    return this.status === 'running';
  }

  /** The retained output, and how many earlier characters the cap dropped. */
  output(): { text: string; dropped: number } {
    return { text: this.#output, dropped: this.#dropped };
  }

  /** Output since the last poll. */
  drain(): string {
    const text = this.#output.slice(this.#pollFrom);
    this.#pollFrom = this.#output.length;
    return text;
  }

  tail(chars: number): string {
    return this.#output.slice(-chars);
  }

  write(data: string, eof: boolean): void {
    const stdin = this.#child.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) throw new Error('stdin is closed');
    stdin.write(data);
    if (eof) stdin.end();
  }

  /** SIGTERM to the process group, SIGKILL after a grace period. */
  kill(status: 'killed' | 'timeout' = 'killed', reason = 'killed'): void {
    if (!this.running || this.#killTimer) return;
    this.stopReason = reason;
    this.#pendingStatus = status;
    this.#signal('SIGTERM');
    this.#killTimer = setTimeout(() => this.#signal('SIGKILL'), KILL_GRACE_MS);
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  #append(chunk: string): void {
    this.#output += chunk;
    const excess = this.#output.length - MAX_RETAINED_OUTPUT_CHARS;
    // Trimmed in steps, not per chunk, so a chatty command does not copy the whole buffer on every write.
    if (excess > MAX_RETAINED_OUTPUT_CHARS / 4) {
      this.#output = this.#output.slice(excess);
      this.#dropped += excess;
      this.#pollFrom = Math.max(0, this.#pollFrom - excess);
    }
  }

  #finish(code: number | null, signal: NodeJS.Signals | null, now: number): void {
    if (!this.running) return;
    clearTimeout(this.#timeoutTimer);
    clearTimeout(this.#killTimer);
    this.exitCode = code;
    this.exitSignal = signal;
    this.endedAt = now;
    this.status = this.#pendingStatus ?? (code === 0 ? 'completed' : 'failed');
    const excess = this.#output.length - MAX_RETAINED_OUTPUT_CHARS;
    if (excess > 0) {
      this.#output = this.#output.slice(excess);
      this.#dropped += excess;
      this.#pollFrom = Math.max(0, this.#pollFrom - excess);
    }
  }
}

let shell: string | undefined;

/**
 * bash reads ~/.bashrc even for `-c` when its stdin is a socket (it takes that for sshd), and Node's pipes are
 * sockets: `--norc --noprofile` keeps a command's environment what exec gave it.
 */
function shellFlags(): string[] {
  return shellPath().endsWith('bash') ? ['--norc', '--noprofile'] : [];
}

/** bash when the host has it (what commands are usually written for), else the POSIX shell. */
function shellPath(): string {
  shell ??= existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
  return shell;
}

/**
 * The commands `exec` started, per agent: the running ones (a turn waits on its foreground command here) and the
 * finished background ones `process` can still read, each kept `cleanupMs` after it ended (at most 50). In memory
 * only; `close` kills every process group still running and clears every timer.
 */
export class ProcessRegistry {
  readonly #sessions = new Map<string, ProcessSession>();
  readonly #expiry = new Map<string, NodeJS.Timeout>();
  readonly #now: () => number;
  #closed = false;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  start(options: {
    agentId: string;
    command: string;
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    cleanupMs: number;
  }): ProcessSession {
    if (this.#closed) throw new Error('the gateway is shutting down');
    const session = new ProcessSession({ ...options, now: this.#now });
    this.#sessions.set(session.id, session);
    void session.done.then(() => this.#ended(session, options.cleanupMs));
    return session;
  }

  /** The agent's session by id; another agent's is not found. */
  get(agentId: string, id: string): ProcessSession | undefined {
    const session = this.#sessions.get(id);
    return session?.agentId === agentId ? session : undefined;
  }

  /** The agent's background sessions, oldest first. */
  list(agentId: string): ProcessSession[] {
    return [...this.#sessions.values()].filter((s) => s.agentId === agentId && s.backgrounded);
  }

  /** Forgets a session (a finished foreground one, or `process clear`). */
  remove(id: string): void {
    this.#sessions.delete(id);
    clearTimeout(this.#expiry.get(id));
    this.#expiry.delete(id);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const running = [...this.#sessions.values()].filter((s) => s.running);
    for (const session of running) session.kill('killed', 'the gateway stopped');
    await Promise.all(running.map((s) => s.done));
    for (const timer of this.#expiry.values()) clearTimeout(timer);
    this.#expiry.clear();
    this.#sessions.clear();
  }

  #ended(session: ProcessSession, cleanupMs: number): void {
    if (!this.#sessions.has(session.id)) return;
    if (!session.backgrounded || this.#closed) return;
    const timer = setTimeout(() => this.remove(session.id), cleanupMs);
    timer.unref();
    this.#expiry.set(session.id, timer);
    const finished = [...this.#sessions.values()].filter((s) => s.backgrounded && !s.running);
    for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_SESSIONS))) {
      this.remove(old.id);
    }
  }
}
