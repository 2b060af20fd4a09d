import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../protocol/gateway-error.ts';
import { isGeneratedArgPattern } from './allowlist.ts';
import {
  type ExecAsk,
  type ExecPolicy,
  type ExecSecurity,
  effectivePolicy,
  isExecAsk,
  isExecSecurity,
} from './policy.ts';

/**
 * The approvals document (OpenClaw's exec-approvals file, `ExecApprovalsSnapshot.file`): policy defaults, per-agent
 * policy and allowlists, and MCP tool grants. OpenClaw keeps it in its state database as one row; so does
 * clawgate (`clawgate.db#exec_approvals_config`).
 */
export type AllowlistEntry = {
  id?: string;
  /** A resolved binary path glob (`/usr/bin/*`, `~/bin/rg`) or a bare command-name glob (`rg`). */
  pattern: string;
  /** An ECMAScript regex over the arguments joined by spaces, or a generated exact argv+cwd hash. */
  argPattern?: string;
  /** `allow-always` on generated entries; absent on hand-written ones. */
  source?: 'allow-always';
  lastUsedAt?: number;
  lastUsedCommand?: string;
  lastResolvedPath?: string;
};

export type McpToolGrant = {
  server: string;
  tool: string;
  source: 'allow-always';
  addedAt: number;
  lastUsedAt?: number;
};

export type PolicyFields = {
  security?: ExecSecurity;
  ask?: ExecAsk;
  askFallback?: ExecSecurity;
  autoAllowSkills?: boolean;
};

export type AgentApprovals = PolicyFields & { allowlist?: AllowlistEntry[]; mcpTools?: McpToolGrant[] };

export type ExecApprovalsFile = {
  version: 1;
  defaults: PolicyFields;
  agents: Record<string, AgentApprovals>;
};

/** The agent whose entry applies to every agent (`openclaw approvals allowlist add --agent "*"`). */
export const ALL_AGENTS = '*';

export function emptyApprovalsFile(): ExecApprovalsFile {
  return { version: 1, defaults: {}, agents: {} };
}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function invalid(path: string, reason: string): GatewayError {
  return new GatewayError('INVALID_REQUEST', `invalid exec.approvals.set params: ${path} ${reason}`);
}

