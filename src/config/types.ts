import type { GatewayLimits } from '../gateway/ws/limits.ts';

export const AUTH_MODES = ['token', 'password', 'none', 'trusted-proxy'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export type AgentConfig = {
  id: string;
  name?: string;
  default?: boolean;
  model?: string;
  workspace?: string;
  systemPrompt?: string;
  identity?: { name?: string; theme?: string; emoji?: string; avatar?: string };
};

export type ProviderModelConfig = { id: string; name?: string; contextWindow?: number };
export type ProviderConfig = {
  baseUrl?: string;
  apiKey?: string;
  api?: 'openai-completions' | 'anthropic-messages';
  models?: ProviderModelConfig[];
};

/** The config after defaults, env and flags are applied: what the gateway runs with. */
export type GatewayConfig = {
  gateway: {
    port: number;
    bind: string;
    auth: {
      mode: AuthMode;
      token?: string;
      password?: string;
      rateLimit: { maxAttempts: number; windowMs: number; lockoutMs: number; exemptLoopback: boolean };
      trustedProxy: { userHeader: string; allowUsers: string[] };
    };
    trustedProxies: string[];
    tls: { enabled: boolean; certPath?: string; keyPath?: string; autoGenerate: boolean };
    controlUi: { enabled: boolean; root?: string; basePath: string; allowedOrigins: string[] };
    pairing: { autoApproveLoopback: boolean };
    limits: GatewayLimits;
  };
  agents: {
    defaults: { model: string; fallbacks: string[]; workspace?: string; systemPrompt?: string };
    list: AgentConfig[];
  };
  session: { mainKey: string; scope: 'per-sender' | 'global'; dmScope: string; groupScope: string };
  models: { providers: Record<string, ProviderConfig> };
  logging: { level: LogLevel; file?: string };
  discovery: { mdns: { mode: 'off' | 'minimal' | 'full' } };
};

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
