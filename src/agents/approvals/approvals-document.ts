import { createHash, randomUUID } from 'node:crypto';
import { GatewayError } from '../../protocol/gateway-error.ts';
import type { ApprovalStore } from '../../storage/approval-store.ts';
import {
  type AllowlistEntry,
  type ExecApprovalsFile,
  emptyApprovalsFile,
  normalizeApprovalsFile,
  parseApprovalsFile,
  type ResolvedDefaults,
  resolvedDefaults,
  serializeApprovalsFile,
} from './approvals-file.ts';
import type { ExecAsk, ExecSecurity } from './policy.ts';

/** `exec.approvals.get` / `set`'s answer (OpenClaw's ExecApprovalsSnapshot). */
export type ApprovalsSnapshot = {
  path: string;
  exists: boolean;
  hash: string;
  file: ExecApprovalsFile;
  resolvedDefaults: ResolvedDefaults;
};

export type AllowlistUse = { entryId: string; command?: string; resolvedPath?: string };

const EMPTY_TEXT = serializeApprovalsFile(emptyApprovalsFile());
/** The hash of the document before anything is stored: what a first writer may send as `baseHash`. */
const EMPTY_HASH = createHash('sha256').update(EMPTY_TEXT).digest('hex');

// OpenClaw's messages, which its CLI and Control UI show as they are.
const CHANGED = 'exec approvals changed since last load; re-run exec.approvals.get and retry';
/** An allowlist entry's `lastUsedAt` is refreshed at most this often. */
const USE_STAMP_EVERY_MS = 60_000;
const USE_STAMPS_TRACKED = 10_000;
const HASH_REQUIRED = 'exec approvals base hash required; re-run exec.approvals.get and retry';

/**
 * The approvals document as one stored row, written by operators (`exec.approvals.set`, compare-and-swap on the
 * hash of the text they read) and by the gateway itself (Always-allow entries, last-used stamps) in single
 * transactions. Parsed once per version: every exec check reads it, few change it.
 */
export class ApprovalsDocument {
  readonly #store: ApprovalStore;
  readonly #path: string;
  readonly #requested: () => { security: ExecSecurity; ask: ExecAsk };
  #cache: { hash: string; file: ExecApprovalsFile } | undefined;
  /** When each entry was last stamped by this process. */
  readonly #stamped = new Map<string, number>();

  constructor(deps: {
    store: ApprovalStore;
    /** Where the row lives, as `path` reports it (`<state>/clawgate.db#exec_approvals_config`). */
    path: string;
    /** The config's `tools.exec` pair, which fields the document leaves out inherit. */
    requested: () => { security: ExecSecurity; ask: ExecAsk };
  }) {
    this.#store = deps.store;
    this.#path = deps.path;
    this.#requested = deps.requested;
  }

