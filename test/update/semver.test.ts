import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareSemver, isNewerRelease, parseSemver, type Semver } from '../../src/update/semver.ts';

const parsed = (version: string): Semver => {
  const value = parseSemver(version);
  assert.ok(value, version);
  return value;
};

test('versions order by semver precedence, prereleases before their release', () => {
  // Ascending, every case of semver §11 that differs from plain string order.
  const ordered = [
    '0.9.9',
    '0.10.0',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.2.0',
    '10.0.0',
  ];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      const order = compareSemver(parsed(ordered[i]), parsed(ordered[j]));
      assert.equal(order, Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
  assert.equal(compareSemver(parsed('v1.2.3+build.7'), parsed('1.2.3')), 0, 'build metadata is ignored');
});

test('what is not semver does not parse', () => {
  for (const bad of [
    '',
    '1',
    '1.2',
    '1.2.3.4',
    '01.2.3',
    '1.2.3-',
    'latest',
    ' 1.2.3',
    `1.2.${'9'.repeat(300)}`,
  ]) {
    assert.equal(parseSemver(bad), undefined, JSON.stringify(bad.slice(0, 20)));
  }
  assert.equal(parseSemver('9007199254740993.0.0'), undefined, 'past the safe integers');
});

test('a newer release is offered conservatively: never a prerelease on stable, never anything unparseable', () => {
  assert.equal(isNewerRelease('0.2.0', '0.1.0', 'stable'), true);
  assert.equal(isNewerRelease('0.1.0', '0.1.0', 'stable'), false);
  assert.equal(isNewerRelease('0.0.9', '0.1.0', 'stable'), false);
  assert.equal(isNewerRelease('0.2.0-beta.1', '0.1.0', 'stable'), false);
  assert.equal(isNewerRelease('0.2.0-beta.1', '0.1.0', 'beta'), true);
  assert.equal(isNewerRelease('0.2.0-beta.1', '0.1.0', 'dev'), true);
  // A beta build hears of its release, and of a later beta, but not of an earlier one.
  assert.equal(isNewerRelease('0.2.0', '0.2.0-beta.3', 'stable'), true);
  assert.equal(isNewerRelease('0.2.0-beta.4', '0.2.0-beta.3', 'beta'), true);
  assert.equal(isNewerRelease('0.2.0-beta.2', '0.2.0-beta.3', 'beta'), false);
  assert.equal(isNewerRelease('banana', '0.1.0', 'beta'), false);
  assert.equal(isNewerRelease('9.9.9', 'dev-build', 'stable'), false);
});
