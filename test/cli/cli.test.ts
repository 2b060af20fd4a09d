import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { CLAWGATE_VERSION } from '../../src/version.ts';
import {
  CLI_BIN,
  exited,
  type GatewayChild,
  ROOT,
  runCli,
  startGatewayChild,
  tempDir,
} from '../helpers/cli-child.ts';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

async function stopGatewayChild(gateway: GatewayChild): Promise<void> {
  const done = exited(gateway.child);
  gateway.child.kill('SIGTERM');
  const { code } = await done;
  assert.equal(code, 0, `gateway exit code; stderr: ${gateway.stderr()}`);
}

/** A port the kernel handed out and took back: nothing stops another process binding it before the child. */
function releasedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const CONFIG_PORT_ATTEMPTS = 5;

/**
 * Starts a gateway child on a port written to `<stateDir>/clawgate.json`, to prove the file's port is honoured.
 * That port is picked before the child binds it, so something else may take it in between: a start refused
 * with EADDRINUSE is retried on a fresh port, which makes the race harmless. `stateDir` is called per attempt,
 * so a first start can use a fresh dir each time (a refused start has already generated its token).
 */
async function startOnConfigPort(
  t: TestContext,
  stateDir: () => string,
): Promise<{ gateway: GatewayChild; port: number; stateDir: string }> {
  for (let attempt = 1; ; attempt++) {
    const dir = stateDir();
    const port = await releasedPort();
    writeFileSync(join(dir, 'clawgate.json'), JSON.stringify({ gateway: { port } }));
    try {
      return { gateway: await startGatewayChild(t, [], dir), port, stateDir: dir };
    } catch (error) {
      if (attempt >= CONFIG_PORT_ATTEMPTS || !/EADDRINUSE/.test((error as Error).message)) throw error;
    }
  }
}

/**
 * A port where a connection is accepted and dropped at once, held until the test ends: "nothing answers there"
 * without handing a released port to whoever binds next.
 */
async function refusingPort(t: TestContext): Promise<number> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Every path under `dir`, relative, sorted: to prove a refused start wrote nothing. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

function tokenFile(stateDir: string): string {
  return readFileSync(join(stateDir, 'gateway.token'), 'utf8').trim();
}

