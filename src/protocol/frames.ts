import type { ErrorShape } from './gateway-error.ts';

export type RequestFrame = {
  type: 'req';
  id: string;
  method: string;
  params?: unknown;
  traceparent?: string;
};

const REQUEST_KEYS = new Set(['type', 'id', 'method', 'params', 'traceparent']);
const MAX_TRACEPARENT_CHARS = 128;

export type FrameCheck =
  | { ok: true; frame: RequestFrame }
  | { ok: false; id: string | undefined; reason: string };

/**
 * Validates a parsed request frame (a closed object, protocol.md §2). Hand-written rather than schema-compiled:
 * it runs for every frame and must not wait for the schema layer to load.
 */
export function checkRequestFrame(value: unknown): FrameCheck {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, id: undefined, reason: 'frame must be an object' };
  }
  const frame = value as Record<string, unknown>;
  const id = typeof frame.id === 'string' && frame.id.length > 0 ? frame.id : undefined;
  for (const key in frame) {
    if (!REQUEST_KEYS.has(key)) return { ok: false, id, reason: `unknown property ${key}` };
  }
  if (frame.type !== 'req') return { ok: false, id, reason: 'type must be "req"' };
  if (id === undefined) return { ok: false, id, reason: 'id must be a non-empty string' };
  if (typeof frame.method !== 'string' || frame.method.length === 0) {
    return { ok: false, id, reason: 'method must be a non-empty string' };
  }
  if (frame.traceparent !== undefined) {
    if (typeof frame.traceparent !== 'string' || frame.traceparent.length > MAX_TRACEPARENT_CHARS) {
      return {
        ok: false,
        id,
        reason: `traceparent must be a string of at most ${MAX_TRACEPARENT_CHARS} characters`,
      };
    }
  }
  return { ok: true, frame: frame as RequestFrame };
}

const serialized = new WeakMap<object, string>();

/**
 * Serializes a snapshot object once for as long as it lives, so every response and event carrying it splices the
 * same JSON instead of stringifying it again (the cached health object answers every `health` call). The caller
 * promises never to mutate `value` afterwards.
 */
export function serializeOnce<T extends object>(value: T, json = JSON.stringify(value)): T {
  serialized.set(value, json);
  return value;
}

export function payloadJson(payload: unknown): string {
  return (
    (typeof payload === 'object' && payload !== null && serialized.get(payload)) || JSON.stringify(payload)
  );
}

export function okResponse(id: string, payload: unknown): string {
  return payload === undefined
    ? `{"type":"res","id":${JSON.stringify(id)},"ok":true}`
    : okResponseJson(id, payloadJson(payload));
}

/** A success response whose payload is JSON text already. */
export function okResponseJson(id: string, payload: string): string {
  return `{"type":"res","id":${JSON.stringify(id)},"ok":true,"payload":${payload}}`;
}

export function errorResponse(id: string, error: ErrorShape): string {
  return JSON.stringify({ type: 'res', id, ok: false, error });
}

/** Events sent outside the numbered stream (only `connect.challenge`). */
export function unnumberedEvent(event: string, payload: unknown): string {
  return JSON.stringify({ type: 'event', event, payload });
}
