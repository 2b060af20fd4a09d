/**
 * Scenario 4: the shared secret is rotated in the config file while 100 clients are connected with it and 50
 * of them keep calling `health`. Every old-secret socket must close 4001 within ~2 s (the gateway polls its
 * secret files every second), the old token must stop working, the new one must work, and no request sent
 * after the rotation was first observed may be answered ok on an old-secret socket.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { connectAdmin, fmt, percentile, type ScenarioResult, StressClient } from './client.ts';
import { exitDescription, startGateway, writeConfig } from './gateway.ts';

const TOKEN_A = 'stress-rotation-token-A-0123456789abcdef';
const TOKEN_B = 'stress-rotation-token-B-fedcba9876543210';
const CLIENTS = 100;
const CALLERS = 50;
const CLOSE_WITHIN_MS = 2_500;

type Sent = { client: number; sentAt: number; answeredAt?: number; ok?: boolean };

export async function rotationScenario(_quick: boolean): Promise<ScenarioResult> {
  const figures: string[] = [];
  const failures: string[] = [];
  const gw = await startGateway({
    label: 'rotation',
    config: { gateway: { auth: { mode: 'token', token: TOKEN_A } } },
  });
  try {
    // In batches: all loopback shares one bucket of 32 unauthenticated sockets.
    const clients: StressClient[] = [];
    while (clients.length < CLIENTS)
      clients.push(...(await Promise.all(Array.from({ length: 20 }, () => connectAdmin(gw.url, TOKEN_A)))));
    const sent: Sent[] = [];
    let calling = true;
    const loops = clients.slice(0, CALLERS).map(async (client, index) => {
      while (calling && client.open) {
        const entry: Sent = { client: index, sentAt: performance.now() };
        sent.push(entry);
        try {
          const res = await client.call('health', undefined, 5_000);
          entry.answeredAt = performance.now();
          entry.ok = res.ok === true;
        } catch {
          return;
        }
      }
    });
    await delay(1_000);
    const rotatedAt = performance.now();
    writeConfig(gw.configPath, { gateway: { auth: { mode: 'token', token: TOKEN_B } } });
    const deadline = rotatedAt + CLOSE_WITHIN_MS + 2_000;
    while (performance.now() < deadline && clients.some((c) => c.closeInfo === undefined)) await delay(20);
    calling = false;
    await Promise.all(loops);

    const closes = clients.map((c) => c.closeInfo);
    const stillOpen = closes.filter((c) => c === undefined).length;
    const codes = new Map<string, number>();
    for (const c of closes)
      if (c) codes.set(`${c.code} ${c.reason}`, (codes.get(`${c.code} ${c.reason}`) ?? 0) + 1);
    const closeDelays = closes
      .filter((c) => c !== undefined)
      .map((c) => c.at - rotatedAt)
      .sort((a, b) => a - b);
    const observedAt = Math.min(
      ...closes.filter((c) => c?.code === 4001).map((c) => c?.at ?? Number.POSITIVE_INFINITY),
    );
    const lateOk = sent.filter((s) => s.ok && s.sentAt > observedAt);
    const okBefore = sent.filter((s) => s.ok && s.sentAt <= observedAt).length;
    const sentAfterRewrite = sent.filter((s) => s.sentAt > rotatedAt);
    figures.push(
      `${CLIENTS} token-A clients (${CALLERS} calling health back to back, ${sent.length} calls, ${okBefore} ok before the first 4001); config rewritten to token B`,
      `closes: ${[...codes].map(([k, v]) => `${k} ×${v}`).join(', ')}; still open ${stillOpen}; close delay after the rewrite min ${fmt(closeDelays[0] ?? Number.NaN)} ms, p50 ${fmt(percentile(closeDelays, 50))} ms, max ${fmt(closeDelays.at(-1) ?? Number.NaN)} ms`,
      `requests sent between the rewrite and the first 4001: ${sentAfterRewrite.filter((s) => s.sentAt <= observedAt).length}; sent after it: ${sentAfterRewrite.filter((s) => s.sentAt > observedAt).length}, answered ok: ${lateOk.length}`,
    );
    if (stillOpen > 0)
      failures.push(
        `${stillOpen} token-A sockets still open ${CLOSE_WITHIN_MS + 2_000} ms after the rewrite`,
      );
    const not4001 = closes.filter((c) => c && c.code !== 4001).length;
    if (not4001 > 0) failures.push(`${not4001} token-A sockets closed with a code other than 4001`);
    const slow = closeDelays.filter((d) => d > CLOSE_WITHIN_MS).length;
    if (slow > 0)
      failures.push(`${slow} token-A sockets closed later than ${CLOSE_WITHIN_MS} ms after the rewrite`);
    if (lateOk.length > 0)
      failures.push(
        `${lateOk.length} requests sent after the rotation was observed were answered ok on token-A sockets`,
      );

    const withA = new StressClient(gw.url);
    const refused = await withA.connect({ token: TOKEN_A });
    withA.terminate();
    const refusedCode = `${refused.error?.code}/${refused.error?.details?.code}`;
    const withB = new StressClient(gw.url);
    const accepted = await withB.connect({ token: TOKEN_B });
    const health = accepted.ok ? await withB.call('health') : undefined;
    withB.terminate();
    figures.push(
      `after rotation: connect with A → ${refused.ok ? 'ok' : refusedCode}; with B → ${accepted.ok ? `hello-ok, health ${health?.ok ? 'ok' : 'failed'}` : JSON.stringify(accepted.error)}`,
    );
    if (refused.ok || refusedCode !== 'INVALID_REQUEST/AUTH_TOKEN_MISMATCH')
      failures.push(`connect with A: ${refusedCode}`);
    if (!accepted.ok || !health?.ok) failures.push('connect with B did not work');
    if (!gw.alive()) failures.push(`gateway died: ${exitDescription(gw)}`);
    for (const client of clients) client.terminate();
  } finally {
    await gw.stop();
  }
  return { name: 'rotation', pass: failures.length === 0, figures, failures };
}
