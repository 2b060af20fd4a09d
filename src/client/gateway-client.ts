import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ClawgateError } from '../protocol/clawgate-error.ts';
import { CLAWGATE_VERSION } from '../version.ts';

export type CallOptions = {
  url: string;
  token?: string;
  password?: string;
  method: string;
  params?: unknown;
  scopes: string[];
  timeoutMs: number;
  /** Expected SHA-256 fingerprint of a self-signed `wss://` certificate. */
  tlsFingerprint?: string;
};

export type GatewayErrorShape = {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  retryAfterMs?: number;
};

/** A gateway's error answer, or a transport failure described the same way. */
export class GatewayCallError extends ClawgateError {
  readonly shape: GatewayErrorShape;
  constructor(shape: GatewayErrorShape) {
    super(shape.code, `${shape.code}: ${shape.message}`);
    this.name = 'GatewayCallError';
    this.shape = shape;
  }
}

type Frame = {
  type: string;
  id?: string;
  ok?: boolean;
  payload?: unknown;
  error?: GatewayErrorShape;
  event?: string;
};

/**
 * One-shot client for the CLI: handshake as `cli`/`cli`, one request, close. Deliberately small (ws only) so
 * `clawgate call` starts and exits fast; long-lived clients use OpenClaw's reference client.
 */
export function callGateway(options: CallOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(options.url, {
      perMessageDeflate: false,
      handshakeTimeout: options.timeoutMs,
      rejectUnauthorized: options.tlsFingerprint === undefined,
    });
    let settled = false;
    const finish = (error: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners('close');
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(
      () =>
        finish(
          new GatewayCallError({
            code: 'TIMEOUT',
            message: `no answer from ${options.url} within ${options.timeoutMs} ms`,
          }),
        ),
      options.timeoutMs,
    );
    const connectId = `connect:${randomUUID()}`;
    const callId = `call:${randomUUID()}`;

    ws.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(data.toString()) as Frame;
      } catch {
        return;
      }
      if (frame.type === 'event' && frame.event === 'connect.challenge') {
        const auth: Record<string, string> = {};
        if (options.token) auth.token = options.token;
        if (options.password) auth.password = options.password;
        ws.send(
          JSON.stringify({
            type: 'req',
            id: connectId,
            method: 'connect',
            params: {
              minProtocol: 4,
              maxProtocol: 4,
              client: { id: 'cli', version: CLAWGATE_VERSION, platform: process.platform, mode: 'cli' },
              role: 'operator',
              scopes: options.scopes,
              caps: [],
              auth,
            },
          }),
        );
        return;
      }
      if (frame.type !== 'res') return;
      if (frame.id === connectId) {
        if (!frame.ok) {
          finish(new GatewayCallError(frame.error ?? { code: 'UNAVAILABLE', message: 'connect failed' }));
          return;
        }
        ws.send(
          JSON.stringify({ type: 'req', id: callId, method: options.method, params: options.params ?? {} }),
        );
        return;
      }
      if (frame.id === callId) {
        if (frame.ok) finish(undefined, frame.payload);
        else finish(new GatewayCallError(frame.error ?? { code: 'UNAVAILABLE', message: 'request failed' }));
      }
    });
    ws.on('upgrade', (res) => {
      if (!options.tlsFingerprint) return;
      const socket = res.socket as import('node:tls').TLSSocket;
      const actual = socket.getPeerX509Certificate?.()?.fingerprint256;
      // Either spelling pins: Node's `AB:CD:…` (what start-up prints) or OpenClaw's 64 lowercase hex digits.
      const canonical = (fingerprint: string | undefined) => fingerprint?.replaceAll(':', '').toLowerCase();
      if (canonical(actual) !== canonical(options.tlsFingerprint)) {
        finish(
          new GatewayCallError({
            code: 'TLS_FINGERPRINT_MISMATCH',
            message: `certificate fingerprint ${actual} is not the pinned one`,
          }),
        );
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      finish(
        new GatewayCallError({
          code: 'UNAVAILABLE',
          message: `gateway refused the connection: HTTP ${res.statusCode}`,
        }),
      );
    });
    ws.on('error', (error) => {
      finish(
        new GatewayCallError({
          code: 'UNAVAILABLE',
          message: `cannot reach gateway at ${options.url}: ${error.message}`,
        }),
      );
    });
    ws.on('close', (code, reason) => {
      finish(
        new GatewayCallError({
          code: 'UNAVAILABLE',
          message: `gateway closed the connection (${code}${reason.length ? `: ${reason}` : ''})`,
        }),
      );
    });
  });
}
