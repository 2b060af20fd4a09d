/**
 * OpenClaw's exec policy knobs: `security` (how much may run without asking), `ask` (when to ask an operator) and
 * `askFallback` (what a prompt nobody answers resolves to). Values are OpenClaw's strings; each list is ordered
 * from strictest to loosest so "the stricter of two" is the lower index.
 */
export const EXEC_SECURITY = ['deny', 'allowlist', 'full'] as const;
export type ExecSecurity = (typeof EXEC_SECURITY)[number];

/** Ordered from loosest to strictest: `always` asks the most. */
export const EXEC_ASK = ['off', 'on-miss', 'always'] as const;
export type ExecAsk = (typeof EXEC_ASK)[number];

/** `tools.exec.mode`, the normalized surface over a security/ask pair. */
export const EXEC_MODES = ['deny', 'allowlist', 'ask', 'auto', 'full'] as const;
export type ExecMode = (typeof EXEC_MODES)[number];

export type ExecPolicy = { security: ExecSecurity; ask: ExecAsk; askFallback: ExecSecurity };

/**
 * clawgate's default when nothing is configured: a command the allowlist does not cover waits for an operator,
 * and a prompt nobody answers is denied. OpenClaw's gateway host defaults to `full`/`off` (run everything); the
 * issue asks for the secure default, which is OpenClaw's own `cautious` preset.
 */
export const DEFAULT_EXEC_POLICY: ExecPolicy = { security: 'allowlist', ask: 'on-miss', askFallback: 'deny' };

/**
 * The security/ask pair each mode stands for (OpenClaw's table). `auto` adds a model reviewer in front of the
 * operator on OpenClaw; clawgate has none, so every `auto` miss goes to the operator, as `ask` does.
 */
export function policyForMode(mode: ExecMode): { security: ExecSecurity; ask: ExecAsk } {
  switch (mode) {
    case 'deny':
      return { security: 'deny', ask: 'off' };
    case 'allowlist':
      return { security: 'allowlist', ask: 'off' };
    case 'ask':
    case 'auto':
      return { security: 'allowlist', ask: 'on-miss' };
    case 'full':
      return { security: 'full', ask: 'off' };
  }
}

export function isExecSecurity(value: unknown): value is ExecSecurity {
  return typeof value === 'string' && (EXEC_SECURITY as readonly string[]).includes(value);
}

export function isExecAsk(value: unknown): value is ExecAsk {
  return typeof value === 'string' && (EXEC_ASK as readonly string[]).includes(value);
}

export function stricterSecurity(a: ExecSecurity, b: ExecSecurity): ExecSecurity {
  return EXEC_SECURITY.indexOf(a) <= EXEC_SECURITY.indexOf(b) ? a : b;
}

export function stricterAsk(a: ExecAsk, b: ExecAsk): ExecAsk {
  return EXEC_ASK.indexOf(a) >= EXEC_ASK.indexOf(b) ? a : b;
}

/** Policy fields as a document layer gives them: any may be absent (then the layer below decides). */
export type PolicyLayer = { security?: string; ask?: string; askFallback?: string };

/**
 * The effective policy for one agent: the requested policy (config `tools.exec`) narrowed by the approvals
 * document, whose agent entry beats its `*` entry, which beats its defaults; a field no layer sets inherits the
 * requested value. The document can only tighten (OpenClaw: "approvals can only tighten config-derived
 * security/ask, never loosen them"). An unknown string in the document is ignored, like an absent field.
 */
export function effectivePolicy(
  requested: { security: ExecSecurity; ask: ExecAsk },
  layers: readonly (PolicyLayer | undefined)[],
): ExecPolicy {
  const pick = <T>(read: (layer: PolicyLayer) => T | undefined): T | undefined => {
    for (const layer of layers) {
      const value = layer ? read(layer) : undefined;
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const hostSecurity = pick((layer) => (isExecSecurity(layer.security) ? layer.security : undefined));
  const hostAsk = pick((layer) => (isExecAsk(layer.ask) ? layer.ask : undefined));
  const askFallback = pick((layer) => (isExecSecurity(layer.askFallback) ? layer.askFallback : undefined));
  return {
    security: stricterSecurity(requested.security, hostSecurity ?? requested.security),
    ask: stricterAsk(requested.ask, hostAsk ?? requested.ask),
    askFallback: askFallback ?? DEFAULT_EXEC_POLICY.askFallback,
  };
}
