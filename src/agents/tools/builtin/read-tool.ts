import { constants } from 'node:fs/promises';
import { extname } from 'node:path';
import { resolveToolPath } from '../path-guard.ts';
import { ToolInputError } from '../tool-errors.ts';
import type { ToolRegistration, ToolResult } from '../tool-types.ts';
import type { BuiltinDeps } from './builtin-deps.ts';
import { fileScope, openChecked } from './file-scope.ts';

/** OpenClaw's read caps: lines and bytes of text one call returns. */
export const READ_MAX_LINES = 2000;
export const READ_MAX_BYTES = 51_200;
/** Larger files are refused rather than read into memory (use exec with head/tail/grep). */
const READ_MAX_FILE_BYTES = 20 * 1024 * 1024;
const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
};

const PARAMETERS = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path; relative to the workspace, or absolute inside it.' },
    offset: { type: 'integer', minimum: 1, description: 'Start line; 1-based.' },
    limit: { type: 'number', description: 'Max lines.' },
    optional: {
      type: 'boolean',
      const: true,
      description: 'A missing file returns not_found instead of failing.',
    },
  },
  required: ['path'],
};

type ReadArgs = { path: string; offset?: number; limit?: number; optional?: true };

/** `read`: a text file (by lines, capped) or an image, inside the workspace. */
export function readToolRegistration(deps: BuiltinDeps): ToolRegistration {
  return {
    name: 'read',
    source: { kind: 'core' },
    factory: (ctx) => ({
      name: 'read',
      label: 'Read file',
      description: `Read a text file (up to ${READ_MAX_LINES} lines or ${READ_MAX_BYTES / 1024} KB per call; continue with offset/limit) or an image (png, jpg, gif, webp, bmp).`,
      parameters: PARAMETERS,
      async execute(_toolCallId, params, signal) {
        const args = params as ReadArgs;
        const shown = JSON.stringify(args.path);
        const target = await resolveToolPath(fileScope(deps, ctx), args.path);
        if (!target.exists) {
          if (args.optional) {
            return {
              content: [{ type: 'text', text: `Not found: ${args.path}` }],
              details: { kind: 'not_found', status: 'not_found', path: args.path, optional: true },
            };
          }
          throw new ToolInputError(`File not found: ${shown}`);
        }
        signal?.throwIfAborted();
        const handle = await openChecked(target.path, constants.O_RDONLY, shown);
        try {
          const { size } = await handle.stat();
          const mimeType = IMAGE_TYPES[extname(target.path).toLowerCase()];
          if (mimeType) {
            if (size > IMAGE_MAX_BYTES) throw new ToolInputError(`${shown} is over ${IMAGE_MAX_BYTES} bytes`);
            const data = (await handle.readFile()).toString('base64');
            return {
              content: [
                { type: 'text', text: `Read image file [${mimeType}]` },
                { type: 'image', data, mimeType },
              ],
              details: { kind: 'image', content: '', mimeType },
            };
          }
          if (size > READ_MAX_FILE_BYTES) {
            throw new ToolInputError(
              `${shown} is ${size} bytes, over the ${READ_MAX_FILE_BYTES}-byte read limit`,
            );
          }
          return textPage(args, (await handle.readFile()).toString('utf8'));
        } finally {
          await handle.close();
        }
      },
    }),
  };
}

function textPage(args: ReadArgs, content: string): ToolResult {
  const lines = content.split('\n');
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  const start = (args.offset ?? 1) - 1;
  if (start > 0 && start >= lines.length) {
    throw new ToolInputError(`Offset ${args.offset} is beyond the end of the file (${lines.length} lines)`);
  }
  const maxLines = Math.max(1, Math.min(Math.floor(args.limit ?? READ_MAX_LINES), READ_MAX_LINES));
  const out: string[] = [];
  let bytes = 0;
  let truncatedBy: 'lines' | 'bytes' | undefined;
  for (let i = start; i < lines.length; i += 1) {
    if (out.length >= maxLines) {
      truncatedBy = 'lines';
      break;
    }
    const line = lines[i] as string;
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > READ_MAX_BYTES && out.length > 0) {
      truncatedBy = 'bytes';
      break;
    }
    out.push(line);
    bytes += size;
  }
  const end = start + out.length;
  let text = out.join('\n');
  if (end < lines.length) {
    text += `\n\n[Showing lines ${start + 1}-${end} of ${lines.length}. Use offset=${end + 1} to continue.]`;
  }
  return {
    content: [{ type: 'text', text }],
    details:
      end < lines.length
        ? {
            kind: 'truncated',
            truncatedBy: truncatedBy ?? 'lines',
            totalLines: lines.length,
            startLine: start + 1,
            endLine: end,
          }
        : { kind: 'text', totalLines: lines.length, startLine: start + 1, endLine: end },
  };
}
