import type { ToolResult, ToolUpdate } from './tool-types.ts';

export const REDACTED = '[REDACTED]';
/** Shorter strings are not treated as secrets: redacting them would mangle ordinary output. */
const MIN_SECRET_CHARS = 8;

/**
 * Replaces every configured secret (the gateway token and password, provider API keys, the hooks token) in a tool's
 * result before it is stored, streamed or shown to the model: a command that prints its environment, or a file that
 * holds a key, cannot carry one onto the wire. Text blocks and every string inside `details` are rewritten.
 */
export class SecretRedactor {
  readonly #secrets: readonly string[];

  constructor(secrets: readonly (string | undefined)[]) {
    this.#secrets = [
      ...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_CHARS)),
    ]
      // Longest first, so a secret containing another is replaced whole.
      .sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let out = value;
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  result<T extends ToolResult | ToolUpdate>(result: T): T {
    if (this.#secrets.length === 0) return result;
    const content = result.content?.map((block) =>
      block.type === 'text' ? { ...block, text: this.text(block.text) } : block,
    );
    const out = { ...result, ...(content ? { content } : {}) };
    if (result.details !== undefined) out.details = this.#deep(result.details, 0);
    return out;
  }

  #deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (depth > 32 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.#deep(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = this.#deep(item, depth + 1);
    return out;
  }
}
