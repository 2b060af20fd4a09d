import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GATEWAY_SECRET_ENV, referencedEnvNames } from '../gateway-secrets.ts';
import { isWithin, realWorkspace } from '../path-guard.ts';
import { ToolAuthorizationError, ToolInputError } from '../tool-errors.ts';
import type { AgentTool, ToolContext, ToolRegistration, ToolResult } from '../tool-types.ts';
import { execLimits } from '../tools-config.ts';
import type { BuiltinDeps } from './builtin-deps.ts';
import type { ProcessSession } from './process-registry.ts';

/** Characters of a still-running command's output the answer shows. */
const RUNNING_TAIL_CHARS = 2_000;
/** Env names a command may not be given: they would let it load other code (OpenClaw's rule). */
const BLOCKED_ENV = /^(PATH|LD_.*|DYLD_.*)$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const str = (description: string) => ({ type: 'string', description });

/** OpenClaw's exec parameters; `yieldMs` and `background` only when `process` is allowed to pick them up. */
function execParameters(background: boolean): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      title: str('Short title shown on the tool card.'),
      command: str('Shell command.'),
      workdir: str('Working directory inside the workspace; omit for the workspace itself.'),
      env: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Literal environment overrides; no expansion. PATH, LD_* and DYLD_* are refused.',
      },
      ...(background
        ? {
            yieldMs: { type: 'number', description: 'Milliseconds before backgrounding; default 10000.' },
            background: { type: 'boolean', description: 'Background now; timeoutSeconds still applies.' },
          }
        : {}),
      timeoutSeconds: { type: 'number', description: 'Process lifetime in seconds; 0 disables.' },
      pty: { type: 'boolean', description: 'Not available here: commands run without a terminal.' },
      host: { type: 'string', enum: ['auto', 'gateway'], description: 'Omit or auto: the gateway host.' },
    },
    required: ['command'],
  };
}

type ExecArgs = {
  command: string;
  workdir?: string;
  env?: Record<string, string>;
  yieldMs?: number;
  background?: boolean;
  timeoutSeconds?: number;
  host?: string;
};

/**
 * `exec`: a shell command in the agent's workspace on the gateway host. Every command goes through the exec gate
 * first (the approvals policy): nothing runs that it did not allow, and what runs is exactly the command it saw.
 * A command still running after `yieldMs` (or at once with `background`) moves to the background and `process`
 * takes over; `timeoutSeconds` kills it either way. The gateway's own credentials are not in its environment.
 */
export function execToolRegistration(deps: BuiltinDeps): ToolRegistration {
  return {
    name: 'exec',
    source: { kind: 'core' },
    factory: (ctx) => {
      const background = ctx.toolAllowed?.('process') ?? true;
      const tool: AgentTool = {
        name: 'exec',
        label: 'Run command',
        description:
          'Run a shell command in the workspace. Returns its output when it finishes; a long command moves to the background (use process to poll or kill it).',
        parameters: execParameters(background),
        execute: (_toolCallId, params, signal) =>
          runExec(deps, ctx, params as ExecArgs, background, signal ?? new AbortController().signal),
      };
      return tool;
    },
  };
}