function policyFields(raw: Obj, path: string): PolicyFields {
  const fields: PolicyFields = {};
  for (const key of ['security', 'askFallback'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (!isExecSecurity(value)) throw invalid(`${path}.${key}`, 'must be deny, allowlist or full');
    fields[key] = value;
  }
  if (raw.ask !== undefined) {
    if (!isExecAsk(raw.ask)) throw invalid(`${path}.ask`, 'must be off, on-miss or always');
    fields.ask = raw.ask;
  }
  if (typeof raw.autoAllowSkills === 'boolean') fields.autoAllowSkills = raw.autoAllowSkills;
  return fields;
}

function allowlistEntry(raw: Obj, path: string): AllowlistEntry {
  const pattern = typeof raw.pattern === 'string' ? raw.pattern.trim() : '';
  if (pattern === '') throw invalid(`${path}.pattern`, 'must not be empty');
  const entry: AllowlistEntry = {
    id: typeof raw.id === 'string' && raw.id !== '' ? raw.id : randomUUID(),
    pattern,
  };
  if (typeof raw.argPattern === 'string' && raw.argPattern !== '') {
    if (!isGeneratedArgPattern(raw.argPattern)) {
      try {
        new RegExp(raw.argPattern);
      } catch {
        throw invalid(`${path}.argPattern`, 'is not a valid regular expression');
      }
    }
    entry.argPattern = raw.argPattern;
  }
  if (raw.source === 'allow-always') entry.source = 'allow-always';
  // `commandText` is a legacy plaintext field OpenClaw discards on load; so does clawgate.
  if (typeof raw.lastUsedAt === 'number') entry.lastUsedAt = raw.lastUsedAt;
  if (typeof raw.lastUsedCommand === 'string') entry.lastUsedCommand = raw.lastUsedCommand;
  if (typeof raw.lastResolvedPath === 'string') entry.lastResolvedPath = raw.lastResolvedPath;
  return entry;
}

function agentApprovals(raw: Obj, path: string): AgentApprovals {
  const agent: AgentApprovals = policyFields(raw, path);
  if (Array.isArray(raw.allowlist)) {
    agent.allowlist = raw.allowlist.map((item, index) => {
      if (!isObj(item)) throw invalid(`${path}.allowlist.${index}`, 'must be an object');
      return allowlistEntry(item, `${path}.allowlist.${index}`);
    });
  }
  if (Array.isArray(raw.mcpTools)) {
    agent.mcpTools = raw.mcpTools.filter(isObj).map((grant) => ({
      server: String(grant.server),
      tool: String(grant.tool),
      source: 'allow-always',
      addedAt: Number(grant.addedAt),
      ...(typeof grant.lastUsedAt === 'number' ? { lastUsedAt: grant.lastUsedAt } : {}),
    }));
  }
  return agent;
}

/**
 * A document as a writer sent it (already checked against the official schema's shape), checked and normalized:
 * every allowlist entry gets an id, legacy `commandText` goes, legacy `agents.default` folds into `agents.main`,
 * and `socket` is dropped (clawgate has no approvals socket; the macOS companion's IPC is not served). A value
 * OpenClaw would silently drop (`security: "bogus"`) is refused, naming the field.
 */
export function normalizeApprovalsFile(raw: Obj): ExecApprovalsFile {
  const file = emptyApprovalsFile();
  if (isObj(raw.defaults)) file.defaults = policyFields(raw.defaults, 'file.defaults');
  if (isObj(raw.agents)) {
    let legacy: AgentApprovals | undefined;
    for (const [agentId, value] of Object.entries(raw.agents)) {
      if (!isObj(value)) throw invalid(`file.agents.${agentId}`, 'must be an object');
      const agent = agentApprovals(value, `file.agents.${agentId}`);
      if (agentId === 'default') legacy = agent;
      else file.agents[agentId] = agent;
    }
    if (legacy) {
      const main = file.agents.main;
      file.agents.main = main
        ? { ...legacy, ...main, allowlist: [...(main.allowlist ?? []), ...(legacy.allowlist ?? [])] }
        : legacy;
    }
  }
  return file;
}

/** The stored text read back; a row this build cannot read counts as empty rather than stopping exec. */
export function parseApprovalsFile(text: string | undefined): ExecApprovalsFile {
  if (text === undefined) return emptyApprovalsFile();
  try {
    const value = JSON.parse(text) as unknown;
    return isObj(value) ? normalizeApprovalsFile(value) : emptyApprovalsFile();
  } catch {
    return emptyApprovalsFile();
  }
}

export function serializeApprovalsFile(file: ExecApprovalsFile): string {
  return JSON.stringify(file);
}

/** The policy layers for one agent, most specific first: its entry, the `*` entry, the defaults. */
export function policyLayers(file: ExecApprovalsFile, agentId: string): PolicyFields[] {
  const layers: PolicyFields[] = [];
  const own = file.agents[agentId];
  if (own) layers.push(own);
  const all = file.agents[ALL_AGENTS];
  if (all && agentId !== ALL_AGENTS) layers.push(all);
  layers.push(file.defaults);
  return layers;
}

/** Whether the agent holds an Always-allow grant for this server's tool (its own entry only, never `*`'s). */
export function hasMcpToolGrant(
  file: ExecApprovalsFile,
  agentId: string,
  server: string,
  tool: string,
): boolean {
  return (file.agents[agentId]?.mcpTools ?? []).some(
    (grant) => grant.server === server && grant.tool === tool,
  );
}

/** The allowlist an agent's commands are checked against: its own entries, then the `*` entries. */
export function allowlistFor(file: ExecApprovalsFile, agentId: string): AllowlistEntry[] {
  const own = file.agents[agentId]?.allowlist ?? [];
  const all = agentId === ALL_AGENTS ? [] : (file.agents[ALL_AGENTS]?.allowlist ?? []);
  return [...own, ...all];
}

export type ResolvedDefaults = ExecPolicy & { autoAllowSkills: boolean };

/** What an agent without an entry of its own runs under (`ExecApprovalsSnapshot.resolvedDefaults`). */
export function resolvedDefaults(
  file: ExecApprovalsFile,
  requested: { security: ExecSecurity; ask: ExecAsk },
): ResolvedDefaults {
  return {
    ...effectivePolicy(requested, [file.defaults]),
    autoAllowSkills: file.defaults.autoAllowSkills ?? false,
  };
}
