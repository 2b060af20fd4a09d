import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { TSchema } from 'typebox';
import { ConfigFileSchema } from '../src/config/schema.ts';
import { DETAIL_CODES, ERROR_CODES } from '../src/protocol/error-codes.ts';
import { CORE_MODULES } from '../src/server/core-modules.ts';
import { GatewayRegistry } from '../src/server/registry.ts';
import { serverModule } from '../src/server/server-module.ts';

const protocolDoc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
const configDoc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');

test('every error code and details.code is documented in docs/protocol.md', () => {
  for (const code of [...ERROR_CODES, ...DETAIL_CODES]) {
    assert.ok(protocolDoc.includes(`\`${code}\``), `docs/protocol.md does not mention ${code}`);
  }
});

/** Dotted paths of every leaf key the config schema accepts (`gateway.auth.token`, …). */
function configKeys(schema: TSchema, prefix = ''): string[] {
  const node = schema as {
    type?: string;
    properties?: Record<string, TSchema>;
    anyOf?: TSchema[];
    items?: TSchema;
  };
  if (node.properties) {
    return Object.entries(node.properties).flatMap(([key, child]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      const nested = configKeys(child, path);
      return nested.length > 0 ? nested : [path];
    });
  }
  return [];
}

test('every config key is documented in docs/configuration.md', () => {
  const keys = configKeys(ConfigFileSchema).filter(
    (key) => key !== '$schema' && !key.startsWith('agents.list'),
  );
  assert.ok(keys.length > 30);
  for (const key of keys) {
    assert.ok(configDoc.includes(`\`${key}\``), `docs/configuration.md does not document ${key}`);
  }
});

test('every method and event the gateway registers is documented in docs/protocol.md', () => {
  const registry = new GatewayRegistry();
  for (const module of [serverModule(), ...CORE_MODULES]) registry.register(module);
  const names = [...registry.methodNames(), ...registry.eventNames()];
  assert.ok(registry.methodNames().length > 40 && registry.eventNames().length > 8);
  const missing = names.filter(
    (name) => !protocolDoc.includes(`\`${name}\``) && !protocolDoc.includes(`\`${name} `),
  );
  assert.deepEqual(missing, [], 'registered but not in docs/protocol.md');
});
