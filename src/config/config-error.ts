/** A config or flag problem the user must fix; the CLI prints the message and exits 2 without writing. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
