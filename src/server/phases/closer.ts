/** What a start-up phase leaves to undo; the composition root runs them in reverse on stop or failed start. */
export type Closer = { name: string; close(): void | Promise<void> };
