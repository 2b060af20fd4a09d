import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProviderError } from '../../src/agents/providers/types.ts';
import { TurnError } from '../../src/agents/runner.ts';
import { GatewayCallError } from '../../src/client/gateway-client.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import { ClawgateError } from '../../src/protocol/clawgate-error.ts';
import { GatewayError } from '../../src/protocol/gateway-error.ts';
import { BodyError } from '../../src/server/http/read-body.ts';
import { HandshakeRejection } from '../../src/server/ws/handshake.ts';
import { StorageError } from '../../src/storage/database.ts';

test('every error class is a ClawgateError with a non-empty string code, keeping its own fields and name', () => {
  const provider = new ProviderError('rate_limit', 'slow down', { retryable: true, status: 429 });
  const gateway = new GatewayError('INVALID_REQUEST', 'bad', { details: { field: 'x' } });
  const cases: [ClawgateError, string, string][] = [
    [gateway, 'INVALID_REQUEST', 'GatewayError'],
    [new ConfigError('gateway.port: must be an integer'), 'CONFIG_INVALID', 'ConfigError'],
    [
      new StorageError('STORAGE_NOT_A_DATABASE', '/tmp/x.sqlite', 'corrupt'),
      'STORAGE_NOT_A_DATABASE',
      'StorageError',
    ],
    [provider, 'PROVIDER_RATE_LIMIT', 'ProviderError'],
    [new TurnError(provider, 'partial', undefined), 'TURN_FAILED', 'TurnError'],
    [new BodyError(413, 'too large'), 'HTTP_BODY_TOO_LARGE', 'Error'],
    [new BodyError(400, 'not JSON'), 'HTTP_BODY_INVALID', 'Error'],
    [new HandshakeRejection(gateway, 1008), 'INVALID_REQUEST', 'Error'],
    [new GatewayCallError({ code: 'UNAVAILABLE', message: 'later' }), 'UNAVAILABLE', 'GatewayCallError'],
  ];
  for (const [error, code, name] of cases) {
    assert.ok(error instanceof ClawgateError, `${error.constructor.name} is not a ClawgateError`);
    assert.ok(error instanceof Error);
    assert.equal(typeof error.code, 'string');
    assert.equal(error.code, code);
    assert.equal(error.name, name);
  }
  assert.equal(provider.kind, 'rate_limit');
  assert.equal(provider.status, 429);
  assert.deepEqual(gateway.toShape(), { code: 'INVALID_REQUEST', message: 'bad', details: { field: 'x' } });
  assert.equal(new GatewayCallError({ code: 'UNAVAILABLE', message: 'later' }).message, 'UNAVAILABLE: later');
  assert.equal(new StorageError('STORAGE_NOT_A_DATABASE', '/p', 'm', { cause: 'why' }).cause, 'why');
});
