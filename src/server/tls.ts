import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/config-error.ts';
import type { GatewayConfig } from '../config/types.ts';

export type TlsRuntime = { cert: string; key: string; fingerprint256: string; generated: boolean };

/** Lifetime of a generated certificate; browsers cap trusted leaf certs near this. */
const GENERATED_CERT_DAYS = 825;

/**
 * Certificate and key for `wss://`: the configured files, or a self-signed pair generated once into
 * `<state>/tls/` with the system `openssl`. Clients pin it by the SHA-256 fingerprint logged at start-up.
 * Every problem the operator fixes in the config is a `ConfigError` naming the key, so start-up exits 2.
 */
export function loadTlsRuntime(config: GatewayConfig, stateDir: string): TlsRuntime | undefined {
  const tls = config.gateway.tls;
  if (!tls.enabled) return undefined;
  let certPath = tls.certPath;
  let keyPath = tls.keyPath;
  let generated = false;
  if (certPath && !keyPath)
    throw new ConfigError('gateway.tls.keyPath: required when gateway.tls.certPath is set');
  if (keyPath && !certPath)
    throw new ConfigError('gateway.tls.certPath: required when gateway.tls.keyPath is set');
  if (!certPath || !keyPath) {
    if (!tls.autoGenerate)
      throw new ConfigError(
        'gateway.tls.certPath: gateway.tls.enabled needs gateway.tls.certPath and gateway.tls.keyPath, or gateway.tls.autoGenerate: true',
      );
    const dir = join(stateDir, 'tls');
    certPath = join(dir, 'gateway-cert.pem');
    keyPath = join(dir, 'gateway-key.pem');
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      generateSelfSigned(certPath, keyPath);
      generated = true;
    }
  }
  const cert = readPem(certPath, 'gateway.tls.certPath');
  const key = readPem(keyPath, 'gateway.tls.keyPath');
  let fingerprint256: string;
  try {
    fingerprint256 = new X509Certificate(cert).fingerprint256;
  } catch (error) {
    throw new ConfigError(`gateway.tls.certPath: ${certPath} is not a PEM certificate`, { cause: error });
  }
  try {
    createPrivateKey(key);
  } catch (error) {
    throw new ConfigError(`gateway.tls.keyPath: ${keyPath} is not a PEM private key`, { cause: error });
  }
  try {
    // Caught here rather than at listen, where a mismatched pair would surface as a bare TLS error.
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `gateway.tls.keyPath: ${keyPath} does not match the certificate in gateway.tls.certPath ${certPath} (${(error as Error).message})`,
      { cause: error },
    );
  }
  return { cert, key, fingerprint256, generated };
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${key}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`, {
      cause: error,
    });
  }
}

function generateSelfSigned(certPath: string, keyPath: string): void {
  // Create the key file 0600 first: openssl keeps an existing file's mode, so the key is never world-readable.
  closeSync(openSync(keyPath, 'w', 0o600));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        String(GENERATED_CERT_DAYS),
        '-subj',
        '/CN=clawgate',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
      ],
      { stdio: 'ignore' },
    );
  } catch (error) {
    // Named as a config problem: the operator's fix is installing openssl or configuring a certificate.
    throw new ConfigError(
      `gateway.tls.autoGenerate needs the openssl command to create a certificate (${(error as Error).message}); install openssl or set gateway.tls.certPath and keyPath`,
      { cause: error },
    );
  }
  chmodSync(keyPath, 0o600);
}
