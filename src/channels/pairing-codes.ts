import { createHash, randomInt } from 'node:crypto';

/** OpenClaw's DM pairing codes: 8 characters, uppercase, without the ambiguous 0, O, 1 and I. */
export const PAIRING_CODE_LENGTH = 8;
export const PAIRING_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** A pending request expires after an hour; the sender may then get a new code. */
export const PAIRING_TTL_MS = 60 * 60 * 1000;
/** Pending requests per channel account; more senders are ignored until one expires or is approved. */
export const PAIRING_MAX_PENDING = 3;

export function newPairingCode(): string {
  let code = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i += 1)
    code += PAIRING_CODE_ALPHABET[randomInt(0, PAIRING_CODE_ALPHABET.length)];
  return code;
}

/**
 * The opaque id `channels.pairing.list` gives a request and `approve`/`dismiss` take, so the operator's UI never
 * has to carry the code the sender was sent: stable for one request, new for the next one of the same sender.
 */
export function pairingRequestId(
  channel: string,
  accountId: string,
  senderId: string,
  createdAt: number,
): string {
  return createHash('sha256')
    .update(`${channel}\u0000${accountId}\u0000${senderId}\u0000${createdAt}`)
    .digest('base64url')
    .slice(0, 32);
}

/** The reply an unknown sender gets once per request: who they are to the bot, and the code to pass on. */
export function pairingMessage(idLabel: string, senderId: string, code: string): string {
  return [
    'This assistant only talks to people its owner has approved.',
    '',
    `Your ${idLabel}: ${senderId}`,
    `Pairing code: ${code}`,
    '',
    'Send the code to the owner; they can approve it in the Control UI (Channels → DM access requests). It expires in one hour.',
  ].join('\n');
}
