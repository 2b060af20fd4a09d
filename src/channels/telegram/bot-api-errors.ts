/**
 * What a failed Bot API call means, told from grammY's errors without importing grammY (this file is on the
 * adapter's light path): a `GrammyError` carries Telegram's `error_code`, `description` and `parameters`; an
 * `HttpError` wraps a network failure.
 */

type ApiErrorShape = {
  error_code: number;
  description: string;
  method?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
};

export function apiError(error: unknown): ApiErrorShape | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const candidate = error as Partial<ApiErrorShape>;
  return typeof candidate.error_code === 'number' && typeof candidate.description === 'string'
    ? (candidate as ApiErrorShape)
    : undefined;
}

/** Seconds Telegram asks us to wait (429 Too Many Requests), if it did. */
export function retryAfterSeconds(error: unknown): number | undefined {
  const api = apiError(error);
  const seconds = api?.parameters?.retry_after;
  return api?.error_code === 429 && typeof seconds === 'number' && seconds >= 0 ? seconds : undefined;
}

/** The token was refused: 401, or 404 on `getMe` (Telegram's answer to a token of the wrong shape). */
export function isUnauthorized(error: unknown): boolean {
  const api = apiError(error);
  return api?.error_code === 401 || (api?.error_code === 404 && api.method === 'getMe');
}

/** An edit to the text the message already shows, which Telegram refuses with 400. */
export function isNotModified(error: unknown): boolean {
  const api = apiError(error);
  return api?.error_code === 400 && /message is not modified/i.test(api.description);
}

/** A group that became a supergroup answers 400 with the chat id to use from now on. */
export function migratedChatId(error: unknown): number | undefined {
  return apiError(error)?.parameters?.migrate_to_chat_id;
}

/** Another poller (or a webhook) holds the bot's updates: 409 Conflict. */
export function isConflict(error: unknown): boolean {
  return apiError(error)?.error_code === 409;
}

/** One line for logs and `lastError`; never the token (grammY keeps the URL out of its messages). */
export function describeApiError(method: string, error: unknown): string {
  const api = apiError(error);
  if (api) return `${method} failed: ${api.error_code} ${api.description}`;
  const cause = (error as { error?: unknown })?.error;
  const detail =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return `${method} failed: network error (${detail})`;
}
