import { ClawgateError } from '../protocol/clawgate-error.ts';
import { type LlmProvider, ProviderError, type ProviderMessage } from './providers/types.ts';

export type TurnUsage = { input: number; output: number };

export type TurnCallbacks = {
  /** Each text delta with the cumulative text so far. */
  onDelta(delta: string, text: string): void;
  onUsage(usage: TurnUsage): void;
};

export type TurnResult = { text: string; usage: TurnUsage | undefined; stopReason: string };

/**
 * A failure part-way through a turn, carrying what was streamed before it so the caller can commit the
 * partial reply with its stop reason.
 */
export class TurnError extends ClawgateError {
  readonly partialText: string;
  readonly usage: TurnUsage | undefined;
  readonly providerError: ProviderError;
  constructor(providerError: ProviderError, partialText: string, usage: TurnUsage | undefined) {
    super('TURN_FAILED', providerError.message, { cause: providerError });
    this.name = 'TurnError';
    this.providerError = providerError;
    this.partialText = partialText;
    this.usage = usage;
  }
}

function asProviderError(error: unknown, signal: AbortSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal.aborted) return new ProviderError('aborted', 'the run was aborted', { cause: error });
  return new ProviderError('unknown', (error as Error)?.message || 'provider failed', { cause: error });
}

/**
 * The embedded agent's model step: stream one completion from the provider, reporting deltas and usage as they
 * arrive. Tool use and multi-step agent loops arrive in later issues; the turn boundary and its events are
 * already the ones they will use.
 */
export async function runModelTurn(
  provider: LlmProvider,
  request: { model: string; system?: string; messages: ProviderMessage[]; signal: AbortSignal },
  callbacks: TurnCallbacks,
): Promise<TurnResult> {
  let text = '';
  let usage: TurnUsage | undefined;
  let stopReason = 'stop';
  try {
    for await (const event of provider.stream(request)) {
      if (request.signal.aborted) throw new ProviderError('aborted', 'the run was aborted');
      if (event.type === 'text') {
        if (event.delta === '') continue;
        text += event.delta;
        callbacks.onDelta(event.delta, text);
      } else if (event.type === 'usage') {
        usage = { input: event.input, output: event.output };
        callbacks.onUsage(usage);
      } else {
        stopReason = event.stopReason;
      }
    }
    if (request.signal.aborted) throw new ProviderError('aborted', 'the run was aborted');
  } catch (error) {
    throw new TurnError(asProviderError(error, request.signal), text, usage);
  }
  return { text, usage, stopReason };
}
