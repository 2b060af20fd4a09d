import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../protocol/gateway-error.ts';

/** What a node sent back for one invoke (`node.invoke.result`). */
export type NodeInvokeOutcome =
  | { ok: true; payload: unknown; payloadJSON: string | undefined }
  | { ok: false; error: { code: string; message: string } };

/** What `node.invoke` answers on success (observed on OpenClaw 2026.9.6). */
export type NodeInvokeAnswer = {
  ok: true;
  nodeId: string;
  command: string;
  payload: unknown;
  payloadJSON?: string;
};

type Pending = {
  nodeId: string;
  connId: string;
  command: string;
  timer: NodeJS.Timeout | undefined;
  progressed: number;
  resolve(outcome: NodeInvokeOutcome): void;
};

type Remembered = { answer: Promise<NodeInvokeAnswer>; settledAt: number | undefined };

/** The error a caller gets when the node could not (or did not) complete a dispatched command. */
export function nodeFailure(
  error: { code: string; message: string },
  dispatched: boolean,
  extraDetails: Record<string, unknown> = {},
): GatewayError {
  return new GatewayError('UNAVAILABLE', `${error.code}: ${error.message}`, {
    details: { ...extraDetails, nodeError: error, nodeCommandDispatched: dispatched },
  });
}

/**
 * Invokes in flight, by the id the node echoes in `node.invoke.result`, and the answers of recent ones by
 * idempotency key. Every pending invoke is settled exactly once: by the node's result, its deadline, its
 * connection closing, or `close()`. OpenClaw sends a repeated key to the node again (observed); here a repeat
 * while the first runs shares its answer, and one within the window after gets the same answer back.
 */
export class NodeInvokes {
  readonly #pending = new Map<string, Pending>();
  readonly #byKey = new Map<string, Remembered>();
  readonly #ttlMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; maxKeys: number; now: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxKeys = options.maxKeys;
    this.#now = options.now;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** The answer already given (or being given) for this key, if it is still remembered. */
  remembered(key: string): Promise<NodeInvokeAnswer> | undefined {
    const entry = this.#byKey.get(key);
    if (!entry) return undefined;
    if (entry.settledAt !== undefined && this.#now() - entry.settledAt > this.#ttlMs) {
      this.#byKey.delete(key);
      return undefined;
    }
    return entry.answer;
  }

  /** Records `answer` under `key`; a failure is forgotten, so a retry with the same key runs again. */
  remember(key: string, answer: Promise<NodeInvokeAnswer>): void {
    const entry: Remembered = { answer, settledAt: undefined };
    this.#byKey.set(key, entry);
    answer.then(
      () => {
        entry.settledAt = this.#now();
        this.#evict();
      },
      () => {
        if (this.#byKey.get(key) === entry) this.#byKey.delete(key);
      },
    );
  }

  #evict(): void {
    if (this.#byKey.size <= this.#maxKeys) return;
    for (const [key, entry] of this.#byKey) {
      if (this.#byKey.size <= this.#maxKeys) return;
      // Running ones stay: forgetting them would let a retry run the command twice.
      if (entry.settledAt !== undefined) this.#byKey.delete(key);
    }
  }

  /** Registers an invoke and returns its id and the outcome the node (or the deadline) will give. */
  start(
    nodeId: string,
    connId: string,
    command: string,
    timeoutMs: number,
  ): { id: string; outcome: Promise<NodeInvokeOutcome> } {
    const id = randomUUID();
    const outcome = new Promise<NodeInvokeOutcome>((resolve) => {
      const pending: Pending = {
        nodeId,
        connId,
        command,
        timer: undefined,
        progressed: 0,
        resolve: (value) => {
          if (this.#pending.get(id) !== pending) return;
          this.#pending.delete(id);
          clearTimeout(pending.timer);
          resolve(value);
        },
      };
      pending.timer = setTimeout(
        () => pending.resolve({ ok: false, error: { code: 'TIMEOUT', message: 'node invoke timed out' } }),
        timeoutMs,
      );
      pending.timer.unref();
      this.#pending.set(id, pending);
    });
    return { id, outcome };
  }

  /** The node's answer; false when no invoke of that node has this id (late, or not its own). */
  settle(id: string, nodeId: string, connId: string, outcome: NodeInvokeOutcome): boolean {
    const pending = this.#pending.get(id);
    if (!pending || pending.nodeId !== nodeId || pending.connId !== connId) return false;
    pending.resolve(outcome);
    return true;
  }

  /** `node.invoke.progress`: true when the invoke is still waiting on this node. */
  progress(id: string, nodeId: string, connId: string): boolean {
    const pending = this.#pending.get(id);
    if (!pending || pending.nodeId !== nodeId || pending.connId !== connId) return false;
    pending.progressed += 1;
    return true;
  }

  /** A node connection closed: what it was running fails at once instead of waiting for the deadline. */
  failConnection(connId: string): void {
    for (const pending of [...this.#pending.values()]) {
      if (pending.connId !== connId) continue;
      pending.resolve({
        ok: false,
        error: { code: 'DISCONNECTED', message: `node disconnected (${pending.command})` },
      });
    }
  }

  close(): void {
    for (const pending of [...this.#pending.values()]) {
      pending.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'gateway stopping' } });
    }
    this.#byKey.clear();
  }
}
