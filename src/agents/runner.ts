import { ClawgateError } from '../protocol/clawgate-error.ts';
import {
  type CompletionRequest,
  type LlmProvider,
  ProviderError,
  type StreamedToolCall,
} from './providers/types.ts';

export type TurnUsage = { input: number; output: number };

export type TurnCallbacks = {
  /** Each text delta with the cumulative text of the step so far. */
  onDelta(delta: string, text: string): void;
  onUsage(usage: TurnUsage): void;
};

/** One model step: its text, the tools it asked for (in the order the model gave them), usage and stop reason. */
export type StepResult = {
  text: string;
  toolCalls: StreamedToolCall[];
  usage: TurnUsage | undefined;
  stopReason: string;
};

/** What a whole turn produced: the final step's text and stop reason, usage summed over every step. */
export type TurnResult = {
  text: string;
  usage: TurnUsage | undefined;
  /** The final step's own usage (what its assistant message records; the earlier steps' messages hold theirs). */
  stepUsage: TurnUsage | undefined;
  stopReason: string;
  /** Model steps that asked for tools before the final one. */
  toolSteps: number;
};

/**
 * A failure part-way through a turn, carrying what was streamed before it so the caller can commit the
 * partial reply with its stop reason.
 */
export class TurnError extends ClawgateError {
  readonly partialText: string;
  readonly usage: TurnUsage | undefined;
  readonly stepUsage: TurnUsage | undefined;
  readonly providerError: ProviderError;
  /** Steps whose tool calls were saved (and run) before the failure: a fallback model must not repeat them. */
  readonly toolSteps: number;
  constructor(
    providerError: ProviderError,
    partialText: string,
    usage: TurnUsage | undefined,
    progress: { stepUsage?: TurnUsage; toolSteps?: number } = {},
  ) {
    super('TURN_FAILED', providerError.message, { cause: providerError });
    this.name = 'TurnError';
    this.providerError = providerError;
    this.partialText = partialText;
    this.usage = usage;
    this.stepUsage = progress.stepUsage ?? usage;
    this.toolSteps = progress.toolSteps ?? 0;
  }
}

export function asProviderError(error: unknown, signal: AbortSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal.aborted) return new ProviderError('aborted', 'the run was aborted', { cause: error });
  return new ProviderError('unknown', (error as Error)?.message || 'provider failed', { cause: error });
}

/**
 * One model step: stream one completion from the provider, reporting deltas and usage as they arrive and
 * collecting the tool calls it makes. A failure is a TurnError carrying the text streamed so far.
 */
export async function runModelStep(
  provider: LlmProvider,
  request: CompletionRequest,
  callbacks: TurnCallbacks,
): Promise<StepResult> {
  let text = '';
  let usage: TurnUsage | undefined;
  let stopReason = 'stop';
  const toolCalls: StreamedToolCall[] = [];
  try {
    for await (const event of provider.stream(request)) {
      if (request.signal.aborted) throw new ProviderError('aborted', 'the run was aborted');
      if (event.type === 'text') {
        if (event.delta === '') continue;
        text += event.delta;
        callbacks.onDelta(event.delta, text);
      } else if (event.type === 'tool_call') {
        toolCalls.push(event.call);
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
  return { text, toolCalls, usage, stopReason };
}

/** The embedded agent's model step without tools: one streamed completion, as a whole turn. */
export async function runModelTurn(
  provider: LlmProvider,
  request: CompletionRequest,
  callbacks: TurnCallbacks,
): Promise<TurnResult> {
  const step = await runModelStep(provider, request, callbacks);
  return {
    text: step.text,
    usage: step.usage,
    stepUsage: step.usage,
    stopReason: step.stopReason,
    toolSteps: 0,
  };
}
