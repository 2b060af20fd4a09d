/**
 * The base of every error clawgate throws on purpose: `code` is a stable string callers branch on, where the
 * message is for people. The client bundle imports this file too, so it must import nothing.
 */
export class ClawgateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
