import type { GatewayLimits } from '../config/limits.ts';
import { GatewayError } from '../protocol/gateway-error.ts';

/** A chat attachment as clients send it (base64 `content`). */
export type Attachment = {
  type?: string;
  mimeType?: string;
  fileName?: string;
  content?: unknown;
  sizeBytes?: number;
};

/** Decoded size of base64 text without decoding it. */
function base64Bytes(text: string): number {
  const clean = text.replace(/^data:[^,]*,/, '').replace(/\s/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((clean.length * 3) / 4) - padding);
}

/**
 * Checks attachments (base64 `content`) against the policy advertised in hello-ok and returns a note for the
 * model naming them. Providers that take images and files arrive later; until then the model is told what was
 * attached rather than silently losing it.
 */
export function checkAttachments(attachments: Attachment[], limits: GatewayLimits, method: string): string {
  let total = 0;
  const names: string[] = [];
  attachments.forEach((attachment, index) => {
    const name = attachment.fileName ?? `attachment ${index + 1}`;
    const bytes =
      typeof attachment.content === 'string' ? base64Bytes(attachment.content) : (attachment.sizeBytes ?? 0);
    const image = (attachment.mimeType ?? attachment.type ?? '').startsWith('image');
    const limit = image ? limits.attachmentMaxImageBytes : limits.attachmentMaxBytes;
    if (bytes > limit) {
      throw new GatewayError(
        'INVALID_REQUEST',
        `invalid ${method} params: attachments[${index}] (${name}) is ${bytes} bytes; the limit is ${limit}`,
        {
          details: { code: 'ATTACHMENT_TOO_LARGE', index, bytes, limit },
        },
      );
    }
    total += bytes;
    names.push(`${name} (${attachment.mimeType ?? attachment.type ?? 'unknown type'}, ${bytes} bytes)`);
  });
  if (total > limits.attachmentMaxBytes) {
    throw new GatewayError(
      'INVALID_REQUEST',
      `invalid ${method} params: attachments total ${total} bytes; the limit is ${limits.attachmentMaxBytes}`,
      {
        details: { code: 'ATTACHMENT_TOO_LARGE', bytes: total, limit: limits.attachmentMaxBytes },
      },
    );
  }
  return names.length > 0 ? `[Attached: ${names.join('; ')}]` : '';
}
