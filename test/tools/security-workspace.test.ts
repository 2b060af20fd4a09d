import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { textOf, toolHarness } from '../helpers/tool-harness.ts';

/**
 * Security: workspace escape. read / write / edit resolve every path to where its bytes are (`../`, absolute paths
 * and symlinks, files and directories, resolved first) and refuse anything outside the agent workspace; without
 * `tools.fs.workspaceOnly` the state directory and the config file stay refused.
 */

test('../ and absolute paths out of the workspace are refused by read, write and edit', async (t) => {
  const h = toolHarness(t);
  writeFileSync(join(h.stateDir, 'outside.txt'), 'outside secret\n');
  for (const path of [
    '../outside.txt',
    '../../etc/passwd',
    '/etc/passwd',
    join(h.stateDir, 'outside.txt'),
    'a/../../outside.txt',
  ]) {
    await assert.rejects(h.run('read', { path }), /outside the agent workspace/, `read ${path}`);
  }
  await assert.rejects(
    h.run('write', { path: '../planted.txt', content: 'x' }),
    /outside the agent workspace/,
  );
  assert.equal(existsSync(join(h.stateDir, 'planted.txt')), false);
  await assert.rejects(
    h.run('write', { path: join(tmpdir(), 'clawgate-planted.txt'), content: 'x' }),
    /outside the agent workspace/,
  );
  await assert.rejects(
    h.run('edit', { path: '../outside.txt', edits: [{ oldText: 'outside', newText: 'owned' }] }),
    /outside the agent workspace/,
  );
  assert.equal(readFileSync(join(h.stateDir, 'outside.txt'), 'utf8'), 'outside secret\n');
  // Inside it, the same tools work.
  await h.run('write', { path: 'sub/dir/in.txt', content: 'inside\n' });
  assert.equal(textOf(await h.run('read', { path: 'sub/dir/in.txt' })), 'inside');
  await h.run('edit', { path: 'sub/dir/in.txt', edits: [{ oldText: 'inside', newText: 'edited' }] });
  assert.equal(readFileSync(join(h.workspace, 'sub/dir/in.txt'), 'utf8'), 'edited\n');
});

test('symlinks pointing out of the workspace are refused, file or directory, for reading and writing', async (t) => {
  const h = toolHarness(t);
  const outside = join(h.stateDir, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  symlinkSync(join(outside, 'secret.txt'), join(h.workspace, 'link.txt'));
  symlinkSync(outside, join(h.workspace, 'linkdir'));
  symlinkSync('/etc/hostname', join(h.workspace, 'etc-link'));
  await assert.rejects(h.run('read', { path: 'link.txt' }), /outside the agent workspace/);
  await assert.rejects(h.run('read', { path: 'linkdir/secret.txt' }), /outside the agent workspace/);
  await assert.rejects(h.run('read', { path: 'etc-link' }), /outside the agent workspace/);
  await assert.rejects(h.run('write', { path: 'link.txt', content: 'owned' }), /outside the agent workspace/);
  await assert.rejects(
    h.run('write', { path: 'linkdir/new.txt', content: 'owned' }),
    /outside the agent workspace/,
  );
  await assert.rejects(
    h.run('edit', { path: 'linkdir/secret.txt', edits: [{ oldText: 'secret', newText: 'owned' }] }),
    /outside the agent workspace/,
  );
  assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret\n');
  assert.equal(existsSync(join(outside, 'new.txt')), false);
  // A symlink that stays inside is followed to its real path.
  writeFileSync(join(h.workspace, 'real.txt'), 'real\n');
  symlinkSync(join(h.workspace, 'real.txt'), join(h.workspace, 'inner-link'));
  assert.equal(textOf(await h.run('read', { path: 'inner-link' })), 'real');
});

test('a hard-linked file is not written through (it may be a file outside)', async (t) => {
  const h = toolHarness(t);
  const outside = join(h.stateDir, 'hard.txt');
  writeFileSync(outside, 'original\n');
  linkSync(outside, join(h.workspace, 'hard.txt'));
  await assert.rejects(h.run('write', { path: 'hard.txt', content: 'owned' }), /other hard links/);
  await assert.rejects(
    h.run('edit', { path: 'hard.txt', edits: [{ oldText: 'original', newText: 'owned' }] }),
    /other hard links/,
  );
  assert.equal(readFileSync(outside, 'utf8'), 'original\n');
});

test('with tools.fs.workspaceOnly false, paths outside work, but the state dir and the config file never do', async (t) => {
  const h = toolHarness(t, { config: { tools: { fs: { workspaceOnly: false } } } });
  writeFileSync(join(h.stateDir, 'gateway.token'), 'do-not-read-me-0123456789\n');
  assert.match(textOf(await h.run('read', { path: '/etc/hostname' })), /\S/);
  await assert.rejects(h.run('read', { path: '../gateway.token' }), /state directory/);
  await assert.rejects(h.run('read', { path: join(h.stateDir, 'clawgate.db') }), /state directory/);
  await assert.rejects(h.run('read', { path: h.configPath }), /config file/);
  await assert.rejects(h.run('write', { path: h.configPath, content: '{}' }), /config file/);
  symlinkSync(join(h.stateDir, 'gateway.token'), join(h.workspace, 'token-link'));
  await assert.rejects(h.run('read', { path: 'token-link' }), /state directory/);
});
