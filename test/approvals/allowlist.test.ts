import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cwdArgvHash, type MatchTarget, matchAllowlist } from '../../src/agents/approvals/allowlist.ts';
import type { AllowlistEntry } from '../../src/agents/approvals/approvals-file.ts';
import { analyzeCommand } from '../../src/agents/approvals/command-analysis.ts';
import { resolveExecutable } from '../../src/agents/approvals/executable.ts';
import { isSafeBinInvocation, type SafeBinSettings } from '../../src/agents/approvals/safe-bins.ts';
import { parseShellCommand } from '../../src/agents/approvals/shell-words.ts';

const HOME = '/home/op';

function target(
  raw: string,
  resolvedPath: string | undefined,
  args: string[] = [],
  literal = true,
): MatchTarget {
  return { raw, ...(resolvedPath ? { resolvedPath } : {}), argv: [raw, ...args], literal, cwd: '/work' };
}

const matches = (entries: AllowlistEntry[], t: MatchTarget) =>
  matchAllowlist(entries, t, HOME)?.pattern ?? null;

test('path patterns glob the resolved path: * within a segment, ** across, ? one character, ~ the home', () => {
  const rg = target('rg', '/opt/tools/bin/rg');
  assert.equal(matches([{ pattern: '/opt/tools/bin/rg' }], rg), '/opt/tools/bin/rg');
  assert.equal(matches([{ pattern: '/opt/tools/bin/*' }], rg), '/opt/tools/bin/*');
  assert.equal(matches([{ pattern: '/opt/*/bin/rg' }], rg), '/opt/*/bin/rg');
  assert.equal(matches([{ pattern: '/opt/*/rg' }], rg), null, 'one * is one segment');
  assert.equal(matches([{ pattern: '/opt/*' }], rg), null, '* does not cross a /');
  assert.equal(matches([{ pattern: '/opt/**/rg' }], rg), '/opt/**/rg');
  assert.equal(matches([{ pattern: '/opt/tools/bin/r?' }], rg), '/opt/tools/bin/r?');
  assert.equal(matches([{ pattern: '/opt/tools/bin/r.' }], rg), null, 'a dot is literal, not a regex');
  const home = target('peekaboo', `${HOME}/src/x/bin/peekaboo`);
  assert.equal(matches([{ pattern: '~/src/**/bin/peekaboo' }], home), '~/src/**/bin/peekaboo');
  assert.equal(matches([{ pattern: '~/.local/bin/*' }], home), null);
});

test('bare patterns match commands invoked by bare name only, never ./rg or /tmp/rg', () => {
  const entries = [{ pattern: 'rg' }];
  assert.equal(matches(entries, target('rg', '/usr/bin/rg')), 'rg');
  assert.equal(matches(entries, target('./rg', '/work/rg')), null);
  assert.equal(matches(entries, target('/tmp/rg', '/tmp/rg')), null);
  // A bare name whose PATH lookup resolved through a symlink still matches by the name typed.
  assert.equal(matches(entries, target('rg', '/opt/ripgrep/rg-14')), 'rg');
  assert.equal(matches([{ pattern: 'py*' }], target('python3', '/usr/bin/python3.12')), 'py*');
  assert.equal(matches(entries, target('rg', undefined)), null, 'nothing resolved, nothing matched');
});

test('argPattern narrows an entry to arguments; a path-only entry for the same binary still covers the rest', () => {
  const safe: AllowlistEntry = { pattern: 'python3', argPattern: '^safe\\.py$' };
  assert.equal(matches([safe], target('python3', '/usr/bin/python3', ['safe.py'])), 'python3');
  assert.equal(matches([safe], target('python3', '/usr/bin/python3', ['other.py'])), null);
  assert.equal(matches([safe], target('python3', '/usr/bin/python3', ['safe.py', '-x'])), null, 'anchored');
  assert.equal(
    matches([safe], target('python3', '/usr/bin/python3', ['safe.py'], false)),
    null,
    'expanded argv',
  );
  const pathOnly: AllowlistEntry = { pattern: '/usr/bin/python3' };
  assert.equal(
    matches([safe, pathOnly], target('python3', '/usr/bin/python3', ['other.py'])),
    '/usr/bin/python3',
  );
  assert.equal(
    matches(
      [{ pattern: 'git', argPattern: '^(status|diff)( |$)' }],
      target('git', '/usr/bin/git', ['diff', 'HEAD']),
    ),
    'git',
  );
  assert.equal(
    matches([{ pattern: 'git', argPattern: '(' }], target('git', '/usr/bin/git', [])),
    null,
    'bad regex',
  );
});

