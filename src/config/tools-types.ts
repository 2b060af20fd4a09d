/** OpenClaw's tool profiles: a base allowlist `tools.allow` / `tools.deny` then narrow. */
export const TOOL_PROFILES = ['minimal', 'coding', 'messaging', 'full'] as const;
export type ToolProfile = (typeof TOOL_PROFILES)[number];

/** Which tools a run may call: the keys `tools` and `agents.list[].tools` share (OpenClaw's). */
export type ToolPolicyConfig = {
  profile?: ToolProfile;
  /** Names, `*` globs, `group:*` groups and plugin ids; deny wins. Not together with `alsoAllow`. */
  allow?: string[];
  /** Added to the profile's allowlist. */
  alsoAllow?: string[];
  deny?: string[];
};

/** `tools.exec`: the shell tool's limits (OpenClaw's keys and defaults). */
export type ExecToolConfig = {
  /** Default per-command lifetime; 0 disables the timeout (default 1800). */
  timeoutSeconds?: number;
  /** How long a foreground command runs before it is moved to the background (default 10 000 ms). */
  backgroundMs?: number;
  /** How long a finished background session is kept for `process` (default 1 800 000 ms). */
  cleanupMs?: number;
};

/** `tools.web.fetch`, with OpenClaw's SSRF policy keys. */
export type WebFetchConfig = {
  enabled?: boolean;
  maxChars?: number;
  maxCharsCap?: number;
  maxResponseBytes?: number;
  timeoutSeconds?: number;
  maxRedirects?: number;
  userAgent?: string;
  ssrfPolicy?: {
    dangerouslyAllowPrivateNetwork?: boolean;
    allowedHostnames?: string[];
    blockedHostnames?: string[];
    allowRfc2544BenchmarkRange?: boolean;
    allowIpv6UniqueLocalRange?: boolean;
  };
};

export type ToolsConfig = ToolPolicyConfig & {
  /** clawgate's own: model steps one turn may take (default 32); each step that calls tools is one. */
  maxSteps?: number;
  fs?: { workspaceOnly?: boolean };
  exec?: ExecToolConfig;
  web?: { fetch?: WebFetchConfig };
};

/** `agents.list[].tools`: the agent's own policy layer, and overrides of `tools.fs` / `tools.exec`. */
export type AgentToolsConfig = ToolPolicyConfig & {
  fs?: { workspaceOnly?: boolean };
  exec?: ExecToolConfig;
};

/** `gateway.tools`: what `POST /tools/invoke` and `tools.invoke` deny beyond policy, or allow of the default deny. */
export type GatewayToolsConfig = { allow?: string[]; deny?: string[] };
