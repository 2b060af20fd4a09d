import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.ts';

/**
 * Resolves a secret that may be a reference: `env:NAME` reads the environment, `file:/path` reads a file
 * (trimmed). Plain strings are returned as they are. `key` names the config key in errors.
 */
export function resolveSecretRef(value: string, key: string, env: NodeJS.ProcessEnv): string {
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const resolved = env[name];
    if (!resolved) throw new ConfigError(`${key} refers to env:${name}, but ${name} is not set`);
    return resolved;
  }
  if (value.startsWith('file:')) {
    const path = value.slice(5);
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(
        `${key} refers to file:${path}, which cannot be read (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  return value;
}

/** The file a `file:` reference points at, so a rotation can be noticed by its mtime. */
export function secretRefFile(value: string | undefined): string | undefined {
  return value?.startsWith('file:') ? value.slice(5) : undefined;
}

const PLACEHOLDERS = new Set([
  'undefined',
  'null',
  'none',
  'changeme',
  'change-me',
  'password',
  'secret',
  'token',
  'xxx',
]);

/** Blank or placeholder secrets (`change-me-now`, `undefined`, …) are never accepted as credentials. */
export function isPlaceholderSecret(value: string): boolean {
  const normalized = value.trim().toLowerCase();
  return (
    normalized === '' ||
    PLACEHOLDERS.has(normalized) ||
    normalized.startsWith('change-me') ||
    normalized.startsWith('changeme') ||
    normalized.startsWith('your-')
  );
}
