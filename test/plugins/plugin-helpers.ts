import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayContext } from '../../src/server/context.ts';
import type { GatewayModule } from '../../src/server/registry.ts';
import type { TestGateway } from '../helpers/gateway.ts';

/** The example plugins shipped in examples/, loaded as a user would: by path in plugins.load.paths. */
export const EXAMPLES = {
  tool: fileURLToPath(new URL('../../examples/tool-plugin', import.meta.url)),
  gateway: fileURLToPath(new URL('../../examples/gateway-plugin', import.meta.url)),
  channel: fileURLToPath(new URL('../../examples/channel-plugin', import.meta.url)),
};

/** A temp folder for test plugins, removed when the test ends. */
export function pluginDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-plugins-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type TestPlugin = {
  id: string;
  /** The entry's source (an ES module; `.js` unless `entry` says otherwise). */
  source: string;
  entry?: string;
  manifest?: Record<string, unknown>;
  files?: Record<string, string>;
};

/** Writes a plugin folder (manifest, package.json, entry) under `dir`; returns its path. */
export function writePlugin(dir: string, plugin: TestPlugin): string {
  const root = join(dir, plugin.id);
  mkdirSync(root, { recursive: true });
  const entry = plugin.entry ?? 'index.js';
  writeFileSync(
    join(root, 'openclaw.plugin.json'),
    JSON.stringify({
      id: plugin.id,
      configSchema: { type: 'object', additionalProperties: false, properties: {} },
      ...plugin.manifest,
    }),
  );
  writeFileSync(
    join(root, 'package.json'),
    JSON.stringify({ name: plugin.id, type: 'module', openclaw: { extensions: [`./${entry}`] } }),
  );
  writeFileSync(join(root, entry), plugin.source);
  for (const [name, text] of Object.entries(plugin.files ?? {})) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

/** The gateway's JSON log lines (`<state>/logs/gateway.log`). */
export function logLines(gw: TestGateway): { message: string; level: string; [key: string]: unknown }[] {
  let text = '';
  try {
    text = readFileSync(join(gw.stateDir, 'logs', 'gateway.log'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}

/**
 * An in-process module whose service keeps the gateway's context: how a test looks at the registry (what the
 * channel manager would read) without a method for it.
 */
export function contextProbe(): { module: GatewayModule; ctx(): GatewayContext } {
  let captured: GatewayContext | undefined;
  return {
    module: {
      id: 'test-probe',
      services: [
        {
          name: 'test-probe',
          phase: 'post-attach',
          start: (ctx) => {
            captured = ctx;
          },
          stop: () => undefined,
        },
      ],
    },
    ctx: () => {
      if (!captured) throw new Error('the gateway has not started the probe');
      return captured;
    },
  };
}