// Each test owns its temp dirs and children, so they run side by side: most of the time is child start-up.
describe('clawgate CLI', { concurrency: true }, () => {
  test('--version prints package.json version and exits 0; src/version.ts agrees', async (t) => {
    assert.equal(CLAWGATE_VERSION, PACKAGE_VERSION);
    const stateDir = tempDir(t);
    const direct = await runCli(t, ['--version'], stateDir);
    assert.equal(direct.code, 0, direct.stderr);
    assert.equal(direct.stdout, `${PACKAGE_VERSION}\n`);
    const viaBin = await runCli(t, ['-v'], stateDir, {}, CLI_BIN);
    assert.equal(viaBin.code, 0, viaBin.stderr);
    assert.equal(viaBin.stdout, `${PACKAGE_VERSION}\n`);
    assert.deepEqual(listing(stateDir), [], '--version writes nothing');
  });

  test('usage errors exit 2 naming the problem, and write nothing', async (t) => {
    const stateDir = tempDir(t);
    const cases: { args: string[]; stderr: RegExp }[] = [
      { args: ['gateway', 'run', '--prot', '1'], stderr: /unknown option '--prot'/ },
      { args: ['gateway', 'run', '--port', 'abc'], stderr: /--port.*'abc' is invalid/ },
      {
        args: ['gateway', 'run', '--port', '0', '--bind', 'lan', '--auth', 'none'],
        stderr: /refusing to bind lan/,
      },
      {
        args: ['gateway', 'run', '--port', '0', '--token', 'change-me'],
        stderr: /--token is blank or a placeholder \("change-me"\)/,
      },
      { args: ['gateway', 'run', '--port', '0', '--auth', 'sometimes'], stderr: /--auth.*sometimes/ },
      { args: ['call', 'health', '--timeout', '0'], stderr: /--timeout.*must be a positive integer/ },
      { args: ['call', 'health', '--params', '{nope'], stderr: /--params.*must be JSON/ },
      { args: ['nosuch-command'], stderr: /unknown command 'nosuch-command'/ },
    ];
    const results = await Promise.all(cases.map(({ args }) => runCli(t, args, stateDir)));
    for (const [i, result] of results.entries()) {
      const { args, stderr } = cases[i] as (typeof cases)[number];
      assert.equal(result.code, 2, `${args.join(' ')} → ${result.code}: ${result.stderr}`);
      assert.match(result.stderr, stderr, args.join(' '));
      assert.equal(result.stdout, '', args.join(' '));
    }
    assert.deepEqual(listing(stateDir), [], 'a refused start creates no token, identity or logs');
  });

  test('config file problems exit 2 naming the key or the file, and write nothing', async (t) => {
    const stateDir = tempDir(t);
    const configPath = join(stateDir, 'clawgate.json');
    writeFileSync(configPath, '{gateway:{prot:1}}');
    const otherDir = tempDir(t);
    const directory = join(otherDir, 'config-is-a-dir');
    mkdirSync(directory);
    const badJsonPath = join(otherDir, 'bad.json5');
    writeFileSync(badJsonPath, '{gateway: {port: 1,');
    const arrayPath = join(otherDir, 'array.json5');
    writeFileSync(arrayPath, '[1, 2]');
    const before = listing(stateDir);

    const [misspelt, unreadable, badJson, array] = await Promise.all([
      runCli(t, ['gateway', 'run', '--port', '0'], stateDir),
      // Tests run as root, so chmod 000 would not stop the read; a directory does (EISDIR).
      runCli(t, ['gateway', 'run', '--port', '0', '--config', directory], stateDir),
      runCli(t, ['gateway', 'run', '--port', '0'], stateDir, { CLAWGATE_CONFIG_PATH: badJsonPath }),
      runCli(t, ['gateway', 'run', '--port', '0', '--config', arrayPath], stateDir),
    ]);

    assert.equal(misspelt.code, 2, misspelt.stderr);
    assert.match(misspelt.stderr, new RegExp(`config file ${configPath} is invalid`));
    assert.match(misspelt.stderr, /unknown key gateway\.prot/);
    assert.equal(misspelt.stderr.match(/gateway\.prot/g)?.length, 1, 'the key is named once');

    assert.equal(unreadable.code, 2, unreadable.stderr);
    assert.match(unreadable.stderr, new RegExp(`cannot read config file ${directory} \\(EISDIR\\)`));

    assert.equal(badJson.code, 2, badJson.stderr);
    assert.match(badJson.stderr, new RegExp(`config file ${badJsonPath} is not valid JSON5`));

    assert.equal(array.code, 2, array.stderr);
    assert.match(array.stderr, new RegExp(`config file ${arrayPath} must hold one JSON5 object`));

    for (const result of [misspelt, unreadable, badJson, array]) assert.equal(result.stdout, '');
    assert.deepEqual(listing(stateDir), before, 'no token file, no logs dir, no identity');
  });

  test('call and health against a running gateway; its token file; a restart reuses the token', async (t) => {
    const { gateway: first, port, stateDir } = await startOnConfigPort(t, () => tempDir(t));
    assert.equal(first.url, `ws://127.0.0.1:${port}`, 'the port comes from the state dir config');

    const path = join(stateDir, 'gateway.token');
    const token = tokenFile(stateDir);
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    await first.output('stdout', new RegExp(`token stored in ${path}`));
    assert.match(first.stderr(), /generated a gateway token/);

    const closedPort = await refusingPort(t);
    const [explicit, implicit, pretty, wrong, unknown, unknownJson, nowhere] = await Promise.all([
      runCli(t, ['call', 'health', '--url', first.url, '--token', token, '--json'], stateDir),
      // No flags at all: the port from clawgate.json, the token from the generated file.
      runCli(t, ['health', '--json'], stateDir),
      runCli(t, ['status'], stateDir),
      runCli(
        t,
        ['call', 'config.get', '--url', first.url, '--token', 'wrong-token-0123456789abcdef'],
        stateDir,
      ),
      runCli(t, ['call', 'nosuch.method', '--url', first.url], stateDir),
      runCli(t, ['call', 'nosuch.method', '--json'], stateDir),
      runCli(t, ['health', '--url', `ws://127.0.0.1:${closedPort}`], stateDir),
    ]);

    for (const result of [explicit, implicit]) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim().split('\n').length, 1, '--json prints one line');
      const payload = JSON.parse(result.stdout) as { ok: boolean; ts: number; eventLoop: unknown };
      assert.equal(payload.ok, true);
      assert.equal(typeof payload.ts, 'number');
      assert.equal(typeof payload.eventLoop, 'object');
    }
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.match(pretty.stdout, /^\{\n {2}"/, 'without --json the result is indented');

    assert.equal(wrong.code, 1, wrong.stderr);
    assert.equal(wrong.stdout, '');
    assert.match(wrong.stderr, /config\.get failed: INVALID_REQUEST \[AUTH_TOKEN_MISMATCH\]: unauthorized/);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(unknown.stderr, /nosuch\.method failed: INVALID_REQUEST: unknown method: nosuch\.method/);
    assert.equal(unknownJson.code, 1, unknownJson.stderr);
    assert.deepEqual(JSON.parse(unknownJson.stdout), {
      ok: false,
      error: { code: 'INVALID_REQUEST', message: 'unknown method: nosuch.method' },
    });
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /health failed: UNAVAILABLE: cannot reach gateway/);

    const { mtimeMs } = statSync(path);
    await stopGatewayChild(first);
    // The same state dir; the port may differ if the first one was taken meanwhile.
    const { gateway: second } = await startOnConfigPort(t, () => stateDir);
    assert.equal(tokenFile(stateDir), token);
    assert.equal(statSync(path).mtimeMs, mtimeMs, 'the token file was not rewritten');
    const again = await runCli(t, ['health', '--json'], stateDir);
    assert.equal(again.code, 0, again.stderr);
    await stopGatewayChild(second);
    assert.doesNotMatch(second.stderr(), /generated a gateway token/);
  });
});
