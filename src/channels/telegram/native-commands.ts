import type { TelegramCustomCommand } from './telegram-config.ts';

export type BotCommand = { command: string; description: string };

/** The session commands clawgate answers, worded as OpenClaw registers them. */
export const NATIVE_COMMANDS: readonly BotCommand[] = [
  { command: 'new', description: 'Start a new session.' },
  { command: 'reset', description: 'Reset the current session.' },
];

/** Telegram's limits on a menu entry. */
const COMMAND_NAME = /^[a-z0-9_]{1,32}$/;
const MAX_DESCRIPTION = 256;
const MAX_COMMANDS = 100;

/**
 * The bot's command menu (`setMyCommands`): the native commands unless `commands.native` is false, then the
 * `customCommands` (menu entries only), normalized as OpenClaw does: no leading `/`, lower case; an invalid or
 * duplicate entry, or one shadowing a native command, is skipped and named in `skipped`.
 */
export function commandMenu(
  native: boolean,
  custom: readonly TelegramCustomCommand[],
): { commands: BotCommand[]; skipped: string[] } {
  const commands: BotCommand[] = native ? [...NATIVE_COMMANDS] : [];
  const skipped: string[] = [];
  for (const entry of custom) {
    const command = String(entry?.command ?? '')
      .trim()
      .replace(/^\//, '')
      .toLowerCase();
    const description = String(entry?.description ?? '')
      .trim()
      .slice(0, MAX_DESCRIPTION);
    const taken = commands.some((existing) => existing.command === command);
    if (!COMMAND_NAME.test(command) || description === '' || taken || commands.length >= MAX_COMMANDS) {
      skipped.push(command || String(entry?.command));
      continue;
    }
    commands.push({ command, description });
  }
  return { commands, skipped };
}
