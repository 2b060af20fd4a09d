import type { LlmProvider, ProviderMessage, ProviderTool, StreamedToolCall } from './providers/types.ts';
import { ProviderError } from './providers/types.ts';
import {
  asProviderError,
  runModelStep,
  type TurnCallbacks,
  TurnError,
  type TurnResult,
  type TurnUsage,
} from './runner.ts';
import type { AgentTool, ToolResult, ToolUpdate } from './tools/tool-types.ts';
import { argumentProblems } from './tools/validate-arguments.ts';

export type ToolLoopRequest = {
  provider: LlmProvider;
  model: string;
  system?: string;
  /** The conversation so far, ending with the user's message; the loop appends its own steps to a copy. */
  messages: ProviderMessage[];
  tools: readonly AgentTool[];
  /** Model steps at most; the last one may not call tools (its calls are answered with an error, not run). */
  maxSteps: number;
  signal: AbortSignal;
};

export type ToolStep = {
  /** 1-based. */
  step: number;
  text: string;
  toolCalls: StreamedToolCall[];
  usage: TurnUsage | undefined;
  stopReason: string;
};

export type ToolLoopCallbacks = TurnCallbacks & {
  /** A model step after the first is about to start: its streamed text starts over. */
  onStepStart?(step: number): void;
  /** A step that asked for tools, before any of them runs: the caller commits it (a crash then leaves a mark). */
  onToolStep(step: ToolStep): Promise<void>;
  /** Every call of a committed step, before it runs (or is answered without running). */
  onToolStart(call: StreamedToolCall): void;
  onToolUpdate(call: StreamedToolCall, update: ToolUpdate): void;
  /**
   * A call's result, committed by the caller before the model or a client sees it. Runs for every call of a
   * committed step, also when it did not run (unknown tool, bad arguments, aborted, step limit).
   */
  onToolResult(call: StreamedToolCall, result: ToolResult): Promise<void>;
};

/**
 * The embedded agent's turn with tools: stream a step, and while the model asks for tools, commit the step, run
 * each call in order (the run's AbortSignal reaches every tool), commit its result, feed the results back and
 * stream the next step, until the model answers without tool calls or `maxSteps` is reached.
 *
 * A tool never fails the turn: an unknown tool, arguments that are not a JSON object or break the tool's schema,
 * and a tool that throws all become an `isError` result the model reads. A provider failure, an abort, the step
 * limit or a commit that fails end the turn as a TurnError.
 */
export async function runToolLoop(
  request: ToolLoopRequest,
  callbacks: ToolLoopCallbacks,
): Promise<TurnResult> {
  const { signal } = request;
  const messages = [...request.messages];
  const tools = new Map(request.tools.map((tool) => [tool.name, tool]));
  const offered: ProviderTool[] = request.tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    parameters: tool.parameters,
  }));
  let total: TurnUsage | undefined;
  let toolSteps = 0;
  const failed = (error: unknown, text: string, stepUsage: TurnUsage | undefined) =>
    new TurnError(
      error instanceof TurnError ? error.providerError : asProviderError(error, signal),
      text,
      total,
      { stepUsage, toolSteps },
    );
  for (let step = 1; ; step += 1) {
    if (step > 1) callbacks.onStepStart?.(step);
    const before = total;
    let result: Awaited<ReturnType<typeof runModelStep>>;
    try {
      result = await runModelStep(
        request.provider,
        {
          model: request.model,
          system: request.system,
          messages,
          ...(offered.length > 0 ? { tools: offered } : {}),
          signal,
        },
        {
          onDelta: callbacks.onDelta,
          onUsage: (usage) => {
            total = addUsage(before, usage);
            callbacks.onUsage(total);
          },
        },
      );
    } catch (error) {
      const stepError = error as TurnError;
      throw failed(error, stepError.partialText ?? '', stepError.usage);
    }
    if (result.toolCalls.length === 0) {
      return {
        text: result.text,
        usage: total,
        stepUsage: result.usage,
        stopReason: result.stopReason,
        toolSteps,
      };
    }
    const limited = step >= request.maxSteps;
    try {
      await callbacks.onToolStep({ step, ...result });
    } catch (error) {
      throw failed(
        new ProviderError('tool_loop', `the tool calls could not be saved: ${(error as Error).message}`, {
          cause: error,
        }),
        result.text,
        result.usage,
      );
    }
    toolSteps += 1;
    messages.push({
      role: 'assistant',
      content: result.text,
      toolCalls: result.toolCalls.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })),
    });
    for (const call of result.toolCalls) {
      callbacks.onToolStart(call);
      const outcome = limited
        ? errorResult(
            `Not run: the turn reached its limit of ${request.maxSteps} model steps (tools.maxSteps).`,
          )
        : await runTool(tools.get(call.name), call, signal, callbacks);
      try {
        await callbacks.onToolResult(call, outcome);
      } catch (error) {
        throw failed(
          new ProviderError('tool_loop', `a tool result could not be saved: ${(error as Error).message}`, {
            cause: error,
          }),
          '',
          undefined,
        );
      }
      messages.push({
        role: 'tool',
        toolCallId: call.id,
        toolName: call.name,
        content: modelText(outcome),
        ...(outcome.isError ? { isError: true } : {}),
      });
    }
    if (signal.aborted) throw failed(new ProviderError('aborted', 'the run was aborted'), '', undefined);
    if (limited) {
      throw failed(
        new ProviderError(
          'tool_loop',
          `the turn stopped after ${request.maxSteps} model steps that called tools (tools.maxSteps)`,
        ),
        '',
        undefined,
      );
    }
  }
}

