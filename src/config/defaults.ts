import {
  AUTH_RATE_LIMIT_LOCKOUT_MS,
  AUTH_RATE_LIMIT_MAX_ATTEMPTS,
  AUTH_RATE_LIMIT_WINDOW_MS,
  CRON_RUN_RETENTION_MS,
  CRON_RUNS_PER_JOB,
  DEFAULT_LIMITS,
  EXEC_APPROVAL_TIMEOUT_MS,
  LOG_MAX_FILE_BYTES,
  LOG_MAX_FILES,
  LOG_RETENTION_MS,
  MAINTENANCE_INTERVAL_MS,
  MEMORY_SEARCH_DEFAULT_MAX_RESULTS,
  MEMORY_SEARCH_DEFAULT_MIN_SCORE,
  PLUGIN_LOAD_TIMEOUT_MS,
  RESET_ARCHIVE_RETENTION_MS,
  RUN_RETENTION_MS,
  TASK_RETENTION_MS,
} from './limits.ts';
import type { GatewayConfig } from './types.ts';

export const DEFAULT_PORT = 18789;
export const DEFAULT_AGENT_ID = 'main';
export const DEFAULT_MAIN_KEY = 'main';
/** The offline provider is the embedded default so a fresh `npm start` can hold a conversation. */
export const DEFAULT_MODEL = 'echo/echo';
export const DEFAULT_TRUSTED_PROXY_USER_HEADER = 'x-forwarded-user';
/** The npm registry's document for clawgate's `latest` dist-tag: JSON whose `version` is the newest release. */
export const DEFAULT_UPDATE_REGISTRY_URL = 'https://registry.npmjs.org/clawgate/latest';
export const DEFAULT_HOOKS_PATH = '/hooks';

/** The embedded defaults `npm start` runs with: loopback, token auth. */
export function defaultConfig(): GatewayConfig {
  return {
    gateway: {
      port: DEFAULT_PORT,
      bind: 'loopback',
      auth: {
        mode: 'token',
        rateLimit: {
          maxAttempts: AUTH_RATE_LIMIT_MAX_ATTEMPTS,
          windowMs: AUTH_RATE_LIMIT_WINDOW_MS,
          lockoutMs: AUTH_RATE_LIMIT_LOCKOUT_MS,
          exemptLoopback: true,
        },
        trustedProxy: { userHeader: DEFAULT_TRUSTED_PROXY_USER_HEADER, allowUsers: [] },
      },
      trustedProxies: [],
      tailscale: { mode: 'off' },
      tls: { enabled: false, autoGenerate: false },
      controlUi: { enabled: true, basePath: '', allowedOrigins: [] },
      pairing: { autoApproveLoopback: true },
      nodes: { pairing: { autoApproveLocal: true }, commands: { allow: [], deny: [] }, invokeGrants: {} },
      reload: { mode: 'hybrid' },
      http: { endpoints: { chatCompletions: { enabled: false } } },
      limits: { ...DEFAULT_LIMITS },
      maintenance: {
        enabled: true,
        intervalMs: MAINTENANCE_INTERVAL_MS,
        runRetention: RUN_RETENTION_MS,
        logRetention: LOG_RETENTION_MS,
        cronRunRetention: CRON_RUN_RETENTION_MS,
        cronRunsPerJob: CRON_RUNS_PER_JOB,
        taskRetention: TASK_RETENTION_MS,
      },
    },
    agents: { defaults: { model: DEFAULT_MODEL, fallbacks: [] }, list: [] },
    bindings: [],
    session: {
      mainKey: DEFAULT_MAIN_KEY,
      scope: 'per-sender',
      dmScope: 'main',
      groupScope: 'per-group',
      maintenance: { mode: 'enforce', resetArchiveRetention: RESET_ARCHIVE_RETENTION_MS },
    },
    models: { providers: {} },
    logging: { level: 'info', maxFileBytes: LOG_MAX_FILE_BYTES, maxFiles: LOG_MAX_FILES },
    discovery: { mdns: { mode: 'off' }, wideArea: {} },
    cron: { enabled: true },
    update: { channel: 'stable', checkOnStart: true, registryUrl: DEFAULT_UPDATE_REGISTRY_URL },
    hooks: { enabled: false, path: DEFAULT_HOOKS_PATH, allowRequestSessionKey: false, mappings: [] },
    channels: {},
    plugins: {
      enabled: true,
      allow: [],
      deny: [],
      load: { paths: [], timeoutMs: PLUGIN_LOAD_TIMEOUT_MS },
      entries: {},
    },
    memory: {
      search: {
        enabled: true,
        experimental: { sessionMemory: false },
        query: { maxResults: MEMORY_SEARCH_DEFAULT_MAX_RESULTS, minScore: MEMORY_SEARCH_DEFAULT_MIN_SCORE },
      },
      citations: 'auto',
    },
    // The secure default (docs/approvals.md): what the allowlist does not cover waits for an operator.
    tools: { exec: { security: 'allowlist', ask: 'on-miss', safeBinTrustedDirs: [], safeBinProfiles: {} } },
    mcp: { servers: {} },
    approvals: { exec: { timeoutMs: EXEC_APPROVAL_TIMEOUT_MS } },
  };
}
