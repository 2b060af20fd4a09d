import type { StreamedToolCall } from './types.ts';

/** How much of unparseable arguments the error quotes back to the model. */
const QUOTED_ARGUMENT_CHARS = 200;

/**
 * A streamed call's accumulated argument text as the object the tool gets. Empty text is `{}` (OpenAI-compatible
 * servers send `""` for a call without arguments); anything that is not a JSON object is kept out of the tool and
 * reported, so the model is told and can try again.
 */
export function toolCallFromText(id: string, name: string, text: string): StreamedToolCall {
  if (text.trim() === '') return { id, name, arguments: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return invalid(id, name, `not valid JSON (${(error as Error).message})`, text);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return invalid(id, name, 'not a JSON object', text);
  }
  return { id, name, arguments: parsed as Record<string, unknown> };
}

function invalid(id: string, name: string, why: string, text: string): StreamedToolCall {
  const quoted = text.length > QUOTED_ARGUMENT_CHARS ? `${text.slice(0, QUOTED_ARGUMENT_CHARS)}…` : text;
  return { id, name, arguments: {}, invalidArguments: `${why}: ${quoted}` };
}
