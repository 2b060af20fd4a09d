import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Records every module URL the process loads, via a resolve hook preloaded with --import. */
const HOOK = `
import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    appendFileSync(process.env.MODULE_LOG, result.url + '\\n');
    return result;
  },
});
`;
/** The MCP SDK and the code that drives it; what start-up leaves out. */
const HEAVY = /\/@modelcontextprotocol\/sdk\/|\/src\/agents\/mcp\/(mcp-connection|agent-fetch)\.ts$/;

test('the MCP SDK loads only when a configured server is first needed: not at start-up, configured or not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-mcp-lazy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, HOOK);
  const fixture = new URL('./fixtures/mcp-gateway.ts', import.meta.url).pathname;
  const loaded = async (mode: string) => {
    const log = join(dir, `${mode}.log`);
    const { stdout } = await run(process.execPath, ['--import', hook, fixture, mode], {
      env: { ...process.env, MODULE_LOG: log },
    });
    const heavy = readFileSync(log, 'utf8')
      .split('\n')
      .filter((url) => HEAVY.test(url) && !url.includes('/test/'));
    return { tools: Number(stdout), heavy: [...new Set(heavy)] };
  };
  const none = await loaded('none');
  assert.deepEqual(none.heavy, []);
  const configured = await loaded('configured');
  assert.deepEqual(configured.heavy, [], 'a configured server starts on first use, not at start-up');
  const used = await loaded('used');
  assert.equal(used.tools, 5);
  assert.ok(used.heavy.some((url) => url.endsWith('/src/agents/mcp/mcp-connection.ts')));
  assert.ok(used.heavy.some((url) => url.includes('/@modelcontextprotocol/sdk/dist/esm/client/')));
});
