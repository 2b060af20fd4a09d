import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeApprovalsFile, resolvedDefaults } from '../../src/agents/approvals/approvals-file.ts';
import {
  DEFAULT_EXEC_POLICY,
  EXEC_MODES,
  effectivePolicy,
  policyForMode,
} from '../../src/agents/approvals/policy.ts';
import { buildConfig, validateConfigFile } from '../../src/config/load.ts';
import { GatewayError } from '../../src/protocol/gateway-error.ts';

test("modes stand for OpenClaw's security/ask pairs (auto asks an operator: clawgate has no model reviewer)", () => {
  assert.deepEqual(Object.fromEntries(EXEC_MODES.map((mode) => [mode, policyForMode(mode)])), {
    deny: { security: 'deny', ask: 'off' },
    allowlist: { security: 'allowlist', ask: 'off' },
    ask: { security: 'allowlist', ask: 'on-miss' },
    auto: { security: 'allowlist', ask: 'on-miss' },
    full: { security: 'full', ask: 'off' },
  });
});

test('the effective policy is the stricter of config and document; the document fills what config leaves', () => {
  const full = { security: 'full', ask: 'off' } as const;
  assert.deepEqual(effectivePolicy(full, []), { ...full, askFallback: 'deny' });
  assert.deepEqual(effectivePolicy(full, [{ security: 'allowlist' }]), {
    security: 'allowlist',
    ask: 'off',
    askFallback: 'deny',
  });
  assert.deepEqual(
    effectivePolicy({ security: 'allowlist', ask: 'on-miss' }, [{ security: 'full', ask: 'off' }]),
    {
      security: 'allowlist',
      ask: 'on-miss',
      askFallback: 'deny',
    },
  );
  // The most specific layer that sets a field wins within the document; unknown strings count as unset.
  assert.deepEqual(
    effectivePolicy(full, [
      { ask: 'bogus', askFallback: 'full' },
      { ask: 'always', askFallback: 'allowlist' },
    ]),
    { security: 'full', ask: 'always', askFallback: 'full' },
  );
  assert.deepEqual(effectivePolicy(full, [undefined, { security: 'deny' }]).security, 'deny');
});

test('config: the secure default, tools.exec.mode, the legacy pair, and mixing them refused', async () => {
  const defaults = buildConfig({}, {}, {});
  assert.deepEqual(
    [defaults.tools.exec.security, defaults.tools.exec.ask],
    [DEFAULT_EXEC_POLICY.security, DEFAULT_EXEC_POLICY.ask],
  );
  assert.equal(defaults.approvals.exec.timeoutMs, 1_800_000);
  const full = buildConfig({ tools: { exec: { mode: 'full' } } }, {}, {});
  assert.deepEqual([full.tools.exec.security, full.tools.exec.ask], ['full', 'off']);
  assert.equal('mode' in full.tools.exec, false, 'the runtime config holds the resolved pair only');
  const legacy = buildConfig({ tools: { exec: { security: 'full', ask: 'always' } } }, {}, {});
  assert.deepEqual([legacy.tools.exec.security, legacy.tools.exec.ask], ['full', 'always']);
  const half = buildConfig({ tools: { exec: { ask: 'always' } } }, {}, {});
  assert.deepEqual([half.tools.exec.security, half.tools.exec.ask], ['allowlist', 'always']);
  assert.throws(
    () => buildConfig({ tools: { exec: { mode: 'full', security: 'full' } } }, {}, {}),
    /tools\.exec\.mode: cannot be combined with tools\.exec\.security/,
  );
  await assert.rejects(
    validateConfigFile({ tools: { exec: { security: 'yolo' } } }, 'clawgate.json'),
    /tools\.exec\.security has an unsupported value/,
  );
  await assert.rejects(
    validateConfigFile({ approvals: { exec: { timeoutMs: 0 } } }, 'clawgate.json'),
    /approvals\.exec\.timeoutMs/,
  );
  // OpenClaw's other exec keys are named as not supported yet, not as typos.
  await assert.rejects(
    validateConfigFile({ tools: { exec: { host: 'gateway' } } }, 'clawgate.json'),
    /tools\.exec\.host is an OpenClaw setting that clawgate does not support yet/,
  );
});

test('the approvals document: values checked by field, ids given, legacy fields folded, socket dropped', () => {
  const file = normalizeApprovalsFile({
    version: 1,
    socket: { path: '/x.sock', token: 'secret' },
    defaults: { security: 'allowlist', autoAllowSkills: true },
    agents: {
      default: { allowlist: [{ pattern: ' /usr/bin/ls ', commandText: 'ls' }] },
      main: { ask: 'always', allowlist: [{ id: 'keep', pattern: 'rg', argPattern: '^--version$' }] },
    },
  });
  assert.equal('socket' in file, false);
  assert.deepEqual(Object.keys(file.agents), ['main']);
  const [rg, ls] = file.agents.main.allowlist ?? [];
  assert.deepEqual(rg, { id: 'keep', pattern: 'rg', argPattern: '^--version$' });
  assert.equal(ls.pattern, '/usr/bin/ls');
  assert.match(ls.id ?? '', /^[0-9a-f-]{36}$/);
  assert.equal('commandText' in ls, false);
  assert.deepEqual(resolvedDefaults(file, { security: 'full', ask: 'off' }), {
    security: 'allowlist',
    ask: 'off',
    askFallback: 'deny',
    autoAllowSkills: true,
  });
  const refuse = (raw: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => normalizeApprovalsFile(raw),
      (error: unknown) =>
        error instanceof GatewayError && error.code === 'INVALID_REQUEST' && message.test(error.message),
    );
  refuse({ defaults: { security: 'bogus' } }, /file\.defaults\.security must be deny, allowlist or full/);
  refuse(
    { agents: { main: { ask: 'sometimes' } } },
    /file\.agents\.main\.ask must be off, on-miss or always/,
  );
  refuse({ agents: { main: { allowlist: [{ pattern: '  ' }] } } }, /allowlist\.0\.pattern must not be empty/);
  refuse(
    { agents: { main: { allowlist: [{ pattern: 'x', argPattern: '(' }] } } },
    /argPattern is not a valid/,
  );
});