test('generated entries match their exact argv in their directory only, and never act path-only', () => {
  const argv = ['/usr/bin/make', 'deploy'];
  const entry: AllowlistEntry = {
    pattern: '/usr/bin/make',
    argPattern: cwdArgvHash(argv, '/work'),
    source: 'allow-always',
  };
  assert.equal(matches([entry], target('make', '/usr/bin/make', ['deploy'])), '/usr/bin/make');
  assert.equal(matches([entry], { ...target('make', '/usr/bin/make', ['deploy']), cwd: '/other' }), null);
  assert.equal(matches([entry], target('make', '/usr/bin/make', ['deploy', 'now'])), null);
  assert.equal(
    matches([{ pattern: '/usr/bin/make', source: 'allow-always' }], target('make', '/usr/bin/make')),
    null,
  );
  // OpenClaw's older hashes without a directory are inactive.
  assert.equal(
    matches([{ pattern: '/usr/bin/make', argPattern: 'sha256:argv:abc' }], target('make', '/usr/bin/make')),
    null,
  );
  // The hash separates fields: ["a b"] and ["a", "b"] differ.
  assert.notEqual(cwdArgvHash(['x', 'a b'], '/w'), cwdArgvHash(['x', 'a', 'b'], '/w'));
});

test('a lone * trusts every command, builtins included; * with arguments is not a wildcard', () => {
  assert.equal(matches([{ pattern: '*' }], target('cd', undefined)), '*');
  assert.equal(matches([{ pattern: '*', argPattern: '.*' }], target('rm', '/bin/rm')), null);
});

test('the shell splitter: operators split, quotes and escapes fold, expansions are marked, the rest refused', () => {
  const argv = (command: string) => {
    const parsed = parseShellCommand(command);
    assert.ok(parsed.ok, `${command}: ${parsed.ok ? '' : parsed.reason}`);
    return parsed.segments.map((words) => words.map((w) => (w.literal ? w.text : `~${w.text}`)));
  };
  assert.deepEqual(argv('ls -la'), [['ls', '-la']]);
  assert.deepEqual(argv('a && b || c; d | e & f\ng'), [['a'], ['b'], ['c'], ['d'], ['e'], ['f'], ['g']]);
  assert.deepEqual(argv(`echo 'a b' "c d" e\\ f ''`), [['echo', 'a b', 'c d', 'e f', '']]);
  assert.deepEqual(argv(`echo "$HOME" '$HOME' \\$HOME "a\\"b" "x$"`), [
    ['echo', '~$HOME', '$HOME', '$HOME', 'a"b', 'x$'],
  ]);
  assert.deepEqual(argv('ls *.txt ~/x a=b'), [['ls', '~*.txt', '~~/x', 'a=b']]);
  assert.deepEqual(argv('git log \\\n --oneline'), [['git', 'log', '--oneline']]);
  const refused: [string, RegExp][] = [
    ['echo $(id)', /command substitution/],
    ['echo "$(id)"', /command substitution/],
    ['echo `id`', /command substitution/],
    ['echo hi > /etc/x', /redirection/],
    ['cat < /etc/shadow', /redirection/],
    ['ls 2>&1', /redirection/],
    ['(cd /; ls)', /subshell/],
    ['FOO=1 ls', /environment assignment/],
    ['if true; then ls; fi', /shell keyword/],
    ['echo hi # note', /comment/],
    ["echo 'open", /unterminated single quote/],
    ['echo "open', /unterminated double quote/],
    ['ls &&', /ends with an operator/],
    ['&& ls', /empty command/],
    ['', /empty command/],
    ['a |& b', /stderr/],
    ["echo $'\\x41'", /\$-quoted/],
  ];
  for (const [command, reason] of refused) {
    const parsed = parseShellCommand(command);
    assert.equal(parsed.ok, false, command);
    if (!parsed.ok) assert.match(parsed.reason, reason, command);
  }
});