/** Runs one call; whatever happens, the model gets a result. An aborted run stops waiting on a tool at once. */
async function runTool(
  tool: AgentTool | undefined,
  call: StreamedToolCall,
  signal: AbortSignal,
  callbacks: ToolLoopCallbacks,
): Promise<ToolResult> {
  if (signal.aborted) return errorResult('Not run: the run was aborted.');
  if (!tool) return errorResult(`Tool ${call.name} not found.`);
  if (call.invalidArguments) {
    return errorResult(`Invalid arguments for tool ${call.name}: ${call.invalidArguments}`);
  }
  const problems = await argumentProblems(tool.parameters, call.arguments);
  if (problems.length > 0) {
    return errorResult(`Invalid arguments for tool ${call.name}: ${problems.join('; ')}`);
  }
  // Checked again: the abort may have come while the arguments were being checked (a listener added after the
  // abort would never fire).
  if (signal.aborted) return errorResult('Not run: the run was aborted.');
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<ToolResult>((resolve) => {
    onAbort = () => resolve(errorResult('Aborted: the run was aborted while the tool ran.'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = (async () =>
    tool.execute(call.id, call.arguments, signal, (update) => {
      if (!signal.aborted) callbacks.onToolUpdate(call, update);
    }))();
  try {
    const result = await Promise.race([running, aborted]);
    return normalizeResult(result);
  } catch (error) {
    return errorResult((error as Error)?.message || String(error));
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // A tool that ignores the signal may settle later; its outcome is no longer anyone's.
    running.catch(() => {});
  }
}

/** A tool's answer in the contract's shape, whatever a plugin returned. */
function normalizeResult(result: unknown): ToolResult {
  if (result && typeof result === 'object' && Array.isArray((result as ToolResult).content)) {
    const typed = result as ToolResult;
    return {
      content: typed.content,
      ...(typed.details !== undefined ? { details: typed.details } : {}),
      ...(typed.isError ? { isError: true } : {}),
    };
  }
  const text = typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
  return { content: [{ type: 'text', text }] };
}

export function errorResult(message: string): ToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** What the model reads of a result: its text (details are for clients, never replayed). */
export function modelText(result: Pick<ToolResult, 'content'>): string {
  const parts = result.content.map((block) =>
    block.type === 'text' ? block.text : `[image ${block.mimeType} omitted]`,
  );
  return parts.join('\n');
}

function addUsage(total: TurnUsage | undefined, usage: TurnUsage): TurnUsage {
  return total ? { input: total.input + usage.input, output: total.output + usage.output } : { ...usage };
}
