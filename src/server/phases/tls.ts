import type { GatewayConfig } from '../../config/types.ts';
import type { Logger } from '../../logging/logger.ts';
import { loadTlsRuntime, type TlsRuntime } from '../tls.ts';

/** Phase 2, TLS: the configured (or generated) certificate, when `gateway.tls.enabled`. */
export function prepareTls(config: GatewayConfig, stateDir: string, logger: Logger): TlsRuntime | undefined {
  const tls = loadTlsRuntime(config, stateDir);
  if (tls) logger.info('TLS enabled', { fingerprint256: tls.fingerprint256, generated: tls.generated });
  return tls;
}