test('executables resolve along PATH (real path, executable files only) or relative to the working directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clawgate-exec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
  chmodSync(join(bin, 'tool'), 0o755);
  writeFileSync(join(bin, 'notexec'), 'x');
  symlinkSync(join(bin, 'tool'), join(dir, 'link'));
  assert.equal(resolveExecutable('tool', '/', bin), join(bin, 'tool'));
  assert.equal(resolveExecutable('notexec', '/', bin), undefined);
  assert.equal(resolveExecutable('bin', '/', dir), undefined, 'a directory is not a command');
  assert.equal(
    resolveExecutable('./link', dir, ''),
    join(bin, 'tool'),
    'symlinks are judged by their target',
  );
  assert.equal(resolveExecutable('missing', '/', bin), undefined);
  // An empty PATH entry is the working directory (POSIX).
  assert.equal(resolveExecutable('tool', bin, `:${dir}`), join(bin, 'tool'));
});

test('safe bins: stdin-only forms of the default filters, from trusted directories, with literal argv', () => {
  const settings: SafeBinSettings = { safeBinTrustedDirs: [], safeBinProfiles: {} };
  const ok = (command: string, resolved = `/usr/bin/${command.split(' ')[0]}`, s = settings) => {
    const parsed = parseShellCommand(command);
    assert.ok(parsed.ok);
    return isSafeBinInvocation(parsed.segments[0], resolved, s);
  };
  for (const command of [
    'wc -l',
    'head -n 5',
    'head -n5',
    'tail --lines=3',
    'cut -d , -f 2',
    'tr a-z A-Z',
    'uniq -c',
    'tr -d x',
  ]) {
    assert.equal(ok(command), true, command);
  }
  for (const command of [
    'wc -l /etc/passwd',
    'head /etc/passwd',
    'tail -f',
    'wc --files0-from=list',
    'head -x',
    'head --lin=3',
    'tr',
    'tr a b c',
    'cut -d , -f 2 ./file',
    'wc -l $FILE',
    'grep -e x',
    'sed s/a/b/',
    'jq .',
  ]) {
    assert.equal(ok(command), false, command);
  }
  assert.equal(ok('wc -l', '/tmp/wc'), false, 'a wc outside the trusted directories');
  assert.equal(ok('wc -l', '/opt/bin/wc', { ...settings, safeBinTrustedDirs: ['/opt/bin'] }), true);
  const parsed = parseShellCommand('./wc -l');
  assert.ok(parsed.ok);
  assert.equal(isSafeBinInvocation(parsed.segments[0], '/usr/bin/wc', settings), false, 'invoked by path');
  // Opting grep in: the pattern must come with -e; a custom bin needs a profile; jq never qualifies.
  const withGrep = { ...settings, safeBins: ['grep', 'myfilter', 'jq'] };
  assert.equal(ok('grep -e error -i', '/usr/bin/grep', withGrep), true);
  assert.equal(ok('grep error', '/usr/bin/grep', withGrep), false);
  assert.equal(ok('wc -l', '/usr/bin/wc', withGrep), false, 'the list replaces the defaults');
  assert.equal(ok('myfilter -q', '/usr/bin/myfilter', withGrep), false, 'no profile, not safe');
  const profiled = { ...withGrep, safeBinProfiles: { myfilter: { maxPositional: 0, deniedFlags: ['-f'] } } };
  assert.equal(ok('myfilter -q', '/usr/bin/myfilter', profiled), true);
  assert.equal(ok('myfilter -f x', '/usr/bin/myfilter', profiled), false);
  assert.equal(ok('jq .', '/usr/bin/jq', { ...profiled, safeBinProfiles: { jq: {} } }), false);
});

test('analysis: what Always allow would remember, and when it cannot', () => {
  const env = { path: '/usr/bin:/bin', home: HOME };
  const settings: SafeBinSettings = { safeBinTrustedDirs: [], safeBinProfiles: {} };
  const cat = resolveExecutable('cat', '/', '/usr/bin:/bin') as string;
  const analysis = analyzeCommand('cat notes.txt | wc -l', '/tmp', [], settings, env);
  assert.equal(analysis.allowlistSatisfied, false);
  assert.deepEqual(analysis.persistable, [
    { pattern: cat, argPattern: cwdArgvHash(['cat', 'notes.txt'], '/tmp') },
  ]);
  assert.equal(analyzeCommand('cat *.txt', '/tmp', [], settings, env).persistable, undefined, 'a glob');
  assert.equal(analyzeCommand('no-such-command', '/tmp', [], settings, env).persistable, undefined);
  const refused = analyzeCommand('cat $(ls)', '/tmp', [{ pattern: '*' }], settings, env);
  assert.equal(refused.allowlistSatisfied, false, 'even * does not cover an unanalysable command');
  assert.match(refused.unanalysable ?? '', /command substitution/);
});
