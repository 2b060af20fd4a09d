import { invalidParams } from '../protocol/gateway-error.ts';
import { READ, WRITE } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';
import type { TaskStatus } from './types.ts';

const DEFAULT_TASKS_LIMIT = 100;

/** The cursor is the last task's `createdAt:id`, opaque to clients. */
function encodeCursor(task: { createdAt: number; id: string }): string {
  return Buffer.from(`${task.createdAt}:${task.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const split = text.indexOf(':');
  const createdAt = Number(text.slice(0, split));
  if (split < 1 || !Number.isInteger(createdAt))
    throw invalidParams('tasks.list', 'cursor is not one this gateway issued');
  return { createdAt, id: text.slice(split + 1) };
}

/** The background-task ledger (OpenClaw's tasks.*): detached work such as cron runs, newest first. */
export const taskMethods = defineMethods({
  'tasks.list': {
    access: READ,
    handler: async (params, { gateway }) => {
      const limit = params.limit ?? DEFAULT_TASKS_LIMIT;
      const statuses: TaskStatus[] | undefined =
        params.status === undefined
          ? undefined
          : Array.isArray(params.status)
            ? params.status
            : [params.status];
      const tasks = await gateway.automation.store.listTasks({
        ...(statuses ? { statuses } : {}),
        ...(params.agentId ? { agentId: params.agentId } : {}),
        ...(params.sessionKey ? { sessionKey: params.sessionKey } : {}),
        limit: limit + 1,
        ...(params.cursor ? { cursor: decodeCursor(params.cursor) } : {}),
      });
      const more = tasks.length > limit;
      const listed = more ? tasks.slice(0, limit) : tasks;
      // Within the page: the ledger pages by creation, so another order only re-sorts what one page holds.
      if (params.sortBy === 'endedAt' || params.sortBy === 'updatedAt') {
        const field = params.sortBy;
        listed.sort((a, b) => (b[field] ?? b.updatedAt) - (a[field] ?? a.updatedAt));
      }
      return { tasks: listed, ...(more ? { nextCursor: encodeCursor(listed[listed.length - 1]) } : {}) };
    },
  },

  'tasks.get': {
    access: READ,
    handler: async (params, { gateway }) => {
      const task = await gateway.automation.store.getTask(params.taskId);
      if (!task) throw invalidParams('tasks.get', `task not found: ${params.taskId}`);
      return { task };
    },
  },

  'tasks.cancel': {
    access: WRITE,
    handler: async (params, { gateway }) => {
      const task = await gateway.automation.store.getTask(params.taskId);
      if (!task) return { found: false, cancelled: false, reason: 'Task not found.' };
      if (task.status !== 'running' && task.status !== 'queued') {
        return { found: true, cancelled: false, reason: `Task is already ${task.status}.`, task };
      }
      const reason = params.reason ?? 'cancelled by an operator';
      const abortHookRun = (sessionKey: string, runId: string) =>
        gateway.chat.abort(sessionKey, runId).length > 0;
      if (!gateway.automation.cron.cancel(task.id, reason) && !gateway.hooks.cancel(task.id, abortHookRun)) {
        return { found: true, cancelled: false, reason: 'Task is not running in this gateway.', task };
      }
      return { found: true, cancelled: true, task };
    },
  },
});
