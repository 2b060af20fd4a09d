import { ClawgateError } from '../protocol/clawgate-error.ts';

/** A config or flag problem the user must fix; the CLI prints the message and exits 2 without writing. */
export class ConfigError extends ClawgateError {
  declare readonly code: 'CONFIG_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}
