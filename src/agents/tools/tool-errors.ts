/**
 * A tool refusing its arguments (OpenClaw's ToolInputError): the model reads the message; `tools.invoke` answers
 * it as a 400 rather than a tool failure.
 */
export class ToolInputError extends Error {
  readonly status: number = 400;
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** A tool refusing on security grounds (a path outside the workspace, the state dir): 403 over `tools.invoke`. */
export class ToolAuthorizationError extends Error {
  readonly status: number = 403;
  constructor(message: string) {
    super(message);
    this.name = 'ToolAuthorizationError';
  }
}
