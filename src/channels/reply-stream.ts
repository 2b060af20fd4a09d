import { SILENT_REPLY_TOKENS } from '../cron/heartbeat.ts';
import type { Logger } from '../logging/logger.ts';
import type { ChannelAccountHandle, OutboundMessage, SentMessage } from './channel-types.ts';
import { splitText } from './text-chunks.ts';

/** How often previews and typing refresh; OpenClaw's defaults, shorter in tests. */
export type ReplyTiming = {
  /** Least time between two live-preview edits (OpenClaw: 1 s, never under 250 ms). */
  previewThrottleMs: number;
  /** Typing indicator refresh (OpenClaw's `typingIntervalSeconds`: 6 s; Telegram shows it for about 5 s). */
  typingIntervalMs: number;
};

export const DEFAULT_REPLY_TIMING: ReplyTiming = { previewThrottleMs: 1_000, typingIntervalMs: 6_000 };

export type ReplyTarget = { chatId: string; threadId?: string; replyToMessageId?: string };

export type ReplyStreamOptions = {
  handle: ChannelAccountHandle;
  target: ReplyTarget;
  limit: number;
  /** Live preview by edits; needs `handle.edit`. */
  streaming: boolean;
  timing: ReplyTiming;
  logger: Logger;
  /** A message went out (sent or edited). */
  onOutbound(): void;
  /** Delivery gave up: the reason, for the log and the account's lastError. */
  onFailure(message: string): void;
};

/** Could `text` still grow into a silent token (`NO_REPLY`)? Then it is not shown yet. */
function maybeSilent(text: string): boolean {
  const trimmed = text.trimStart();
  return SILENT_REPLY_TOKENS.some((token) => trimmed.startsWith(token) || token.startsWith(trimmed));
}

/**
 * One reply on its way back to a chat: "typing…" while the turn runs (refreshed), an optional live preview (the
 * first delta is sent, later ones edited in at most once per throttle window), and the final text, split at the
 * account's limit, edited into the preview and continued in new messages. Every network call goes through one
 * queue, so an edit never races the send it edits; a failed call ends this delivery (logged, the account's
 * lastError), never the process.
 */
export class ReplyStream {
  readonly #options: ReplyStreamOptions;
  #queue: Promise<void> = Promise.resolve();
  #failed = false;
  #finished = false;
  #typingTimer: NodeJS.Timeout | undefined;
  #previewTimer: NodeJS.Timeout | undefined;
  #preview: SentMessage | undefined;
  /** What the preview message shows now (after the edits queued so far). */
  #shown = '';
  #latest = '';
  #lastEditAt = Number.NEGATIVE_INFINITY;

  constructor(options: ReplyStreamOptions) {
    this.#options = options;
  }

  /** Starts the typing indicator. */
  start(): void {
    if (!this.#options.handle.typing) return;
    this.#typing();
    this.#typingTimer = setInterval(() => this.#typing(), this.#options.timing.typingIntervalMs);
    this.#typingTimer.unref();
  }

  /** The reply's text so far (the whole of it, not the delta). */
  update(text: string): void {
    if (this.#finished || this.#failed) return;
    this.#latest = text;
    const { handle, streaming } = this.#options;
    if (!streaming || !handle.edit || text.trim() === '' || maybeSilent(text)) return;
    if (this.#previewTimer) return;
    const wait = Math.max(0, this.#lastEditAt + this.#options.timing.previewThrottleMs - Date.now());
    this.#previewTimer = setTimeout(() => {
      this.#previewTimer = undefined;
      this.#enqueue(() => this.#showPreview());
    }, wait);
    this.#previewTimer.unref();
  }

  /**
   * Delivers the final text (`''`: nothing more to send) and stops typing. Resolves once everything queued has
   * gone out or failed.
   */
  finish(text: string): Promise<void> {
    this.#finished = true;
    this.#stopTimers();
    const final =
      text.trim() === '' || SILENT_REPLY_TOKENS.some((token) => text.trim() === token) ? '' : text;
    this.#enqueue(() => this.#deliverFinal(final));
    return this.#queue;
  }

  /** Stops without sending anything more (the turn was aborted: the account stopped, the gateway closes). */
  cancel(): Promise<void> {
    this.#finished = true;
    this.#stopTimers();
    return this.#queue;
  }

  #stopTimers(): void {
    clearInterval(this.#typingTimer);
    clearTimeout(this.#previewTimer);
    this.#typingTimer = undefined;
    this.#previewTimer = undefined;
  }

  #typing(): void {
    const { handle, target, logger } = this.#options;
    handle.typing?.(target.chatId, target.threadId).catch((error: unknown) => {
      // Typing is cosmetic: a failure is noted, the reply goes on.
      logger.debug(`typing indicator failed: ${(error as Error).message}`);
    });
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#failed) return;
      try {
        await work();
      } catch (error) {
        this.#failed = true;
        this.#stopTimers();
        this.#options.onFailure((error as Error).message);
      }
    });
  }

  async #showPreview(): Promise<void> {
    if (this.#finished) return;
    const text = this.#latest.slice(0, this.#options.limit);
    if (text === this.#shown) return;
    this.#lastEditAt = Date.now();
    if (!this.#preview) this.#preview = await this.#send(text);
    else await this.#edit(this.#preview, text);
    this.#shown = text;
  }

  async #deliverFinal(text: string): Promise<void> {
    if (text === '') return;
    const pieces = splitText(text, this.#options.limit);
    let rest = pieces;
    if (this.#preview) {
      const [first, ...more] = pieces;
      if (first !== undefined && first !== this.#shown) await this.#edit(this.#preview, first);
      rest = more;
    }
    for (const piece of rest) await this.#send(piece);
  }

  async #send(text: string): Promise<SentMessage> {
    const { handle, target } = this.#options;
    const message: OutboundMessage = { chatId: target.chatId, text };
    if (target.threadId !== undefined) message.threadId = target.threadId;
    if (target.replyToMessageId !== undefined && !this.#preview)
      message.replyToMessageId = target.replyToMessageId;
    const sent = await handle.send(message);
    this.#options.onOutbound();
    return sent;
  }

  async #edit(target: SentMessage, text: string): Promise<void> {
    await this.#options.handle.edit?.(target, text);
    this.#options.onOutbound();
  }
}