  async read(): Promise<{ file: ExecApprovalsFile; hash: string; exists: boolean }> {
    const stored = await this.#store.getDocument();
    if (!stored) return { file: emptyApprovalsFile(), hash: EMPTY_HASH, exists: false };
    if (this.#cache?.hash !== stored.hash) {
      this.#cache = { hash: stored.hash, file: parseApprovalsFile(stored.text) };
    }
    return { file: this.#cache.file, hash: stored.hash, exists: true };
  }

  async snapshot(): Promise<ApprovalsSnapshot> {
    const { file, hash, exists } = await this.read();
    return this.#snapshotOf(file, hash, exists);
  }

  /**
   * Replaces the document (OpenClaw's rules): once it exists a writer must send the hash it read; before, a hash
   * is optional but must be the empty document's. Refused (INVALID_REQUEST) when stale, naming what to do.
   */
  async replace(
    raw: Record<string, unknown>,
    baseHash: string | undefined,
    now: number,
  ): Promise<ApprovalsSnapshot> {
    const current = await this.#store.getDocument();
    if (current) {
      if (!baseHash) throw new GatewayError('INVALID_REQUEST', HASH_REQUIRED);
      if (baseHash !== current.hash) throw new GatewayError('INVALID_REQUEST', CHANGED);
    } else if (baseHash && baseHash !== EMPTY_HASH) {
      throw new GatewayError('INVALID_REQUEST', CHANGED);
    }
    const file = normalizeApprovalsFile(raw);
    const stored = await this.#store.putDocument(serializeApprovalsFile(file), current?.hash ?? null, now);
    if (!stored) throw new GatewayError('INVALID_REQUEST', CHANGED);
    return this.#snapshotOf(file, stored.hash, true);
  }

  /** Adds Always-allow entries to the agent's allowlist (an identical entry is not added twice). */
  async addAllowAlways(agentId: string, entries: { pattern: string; argPattern: string }[], now: number) {
    if (entries.length === 0) return;
    await this.#store.updateDocument((text) => {
      const file = parseApprovalsFile(text);
      const agent = file.agents[agentId] ?? {};
      file.agents[agentId] = agent;
      const allowlist = agent.allowlist ?? [];
      agent.allowlist = allowlist;
      let added = false;
      for (const entry of entries) {
        if (allowlist.some((e) => e.pattern === entry.pattern && e.argPattern === entry.argPattern)) continue;
        allowlist.push({ id: randomUUID(), ...entry, source: 'allow-always', lastUsedAt: now });
        added = true;
      }
      return added ? serializeApprovalsFile(file) : undefined;
    }, now);
  }

  /** Saves an Always-allow grant for one MCP tool of one server, any arguments, for this agent only. */
  async addMcpToolGrant(agentId: string, server: string, tool: string, now: number): Promise<void> {
    await this.#store.updateDocument((text) => {
      const file = parseApprovalsFile(text);
      const agent = file.agents[agentId] ?? {};
      file.agents[agentId] = agent;
      const grants = agent.mcpTools ?? [];
      agent.mcpTools = grants;
      if (grants.some((grant) => grant.server === server && grant.tool === tool)) return undefined;
      grants.push({ server, tool, source: 'allow-always', addedAt: now });
      return serializeApprovalsFile(file);
    }, now);
  }

  /**
   * Stamps the entries a command ran under (the UI shows when each was last used), each at most once a minute:
   * every stamp rewrites the document and changes its hash, which an editor holding the old one must re-read.
   * Generated entries get no `lastUsedCommand`: their argv is kept only as a hash.
   */
  async recordUse(agentId: string, allUses: AllowlistUse[], now: number): Promise<void> {
    const uses = allUses.filter(
      (use) => now - (this.#stamped.get(use.entryId) ?? -Infinity) >= USE_STAMP_EVERY_MS,
    );
    if (uses.length === 0) return;
    if (this.#stamped.size >= USE_STAMPS_TRACKED) this.#stamped.clear();
    for (const use of uses) this.#stamped.set(use.entryId, now);
    await this.#store.updateDocument((text) => {
      const file = parseApprovalsFile(text);
      const byId = new Map<string, AllowlistEntry>();
      for (const agent of [file.agents[agentId], file.agents['*']]) {
        for (const entry of agent?.allowlist ?? []) if (entry.id) byId.set(entry.id, entry);
      }
      let changed = false;
      for (const use of uses) {
        const entry = byId.get(use.entryId);
        if (!entry) continue;
        entry.lastUsedAt = now;
        if (use.command !== undefined && entry.source !== 'allow-always') entry.lastUsedCommand = use.command;
        if (use.resolvedPath !== undefined) entry.lastResolvedPath = use.resolvedPath;
        changed = true;
      }
      return changed ? serializeApprovalsFile(file) : undefined;
    }, now);
  }

  #snapshotOf(file: ExecApprovalsFile, hash: string, exists: boolean): ApprovalsSnapshot {
    return {
      path: this.#path,
      exists,
      hash,
      file,
      resolvedDefaults: resolvedDefaults(file, this.#requested()),
    };
  }
}
