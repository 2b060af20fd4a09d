import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTraced } from '../helpers/module-trace.ts';

/** The MCP SDK and the code that drives it; what start-up leaves out. */
const HEAVY = /\/@modelcontextprotocol\/sdk\/|\/src\/agents\/mcp\/(mcp-connection|agent-fetch)\.ts$/;

test('the MCP SDK loads only when a configured server is first needed: not at start-up, configured or not', async (t) => {
  const fixture = new URL('./fixtures/mcp-gateway.ts', import.meta.url).pathname;
  const loaded = async (mode: string) => {
    const { stdout, loaded } = await runTraced(t, [fixture, mode]);
    const heavy = loaded.filter((url) => HEAVY.test(url) && !url.includes('/test/'));
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
