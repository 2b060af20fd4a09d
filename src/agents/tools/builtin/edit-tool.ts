import { constants } from 'node:fs/promises';
import { resolveToolPath } from '../path-guard.ts';
import { ToolInputError } from '../tool-errors.ts';
import type { ToolRegistration } from '../tool-types.ts';
import type { BuiltinDeps } from './builtin-deps.ts';
import { fileScope, openChecked } from './file-scope.ts';

const PARAMETERS = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'File path; relative to the workspace, or absolute inside it.' },
    edits: {
      type: 'array',
      description: 'Targeted replacements against the original file; no overlap or nesting.',
      items: {
        type: 'object',
        properties: {
          oldText: { type: 'string', description: 'Exact original text; unique in the file.' },
          newText: { type: 'string', description: 'Replacement text.' },
        },
        required: ['oldText', 'newText'],
      },
    },
    oldText: { type: 'string', description: 'One replacement (older form): exact original text.' },
    newText: { type: 'string', description: 'One replacement (older form): replacement text.' },
  },
  required: ['path'],
};

type Edit = { oldText: string; newText: string };
type EditArgs = { path: string; edits?: Edit[]; oldText?: string; newText?: string };

/** `edit`: exact, unique, non-overlapping replacements in one file inside the workspace. */
export function editToolRegistration(deps: BuiltinDeps): ToolRegistration {
  return {
    name: 'edit',
    source: { kind: 'core' },
    factory: (ctx) => ({
      name: 'edit',
      label: 'Edit file',
      description:
        'Exact replacements in one file: each oldText must match the original exactly once; several disjoint edits in one call.',
      parameters: PARAMETERS,
      async execute(_toolCallId, params, signal) {
        const args = params as EditArgs;
        const edits =
          args.edits ??
          (typeof args.oldText === 'string' ? [{ oldText: args.oldText, newText: args.newText ?? '' }] : []);
        if (edits.length === 0) throw new ToolInputError('edits must hold at least one {oldText, newText}');
        const shown = JSON.stringify(args.path);
        const target = await resolveToolPath(fileScope(deps, ctx), args.path);
        if (!target.exists) throw new ToolInputError(`File not found: ${shown}`);
        signal?.throwIfAborted();
        const handle = await openChecked(target.path, constants.O_RDWR, shown);
        try {
          const original = (await handle.readFile()).toString('utf8');
          const crlf = original.includes('\r\n');
          const updated = applyEdits(original, edits, args.path, crlf);
          if (updated === original) {
            return {
              content: [{ type: 'text', text: `No changes made to ${args.path}` }],
              details: { changed: false },
            };
          }
          await handle.truncate(0);
          await handle.write(updated, 0, 'utf8');
          const firstChangedLine = original.slice(0, firstDifference(original, updated)).split('\n').length;
          return {
            content: [
              { type: 'text', text: `Successfully replaced ${edits.length} block(s) in ${args.path}.` },
            ],
            details: { changed: true, firstChangedLine },
          };
        } finally {
          await handle.close();
        }
      },
    }),
  };
}

/** Every edit located in the original first (so they cannot see each other's output), then applied. */
function applyEdits(original: string, edits: Edit[], path: string, crlf: boolean): string {
  const located = edits.map((edit, index) => {
    if (typeof edit.oldText !== 'string' || typeof edit.newText !== 'string') {
      throw new ToolInputError(`edits[${index}] needs oldText and newText strings`);
    }
    // A file with CRLF line ends still matches text the model wrote with plain newlines.
    const oldText =
      crlf && !edit.oldText.includes('\r\n') ? edit.oldText.replace(/\n/g, '\r\n') : edit.oldText;
    const newText =
      crlf && !edit.newText.includes('\r\n') ? edit.newText.replace(/\n/g, '\r\n') : edit.newText;
    if (oldText === '') throw new ToolInputError(`edits[${index}].oldText must not be empty in ${path}`);
    const at = original.indexOf(oldText);
    if (at < 0) throw new ToolInputError(`Could not find the exact text in ${path} (edits[${index}])`);
    const count = original.split(oldText).length - 1;
    if (count > 1) {
      throw new ToolInputError(
        `Found ${count} occurrences of edits[${index}] in ${path}. Each oldText must be unique; add context.`,
      );
    }
    return { at, end: at + oldText.length, newText, index };
  });
  located.sort((a, b) => a.at - b.at);
  for (let i = 1; i < located.length; i += 1) {
    const before = located[i - 1] as (typeof located)[number];
    const current = located[i] as (typeof located)[number];
    if (current.at < before.end) {
      throw new ToolInputError(`edits[${before.index}] and edits[${current.index}] overlap in ${path}`);
    }
  }
  let out = '';
  let from = 0;
  for (const edit of located) {
    out += original.slice(from, edit.at) + edit.newText;
    from = edit.end;
  }
  return out + original.slice(from);
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i += 1;
  return i;
}
