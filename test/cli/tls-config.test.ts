import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../helpers/cli-child.ts';

const TOKEN = 'tls-config-test-token-0123456789';

test('TLS config problems exit 2 naming the key', { concurrency: true }, async (t) => {
  const dir = tempDir(t);
  const missingCert = join(dir, 'missing-cert.pem');
  const notPem = join(dir, 'not-a-cert.pem');
  writeFileSync(notPem, 'hello\n');
  const cases: { name: string; tls: Record<string, unknown>; key: string; detail: RegExp }[] = [
    {
      name: 'missing cert file',
      tls: { enabled: true, certPath: missingCert, keyPath: join(dir, 'missing-key.pem') },
      key: 'gateway.tls.certPath',
      detail: /cannot read .*missing-cert\.pem \(ENOENT\)/,
    },
    {
      name: 'key without cert',
      tls: { enabled: true, keyPath: join(dir, 'key.pem') },
      key: 'gateway.tls.certPath',
      detail: /required when gateway\.tls\.keyPath is set/,
    },
    {
      name: 'cert without key',
      tls: { enabled: true, certPath: notPem },
      key: 'gateway.tls.keyPath',
      detail: /required when gateway\.tls\.certPath is set/,
    },
    {
      name: 'no paths and no autoGenerate',
      tls: { enabled: true },
      key: 'gateway.tls.certPath',
      detail: /gateway\.tls\.autoGenerate: true/,
    },
    {
      name: 'not a certificate',
      tls: { enabled: true, certPath: notPem, keyPath: notPem },
      key: 'gateway.tls.certPath',
      detail: /is not a PEM certificate/,
    },
  ];
  await Promise.all(
    cases.map(async ({ name, tls, key, detail }) => {
      const stateDir = tempDir(t);
      const configPath = join(stateDir, 'clawgate.json');
      writeFileSync(configPath, JSON.stringify({ gateway: { tls } }));
      const result = await runCli(t, ['gateway', 'run', '--port', '0', '--token', TOKEN], stateDir);
      assert.equal(result.code, 2, `${name}: exit ${result.code}; stderr: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`clawgate: ${key.replaceAll('.', '\\.')}: `), name);
      assert.match(result.stderr, detail, name);
      assert.doesNotMatch(result.stderr, /listening on/, name);
    }),
  );
});
