import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { connectParams, type Frame } from '../helpers/raw-client.ts';

const TLS_CONFIG = { gateway: { tls: { enabled: true, autoGenerate: true } } };
const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

function certPaths(stateDir: string) {
  const dir = join(stateDir, 'tls');
  return { dir, cert: join(dir, 'gateway-cert.pem'), key: join(dir, 'gateway-key.pem') };
}

/** Hex SHA-256 of the certificate's DER, colon-separated upper case: how clients pin it. */
function fingerprintOf(pem: string): string {
  const der = new X509Certificate(pem).raw;
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/**
 * A wss:// handshake that trusts the certificate only by its pinned fingerprint: chain verification is off, and
 * the peer certificate is compared before anything is sent.
 */
async function pinnedConnect(
  gw: TestGateway,
  fingerprint: string,
): Promise<{ ws: WebSocket; hello: Frame; peerFingerprint: string }> {
  const ws = new WebSocket(gw.url, { rejectUnauthorized: false, perMessageDeflate: false });
  const frames: Frame[] = [];
  const waiters: ((f: Frame) => void)[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    frames.push(frame);
    for (const waiter of waiters.splice(0)) waiter(frame);
  });
  const next = () =>
    new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), 5_000);
      const take = (frame: Frame) => {
        clearTimeout(timer);
        resolve(frame);
      };
      const queued = frames.shift();
      if (queued) take(queued);
      else waiters.push(() => take(frames.shift()!));
    });
  let peerFingerprint = '';
  await new Promise<void>((resolve, reject) => {
    ws.once('upgrade', (res) => {
      peerFingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
    });
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (peerFingerprint !== fingerprint) {
    ws.terminate();
    throw new Error(`certificate fingerprint ${peerFingerprint} is not the pinned ${fingerprint}`);
  }
  const challenge = await next();
  assert.equal(challenge.event, 'connect.challenge');
  ws.send(JSON.stringify({ type: 'req', id: 'c1', method: 'connect', params: connectParams(gw.token) }));
  const hello = await next();
  return { ws, hello, peerFingerprint };
}

function httpsJson(url: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

test('tls autoGenerate: wss:// URL, a pinned fingerprint, key 0600, handshake and /health over https', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-tls-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const gw = await startTestGateway({ config: TLS_CONFIG, stateDir });
  t.after(() => gw.close());

  assert.match(gw.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(gw.url, `wss://127.0.0.1:${gw.port}`);
  const fingerprint = gw.server.tlsFingerprint;
  assert.ok(fingerprint);
  assert.match(fingerprint, FINGERPRINT);

  const paths = certPaths(stateDir);
  const certPem = readFileSync(paths.cert, 'utf8');
  assert.match(certPem, /^-----BEGIN CERTIFICATE-----/);
  assert.match(readFileSync(paths.key, 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(statSync(paths.key).mode & 0o777, 0o600);
  assert.equal(statSync(paths.dir).mode & 0o777, 0o700);
  assert.equal(fingerprintOf(certPem), fingerprint, 'the advertised fingerprint is that of the cert file');
  const x509 = new X509Certificate(certPem);
  assert.match(x509.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.ok(x509.checkIP('127.0.0.1'));
  assert.ok(x509.checkHost('localhost'));

  // Pinning by fingerprint completes the handshake.
  const { ws, hello, peerFingerprint } = await pinnedConnect(gw, fingerprint);
  t.after(() => ws.terminate());
  assert.equal(peerFingerprint, fingerprint);
  assert.equal(hello.ok, true, JSON.stringify(hello.error));
  assert.equal((hello.payload as { type: string }).type, 'hello-ok');

  // A client that verifies the chain without trusting this self-signed cert is refused.
  const strict = new WebSocket(gw.url, { perMessageDeflate: false });
  const failure = await new Promise<NodeJS.ErrnoException>((resolve) => strict.once('error', resolve));
  assert.equal(failure.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');

  // Trusting the cert itself passes full verification (its SAN covers 127.0.0.1) for the HTTP probes too.
  const health = await httpsJson(`https://127.0.0.1:${gw.port}/health`, certPem);
  assert.deepEqual(health, { status: 200, body: { ok: true, status: 'live' } });
  const ready = await httpsJson(`https://127.0.0.1:${gw.port}/readyz`, certPem);
  assert.equal(ready.status, 200);
  assert.equal((ready.body as { ready: boolean }).ready, true);
  const missing = await httpsJson(`https://127.0.0.1:${gw.port}/nope`, certPem);
  assert.equal(missing.status, 404);
});

test('tls: a restart on the same state dir reuses the generated certificate', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'clawgate-tls-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const first = await startTestGateway({ config: TLS_CONFIG, stateDir });
  t.after(() => first.close());
  const paths = certPaths(stateDir);
  const fingerprint = first.server.tlsFingerprint;
  assert.ok(fingerprint);
  const certBefore = readFileSync(paths.cert, 'utf8');
  const keyBefore = readFileSync(paths.key, 'utf8');
  await first.close();

  const second = await startTestGateway({ config: TLS_CONFIG, stateDir });
  t.after(() => second.close());
  assert.equal(second.server.tlsFingerprint, fingerprint);
  assert.equal(readFileSync(paths.cert, 'utf8'), certBefore);
  assert.equal(readFileSync(paths.key, 'utf8'), keyBefore);
  assert.equal(statSync(paths.key).mode & 0o777, 0o600);
  const { ws, hello, peerFingerprint } = await pinnedConnect(second, fingerprint);
  t.after(() => ws.terminate());
  assert.equal(peerFingerprint, fingerprint);
  assert.equal(hello.ok, true, JSON.stringify(hello.error));

  // A fresh state dir gets a different certificate.
  const otherDir = mkdtempSync(join(tmpdir(), 'clawgate-tls-'));
  t.after(() => rmSync(otherDir, { recursive: true, force: true }));
  const third = await startTestGateway({ config: TLS_CONFIG, stateDir: otherDir });
  t.after(() => third.close());
  assert.match(third.server.tlsFingerprint ?? '', FINGERPRINT);
  assert.notEqual(third.server.tlsFingerprint, fingerprint);
});
