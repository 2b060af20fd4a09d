import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../storage/atomic-file.ts';

/** 32 random bytes as hex: far beyond guessing, short enough to paste. */
export function generateGatewayToken(): string {
  return randomBytes(32).toString('hex');
}

export function readGatewayTokenFile(path: string): string | undefined {
  try {
    const token = readFileSync(path, 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/** The stored token, or a new one written with mode 0600 on first start. */
export function ensureGatewayToken(stateDir: string, tokenPath: string): { token: string; created: boolean } {
  const existing = readGatewayTokenFile(tokenPath);
  if (existing) return { token: existing, created: false };
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const token = generateGatewayToken();
  writeFileAtomic(tokenPath, `${token}\n`, 0o600);
  return { token, created: true };
}