async function runExec(
  deps: BuiltinDeps,
  ctx: ToolContext,
  args: ExecArgs,
  backgroundAllowed: boolean,
  signal: AbortSignal,
): Promise<ToolResult> {
  if (typeof args.command !== 'string' || args.command.trim() === '') {
    throw new ToolInputError('command must be a non-empty string');
  }
  if (args.host !== undefined && args.host !== 'auto' && args.host !== 'gateway') {
    throw new ToolInputError(
      `host ${JSON.stringify(args.host)} is not available: commands run on the gateway host`,
    );
  }
  const cwd = await workdir(ctx.workspaceDir, args.workdir);
  const env = commandEnv(deps, ctx, args.env);
  const limits = execLimits(ctx.config, ctx.agentId);
  const timeoutSeconds = args.timeoutSeconds ?? limits.timeoutSeconds;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0) {
    throw new ToolInputError('timeoutSeconds must be a number >= 0');
  }
  const decision = await ctx.execGate.check(
    {
      agentId: ctx.agentId,
      sessionKey: ctx.sessionKey,
      runId: ctx.runId,
      command: args.command,
      cwd,
      ...(ctx.automation ? { automation: ctx.automation } : {}),
    },
    signal,
  );
  if (!decision.allowed) {
    return {
      content: [{ type: 'text', text: `exec denied: ${decision.reason}` }],
      details: { status: 'denied', reason: decision.reason },
      isError: true,
    };
  }
  signal.throwIfAborted();
  const processes = await deps.processes();
  const session = processes.start({
    agentId: ctx.agentId,
    command: args.command,
    cwd,
    env,
    timeoutMs: timeoutSeconds * 1000,
    cleanupMs: limits.cleanupMs,
  });
  const yieldMs = backgroundAllowed ? (args.background ? 0 : (args.yieldMs ?? limits.backgroundMs)) : 0;
  const waitsForever = !backgroundAllowed;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const outcome = await new Promise<'done' | 'yield' | 'abort'>((settle) => {
    void session.done.then(() => settle('done'));
    if (!waitsForever) timer = setTimeout(() => settle('yield'), Math.max(0, yieldMs));
    onAbort = () => settle('abort');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  clearTimeout(timer);
  if (onAbort) signal.removeEventListener('abort', onAbort);
  if (outcome === 'abort' && session.running) {
    session.kill('killed', 'the run was aborted');
    await session.done;
    processes.remove(session.id);
    return finished(session, 'Aborted: the run was aborted; the command was killed.');
  }
  if (outcome === 'yield' && session.running) {
    session.backgrounded = true;
    return running(session);
  }
  await session.done;
  processes.remove(session.id);
  return finished(session);
}

/** The working directory: inside the workspace (real paths compared), created with the workspace if need be. */
async function workdir(workspaceDir: string, requested: string | undefined): Promise<string> {
  const root = await realWorkspace(workspaceDir);
  if (requested === undefined || requested === '') return root;
  if (typeof requested !== 'string' || requested.trim() === '') {
    throw new ToolInputError('workdir must be a non-empty string when given');
  }
  let real: string;
  try {
    real = await realpath(resolve(root, requested));
  } catch {
    throw new ToolInputError(`workdir ${JSON.stringify(requested)} does not exist`);
  }
  if (!isWithin(real, root)) {
    throw new ToolAuthorizationError(
      `workdir ${JSON.stringify(requested)} is outside the agent workspace (${root})`,
    );
  }
  return real;
}

function commandEnv(
  deps: BuiltinDeps,
  ctx: ToolContext,
  overrides: Record<string, string> | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...deps.env };
  for (const name of [...GATEWAY_SECRET_ENV, ...referencedEnvNames(ctx.config)]) delete env[name];
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (!ENV_NAME.test(name)) throw new ToolInputError(`env name ${JSON.stringify(name)} is not valid`);
    if (BLOCKED_ENV.test(name)) throw new ToolInputError(`env ${name} may not be overridden`);
    if (typeof value !== 'string') throw new ToolInputError(`env ${name} must be a string`);
    env[name] = value;
  }
  env.OPENCLAW_SHELL = 'exec';
  return env;
}

function running(session: ProcessSession): ToolResult {
  const tail = session.tail(RUNNING_TAIL_CHARS);
  return {
    content: [
      {
        type: 'text',
        text: `Command still running (session ${session.id}, pid ${session.pid ?? '?'}). Use process with sessionId ${session.id} to poll, read its log or kill it.${tail ? `\n\n${tail}` : ''}`,
      },
    ],
    details: {
      status: 'running',
      sessionId: session.id,
      pid: session.pid,
      startedAt: session.startedAt,
      tail,
    },
  };
}

/** A finished command's answer: its output, the exit code when not 0, and what cut it short. */
export function finished(session: ProcessSession, note?: string): ToolResult {
  const { text, dropped } = session.output();
  const lines: string[] = [];
  if (dropped > 0) lines.push(`[… ${dropped} earlier characters of output were dropped]`);
  lines.push(text.trimEnd() || '(no output)');
  if (note) lines.push(`\n${note}`);
  else if (session.status === 'timeout')
    lines.push(`\n(Command ${session.stopReason ?? 'timed out'} and was killed)`);
  else if (session.status === 'killed')
    lines.push(`\n(Command was killed: ${session.stopReason ?? 'killed'})`);
  else if (session.exitCode !== 0) {
    lines.push(
      session.exitCode === null
        ? `\n(Command ended by signal ${session.exitSignal ?? 'unknown'})`
        : `\n(Command exited with code ${session.exitCode})`,
    );
  }
  return {
    content: [{ type: 'text', text: lines.join('\n') }],
    details: {
      status: session.status,
      exitCode: session.exitCode,
      ...(session.exitSignal ? { signal: session.exitSignal } : {}),
      durationMs: (session.endedAt ?? session.startedAt) - session.startedAt,
      cwd: session.cwd,
      ...(dropped > 0 ? { droppedChars: dropped } : {}),
    },
    ...(session.status === 'completed' ? {} : { isError: true }),
  };
}
