import { setTimeout as sleep } from 'node:timers/promises';
import { ToolInputError } from '../tool-errors.ts';
import type { ToolRegistration, ToolResult } from '../tool-types.ts';
import type { BuiltinDeps } from './builtin-deps.ts';
import { finished } from './exec-tool.ts';
import type { ProcessSession } from './process-registry.ts';

/** OpenClaw's process actions; the terminal ones (send-keys, submit, paste) answer that there is no PTY. */
const ACTIONS = ['list', 'poll', 'log', 'write', 'send-keys', 'submit', 'paste', 'kill', 'clear', 'remove'];
const MAX_POLL_WAIT_MS = 30_000;
const POLL_STEP_MS = 100;
/** `log` without offset/limit shows the last this many lines. */
const DEFAULT_LOG_LINES = 200;

const PARAMETERS = {
  type: 'object',
  properties: {
    action: { type: 'string', enum: ACTIONS, description: `Process action (${ACTIONS.join('|')})` },
    sessionId: { type: 'string', description: 'Required for every action except list.' },
    data: { type: 'string', description: 'Data to write for write' },
    eof: { type: 'boolean', description: 'Close stdin after write' },
    offset: { type: 'number', description: 'Log offset (line)' },
    limit: { type: 'number', description: 'Log length (lines)' },
    timeout: {
      type: 'number',
      minimum: 0,
      description: 'For poll: wait up to this many milliseconds for new output; at most 30000.',
    },
    keys: { type: 'array', items: { type: 'string' }, description: 'Key tokens for send-keys (needs a PTY)' },
    literal: { type: 'string', description: 'Literal string for send-keys (needs a PTY)' },
    hex: { type: 'array', items: { type: 'string' }, description: 'Hex bytes for send-keys (needs a PTY)' },
    text: { type: 'string', description: 'Text for paste (needs a PTY)' },
  },
  required: ['action'],
};

type ProcessArgs = {
  action: string;
  sessionId?: string;
  data?: string;
  eof?: boolean;
  offset?: number;
  limit?: number;
  timeout?: number;
};

const text = (value: string, details?: unknown, isError?: boolean): ToolResult => ({
  content: [{ type: 'text', text: value }],
  ...(details !== undefined ? { details } : {}),
  ...(isError ? { isError: true } : {}),
});

function summary(session: ProcessSession) {
  return {
    sessionId: session.id,
    status: session.status,
    command: session.command,
    name: session.command.trim().split(/\s+/).slice(0, 2).join(' '),
    pid: session.pid,
    startedAt: session.startedAt,
    ...(session.endedAt !== undefined ? { endedAt: session.endedAt } : {}),
    ...(session.exitCode !== null ? { exitCode: session.exitCode } : {}),
  };
}

/** `process`: the agent's background commands (those `exec` moved to the background), by sessionId. */
export function processToolRegistration(deps: BuiltinDeps): ToolRegistration {
  return {
    name: 'process',
    source: { kind: 'core' },
    factory: (ctx) => ({
      name: 'process',
      label: 'Manage process',
      description:
        'Inspect and control background exec sessions: list, poll new output, read the log, write stdin, kill, clear.',
      parameters: PARAMETERS,
      async execute(_toolCallId, params, signal) {
        const args = params as ProcessArgs;
        if (!ACTIONS.includes(args.action)) {
          throw new ToolInputError(`Invalid process action. Expected one of: ${ACTIONS.join(', ')}`);
        }
        const processes = await deps.processes();
        if (args.action === 'list') {
          const sessions = processes.list(ctx.agentId).map(summary);
          return text(
            sessions.length === 0
              ? 'No background sessions.'
              : sessions.map((s) => `${s.sessionId} ${s.status} ${s.command}`).join('\n'),
            { sessions },
          );
        }
        if (!args.sessionId) throw new ToolInputError(`sessionId is required for ${args.action}`);
        const session = processes.get(ctx.agentId, args.sessionId);
        if (!session?.backgrounded) {
          return text(
            `No background session ${args.sessionId}.`,
            { status: 'failed', error: 'not found' },
            true,
          );
        }
        switch (args.action) {
          case 'poll': {
            const wait = Math.min(Math.max(args.timeout ?? 0, 0), MAX_POLL_WAIT_MS);
            const deadline = performance.now() + wait;
            let output = session.drain();
            while (output === '' && session.running && performance.now() < deadline && !signal?.aborted) {
              await sleep(POLL_STEP_MS, undefined, { signal }).catch(() => {});
              output = session.drain();
            }
            if (!session.running) return finishedPoll(session, output);
            return text(output || '(no new output)', { ...summary(session) });
          }
          case 'log': {
            const lines = session.output().text.split('\n');
            const from = args.offset !== undefined ? Math.max(0, Math.floor(args.offset)) : undefined;
            const page =
              from !== undefined
                ? lines.slice(from, args.limit !== undefined ? from + Math.floor(args.limit) : undefined)
                : lines.slice(-(args.limit ?? DEFAULT_LOG_LINES));
            return text(page.join('\n') || '(no output)', { ...summary(session), totalLines: lines.length });
          }
          case 'write': {
            if (!session.running) return text('The session has ended.', summary(session), true);
            session.write(args.data ?? '', args.eof === true);
            return text('Written.', summary(session));
          }
          case 'kill': {
            if (session.running) {
              session.kill('killed', 'killed by process kill');
              await session.done;
            }
            return text(`Session ${session.id} ${session.status}.`, summary(session));
          }
          case 'clear': {
            if (session.running)
              return text('The session is still running; kill it first.', summary(session), true);
            processes.remove(session.id);
            return text(`Session ${session.id} cleared.`, summary(session));
          }
          case 'remove': {
            if (session.running) {
              session.kill('killed', 'removed by process remove');
              await session.done;
            }
            processes.remove(session.id);
            return text(`Session ${session.id} removed.`, summary(session));
          }
          default:
            return text(
              `${args.action} needs a terminal (PTY), which exec does not provide here; use write to send stdin.`,
              { status: 'failed', error: 'no pty' },
              true,
            );
        }
      },
    }),
  };
}

function finishedPoll(session: ProcessSession, output: string): ToolResult {
  const result = finished(session);
  const first = result.content[0];
  if (output && first?.type === 'text') {
    return { ...result, content: [{ type: 'text', text: `${output.trimEnd()}\n\n${summaryLine(session)}` }] };
  }
  return result;
}

function summaryLine(session: ProcessSession): string {
  return session.status === 'completed'
    ? '(Command completed)'
    : session.exitCode !== null
      ? `(Command exited with code ${session.exitCode})`
      : `(Command ${session.status})`;
}
