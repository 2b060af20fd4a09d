/**
 * Scenario 3: crash safety. Repeatedly: start the gateway on one state dir, run chat turns, label edits, device
 * pairing approvals and cron jobs (added, and two standing ones running: see crash-cron.ts), SIGKILL it at a
 * random moment, restart, and check that everything the gateway acknowledged before the kill is still there.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { makeTempDir } from '../bench/probes.ts';
import { createTestDevice, deviceProof, FORWARDED_HEADERS } from '../test/helpers/device.ts';
import { connectAdmin, type Frame, type ScenarioResult, StressClient } from './client.ts';
import {
  cronAddLoop,
  cronFigures,
  recordCronEvents,
  setUpCron,
  totalRuns,
  verifyCronFinal,
  verifyCronIteration,
} from './crash-cron.ts';
import { type StressGateway, startGateway } from './gateway.ts';

const TOKEN = 'stress-crash-token-0123456789abcdef';
const DOWN_MS = 300;

type Ledger = {
  users: { sessionKey: string; text: string; iteration: number }[];
  finals: { sessionKey: string; text: string; iteration: number }[];
  labels: { key: string; label: string; iteration: number }[];
  devices: { deviceId: string; iteration: number }[];
};

function messageText(message: unknown): string {
  const m = message as { content?: unknown } | undefined;
  if (typeof m?.content === 'string') return m.content;
  if (Array.isArray(m?.content))
    return m.content
      .map((part: { text?: string }) => (typeof part?.text === 'string' ? part.text : ''))
      .join('');
  return '';
}

async function chatLoop(
  admin: StressClient,
  iteration: number,
  lane: number,
  ledger: Ledger,
  stop: () => boolean,
) {
  for (let j = 0; !stop(); j++) {
    const sessionKey = `agent:main:crash-${iteration}-${lane}-${j}`;
    const text = `turn ${iteration} ${lane} ${j} hello there`;
    const idempotencyKey = `k-${iteration}-${lane}-${j}`;
    const final = new Promise<string>((resolve) => {
      admin.onEvent((frame) => {
        const p = frame.payload as { runId?: string; state?: string; message?: unknown } | undefined;
        if (frame.event === 'chat' && p?.runId === idempotencyKey && p.state === 'final')
          resolve(messageText(p.message));
      });
    });
    let res: Frame;
    try {
      res = await admin.call('chat.send', { sessionKey, message: text, idempotencyKey });
    } catch {
      return;
    }
    if (!res.ok || (res.payload as { status?: string }).status !== 'started') return;
    ledger.users.push({ sessionKey, text, iteration });
    const finalText = await Promise.race([final, admin.closed.then(() => undefined)]);
    if (finalText === undefined) return;
    ledger.finals.push({ sessionKey, text: finalText, iteration });
  }
}

async function labelLoop(admin: StressClient, iteration: number, ledger: Ledger, stop: () => boolean) {
  for (let j = 0; !stop(); j++) {
    const key = `agent:main:label-${iteration}-${j}`;
    const label = `label ${iteration}.${j}`;
    try {
      const created = await admin.call('sessions.create', { key });
      if (!created.ok) throw new Error(`sessions.create refused: ${JSON.stringify(created.error)}`);
      const res = await admin.call('sessions.patch', { key, label });
      if (res.ok) ledger.labels.push({ key, label, iteration });
      else throw new Error(`sessions.patch refused: ${JSON.stringify(res.error)}`);
    } catch (error) {
      if (admin.open) throw error;
      return;
    }
  }
}

async function pairingLoop(
  gw: StressGateway,
  admin: StressClient,
  iteration: number,
  ledger: Ledger,
  stop: () => boolean,
) {
  while (!stop()) {
    const device = createTestDevice();
    const client = new StressClient(gw.url, { ...FORWARDED_HEADERS });
    try {
      const challenge = await client.challenge;
      const scopes = ['operator.read'];
      const device_ = deviceProof(device, {
        clientId: 'cli',
        clientMode: 'cli',
        role: 'operator',
        scopes,
        token: TOKEN,
        nonce: challenge.nonce,
        signedAt: challenge.ts,
        platform: 'linux',
      });
      const res = await client.connect({ token: TOKEN, scopes, extra: { device: device_ } });
      const requestId = res.error?.details?.requestId;
      if (res.error?.code !== 'NOT_PAIRED' || typeof requestId !== 'string')
        throw new Error(`expected PAIRING_REQUIRED, got ${JSON.stringify(res.error ?? res.payload?.type)}`);
      const approved = await admin.call('device.pair.approve', { requestId });
      if (approved.ok) ledger.devices.push({ deviceId: device.deviceId, iteration });
      else throw new Error(`approve refused: ${JSON.stringify(approved.error)}`);
    } catch (error) {
      if (admin.open && client.closeInfo?.code !== 1006 && gw.alive()) throw error;
      return;
    } finally {
      client.terminate();
    }
  }
}

type Check = { users: number; finals: number; labels: number; devices: number; missing: string[] };

async function verify(gw: StressGateway, ledger: Ledger, only?: number): Promise<Check> {
  const admin = await connectAdmin(gw.url, TOKEN);
  const check: Check = { users: 0, finals: 0, labels: 0, devices: 0, missing: [] };
  const pick = <T extends { iteration: number }>(list: T[]) =>
    only === undefined ? list : list.filter((item) => item.iteration === only);
  const histories = new Map<string, string[]>();
  const history = async (sessionKey: string) => {
    const cached = histories.get(sessionKey);
    if (cached) return cached;
    const res = await admin.call('chat.history', { sessionKey, limit: 1000 });
    if (!res.ok) throw new Error(`chat.history ${sessionKey}: ${JSON.stringify(res.error)}`);
    const texts = ((res.payload?.messages as unknown[]) ?? []).map(
      (m) => `${(m as { role?: string }).role}:${messageText(m)}`,
    );
    histories.set(sessionKey, texts);
    return texts;
  };
  for (const user of pick(ledger.users)) {
    check.users++;
    if (!(await history(user.sessionKey)).includes(`user:${user.text}`))
      check.missing.push(`user message "${user.text}" (${user.sessionKey})`);
  }
  for (const final of pick(ledger.finals)) {
    check.finals++;
    if (!(await history(final.sessionKey)).includes(`assistant:${final.text}`))
      check.missing.push(`assistant message "${final.text}" (${final.sessionKey})`);
  }
  for (const { key, label } of pick(ledger.labels)) {
    check.labels++;
    const res = await admin.call('sessions.describe', { key });
    const got = (res.payload?.session as { label?: string } | null | undefined)?.label;
    if (got !== label) check.missing.push(`label of ${key}: expected "${label}", got ${JSON.stringify(got)}`);
  }
  const list = await admin.call('device.pair.list');
  const paired = new Set(((list.payload?.paired as { deviceId: string }[]) ?? []).map((d) => d.deviceId));
  for (const { deviceId } of pick(ledger.devices)) {
    check.devices++;
    if (!paired.has(deviceId)) check.missing.push(`paired device ${deviceId}`);
  }
  admin.terminate();
  return check;
}

export async function crashScenario(quick: boolean): Promise<ScenarioResult> {
  const iterations = quick ? 5 : 50;
  const figures: string[] = [];
  const failures: string[] = [];
  const stateDir = makeTempDir('clawgate-stress-crash-');
  const config = { models: { echo: { wordDelayMs: 5 } } };
  const ledger: Ledger = { users: [], finals: [], labels: [], devices: [] };
  const killDelays: number[] = [];
  let gw = await startGateway({ label: 'crash', token: TOKEN, stateDir, config });
  const setUp = await connectAdmin(gw.url, TOKEN);
  const cron = await setUpCron(setUp);
  setUp.terminate();
  try {
    for (let iteration = 0; iteration < iterations; iteration++) {
      if (process.env.STRESS_DEBUG) console.log(`  iteration ${iteration} start`);
      const admin = await connectAdmin(gw.url, TOKEN);
      recordCronEvents(admin, iteration, cron);
      let stopped = false;
      const stop = () => stopped;
      const work = Promise.allSettled([
        chatLoop(admin, iteration, 0, ledger, stop),
        chatLoop(admin, iteration, 1, ledger, stop),
        labelLoop(admin, iteration, ledger, stop),
        pairingLoop(gw, admin, iteration, ledger, stop),
        cronAddLoop(admin, iteration, cron, stop),
      ]);
      const killAfter = 100 + Math.floor(Math.random() * 1_400);
      killDelays.push(killAfter);
      await delay(killAfter);
      await gw.kill();
      const killedAt = Date.now();
      stopped = true;
      // Down a little longer than a restart takes, so several slots of the ticking cron job pass unserved.
      const down = delay(DOWN_MS);
      const outcomes = await work;
      for (const outcome of outcomes)
        if (outcome.status === 'rejected')
          failures.push(`iteration ${iteration}: ${(outcome.reason as Error).message}`);
      admin.terminate();
      await down;
      try {
        gw = await startGateway({ label: 'crash', token: TOKEN, stateDir, keepConfig: true });
      } catch (error) {
        failures.push(`iteration ${iteration}: restart after SIGKILL failed: ${(error as Error).message}`);
        break;
      }
      const readyAt = Date.now();
      const check = await verify(gw, ledger, iteration);
      const checker = await connectAdmin(gw.url, TOKEN);
      const cronCheck = await verifyCronIteration(checker, cron, iteration, killedAt, readyAt);
      checker.terminate();
      if (process.env.STRESS_DEBUG)
        console.log(`  iteration ${iteration}: kill at ${killAfter} ms`, check, cronCheck);
      for (const missing of [...check.missing, ...cronCheck.missing])
        failures.push(`iteration ${iteration}: lost ${missing}`);
    }
    const all = await verify(gw, ledger);
    for (const missing of all.missing) failures.push(`final check: lost ${missing}`);
    const checker = await connectAdmin(gw.url, TOKEN);
    const cronMissing = await verifyCronFinal(checker, cron);
    const runs = await totalRuns(checker, cron);
    checker.terminate();
    for (const missing of cronMissing) failures.push(`final check: lost ${missing}`);
    figures.push(
      `${iterations} SIGKILLs at ${Math.min(...killDelays)}–${Math.max(...killDelays)} ms after start; acknowledged and found after restart: ${all.users - all.missing.filter((m) => m.startsWith('user')).length}/${all.users} user messages, ${all.finals}/${all.finals} finals checked, ${all.labels} labels, ${all.devices} approved pairings (${all.missing.length} missing)`,
      cronFigures(cron, { runs }),
    );
  } finally {
    await gw.stop();
  }
  return { name: 'crash', pass: failures.length === 0, figures, failures: failures.slice(0, 30) };
}
