import type { Logger } from '../logging/logger.ts';

/**
 * The gateway's logger for one channel account: each line names the account (`telegram[default]: …`) and
 * carries `channel` and `accountId` fields, so `openclaw channels logs`-style filtering and grep both find it.
 */
export function accountLogger(logger: Logger, channel: string, accountId: string): Logger {
  const prefix = `${channel}[${accountId}]: `;
  const fields = (extra?: Record<string, unknown>) => ({ channel, accountId, ...extra });
  return {
    debug: (msg, extra) => logger.debug(prefix + msg, fields(extra)),
    info: (msg, extra) => logger.info(prefix + msg, fields(extra)),
    warn: (msg, extra) => logger.warn(prefix + msg, fields(extra)),
    error: (msg, extra) => logger.error(prefix + msg, fields(extra)),
    setLevel: (level) => logger.setLevel(level),
    setRotation: (rotation) => logger.setRotation(rotation),
    // The gateway owns the log file; an account closing it would silence everyone.
    close: () => undefined,
    get file() {
      return logger.file;
    },
  };
}

/**
 * Removes the account's credentials from a message before it is logged or shown (a network library's error may
 * quote the request URL, which for Telegram holds the bot token).
 */
export function withoutSecrets(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}
