/** `/new` and `/reset` (alone or followed by a first message) start a fresh transcript, as in OpenClaw. */
const RESET_COMMAND = /^\/(new|reset)(?:\s+([\s\S]*))?$/i;

export type ResetCommand = { command: 'new' | 'reset'; rest: string; reply: string };

export function parseResetCommand(message: string): ResetCommand | undefined {
  const match = RESET_COMMAND.exec(message.trim());
  if (!match) return undefined;
  const command = (match[1] as string).toLowerCase() as 'new' | 'reset';
  return {
    command,
    rest: match[2]?.trim() ?? '',
    reply: command === 'new' ? '✅ New session started.' : '✅ Session reset.',
  };
}
