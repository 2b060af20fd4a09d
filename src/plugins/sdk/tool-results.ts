import type { ToolResult } from '../../agents/tools/tool-types.ts';

/** `openclaw/plugin-sdk/tool-results`: the two result shapes tools return most. */

export function textResult(text: string, details?: unknown): ToolResult {
  return { content: [{ type: 'text', text }], ...(details === undefined ? {} : { details }) };
}

/** The value as pretty JSON text, and as `details` for clients. */
export function jsonResult(value: unknown): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], details: value };
}
