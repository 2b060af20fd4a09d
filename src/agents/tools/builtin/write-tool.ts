import { constants, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveToolPath } from '../path-guard.ts';
import { ToolInputError } from '../tool-errors.ts';
import type { ToolRegistration } from '../tool-types.ts';
import type { BuiltinDeps } from './builtin-deps.ts';
import { fileScope, openChecked } from './file-scope.ts';

const PARAMETERS = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path; relative to the workspace, or absolute inside it.' },
    content: { type: 'string', description: 'File content.' },
  },
  required: ['path', 'content'],
};

/** `write`: creates or overwrites a file inside the workspace, making its parent directories. */
export function writeToolRegistration(deps: BuiltinDeps): ToolRegistration {
  return {
    name: 'write',
    source: { kind: 'core' },
    factory: (ctx) => ({
      name: 'write',
      label: 'Write file',
      description: 'Write or overwrite a file; creates parent directories.',
      parameters: PARAMETERS,
      async execute(_toolCallId, params, signal) {
        const { path, content } = params as { path: string; content: string };
        if (typeof content !== 'string') throw new ToolInputError('content must be a string');
        const shown = JSON.stringify(path);
        const target = await resolveToolPath(fileScope(deps, ctx), path);
        signal?.throwIfAborted();
        const bytes = Buffer.byteLength(content);
        if (!target.exists) {
          await mkdir(dirname(target.path), { recursive: true });
          // Another writer may have created it meanwhile: O_EXCL refuses, and never through a symlink.
          const handle = await openChecked(
            target.path,
            constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
            shown,
            0o644,
          );
          try {
            await handle.writeFile(content, 'utf8');
          } finally {
            await handle.close();
          }
          return {
            content: [{ type: 'text', text: `Successfully wrote ${bytes} bytes to ${path}` }],
            details: { changed: true, created: true },
          };
        }
        const handle = await openChecked(target.path, constants.O_RDWR, shown);
        try {
          const before = (await handle.readFile()).toString('utf8');
          if (before === content) {
            return {
              content: [{ type: 'text', text: `${path} already has this content; nothing changed` }],
              details: { changed: false },
            };
          }
          await handle.truncate(0);
          await handle.write(content, 0, 'utf8');
        } finally {
          await handle.close();
        }
        return {
          content: [{ type: 'text', text: `Successfully wrote ${bytes} bytes to ${path}` }],
          details: { changed: true, created: false },
        };
      },
    }),
  };
}
