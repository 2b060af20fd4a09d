import { type ExecMode, policyForMode } from '../agents/approvals/policy.ts';
import { ConfigError } from './config-error.ts';
import type { GatewayConfig } from './types.ts';

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * `tools.exec.mode` is resolved into the security/ask pair the gate reads. Mixing `mode` with the legacy fields in
 * one object is refused, as OpenClaw's schema refuses it, so the file never means two policies at once. Read from
 * the file as written: the merged config always holds the defaults' pair.
 */
export function resolveExecPolicy(config: GatewayConfig, file: Obj): void {
  const tools = isObj(file.tools) ? file.tools : undefined;
  const written = isObj(tools?.exec) ? tools.exec : undefined;
  const resolved = config.tools.exec as GatewayConfig['tools']['exec'] & { mode?: ExecMode };
  const mode = written?.mode as ExecMode | undefined;
  delete resolved.mode;
  if (mode === undefined) return;
  if (written?.security !== undefined || written?.ask !== undefined) {
    throw new ConfigError(
      'tools.exec.mode: cannot be combined with tools.exec.security or tools.exec.ask; keep mode (e.g. "ask", "full") or the legacy pair, not both',
    );
  }
  Object.assign(resolved, policyForMode(mode));
}
