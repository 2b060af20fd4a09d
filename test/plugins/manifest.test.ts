import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { discoverPlugins } from '../../src/plugins/discovery.ts';
import { ManifestError, readPluginManifest } from '../../src/plugins/manifest.ts';
import { EXAMPLES, pluginDir } from './plugin-helpers.ts';

function folder(dir: string, name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(root, file), text);
  return root;
}

const schema = '"configSchema": { "type": "object" }';
const pkg = JSON.stringify({ type: 'module', openclaw: { extensions: ['./index.js'] } });

test('the quick-start manifest and package.json read as OpenClaw writes them', () => {
  const manifest = readPluginManifest(EXAMPLES.tool);
  assert.equal(manifest.id, 'word-count');
  assert.equal(manifest.name, 'Word Count');
  assert.equal(manifest.version, '1.0.0');
  assert.equal(manifest.packageName, '@clawgate-examples/word-count');
  assert.deepEqual(manifest.tools, ['count_words']);
  assert.deepEqual(manifest.activation, { onStartup: true });
  assert.deepEqual(manifest.entries, [join(EXAMPLES.tool, 'index.ts')]);
  const channel = readPluginManifest(EXAMPLES.channel);
  assert.deepEqual(channel.channels, ['loopback-chat']);
  assert.equal(channel.channelLabel, 'Loopback Chat');
});

test('a manifest problem names the file and the field', (t) => {
  const dir = pluginDir(t);
  const cases: [Record<string, string>, RegExp][] = [
    [{ 'package.json': pkg }, /openclaw\.plugin\.json: is missing/],
    [
      {
        'openclaw.plugin.json': '{ id: "x", // JSON5\n configSchema: {}, }',
        'package.json': pkg,
        'index.js': '',
      },
      /^$/,
    ],
    [
      { 'openclaw.plugin.json': `{ "id": "bad id", ${schema} }` },
      /openclaw\.plugin\.json: id must be a string/,
    ],
    [
      { 'openclaw.plugin.json': '{ "id": "p" }' },
      /openclaw\.plugin\.json: configSchema must be a JSON Schema object/,
    ],
    [{ 'openclaw.plugin.json': `{ "id": "p", ${schema}, "channels": "one" }` }, /channels must be an array/],
    [
      { 'openclaw.plugin.json': `{ "id": "p", ${schema}, "contracts": { "tools": [1] } }` },
      /contracts\.tools must be an array/,
    ],
    [{ 'openclaw.plugin.json': `{ "id": "p", ${schema} }` }, /package\.json: is missing/],
    [
      { 'openclaw.plugin.json': `{ "id": "p", ${schema} }`, 'package.json': '{}' },
      /package\.json: openclaw must be an object/,
    ],
    [
      {
        'openclaw.plugin.json': `{ "id": "p", ${schema} }`,
        'package.json': JSON.stringify({ openclaw: { extensions: [] } }),
      },
      /package\.json: openclaw\.extensions must list the entry/,
    ],
    [
      {
        'openclaw.plugin.json': `{ "id": "p", ${schema} }`,
        'package.json': JSON.stringify({ openclaw: { extensions: ['../x.js'] } }),
      },
      /openclaw\.extensions\[0\] \(\.\.\/x\.js\) must stay inside the plugin folder/,
    ],
    [
      { 'openclaw.plugin.json': `{ "id": "p", ${schema} }`, 'package.json': pkg },
      /openclaw\.extensions\[0\] \(\.\/index\.js\) does not exist/,
    ],
    [{ 'openclaw.plugin.json': '{ not json' }, /openclaw\.plugin\.json: is not valid JSON/],
  ];
  cases.forEach(([files, expected], index) => {
    const root = folder(dir, `case-${index}`, files);
    if (expected.source === '^$') {
      assert.equal(readPluginManifest(root).id, 'x');
      return;
    }
    assert.throws(
      () => readPluginManifest(root),
      (error: unknown) =>
        error instanceof ManifestError && expected.test(error.message) && error.message.startsWith(root),
      `case ${index}`,
    );
  });
});

test('plugins.load.paths: a plugin folder or a folder of them; missing paths, files and duplicate ids are diagnostics', (t) => {
  const dir = pluginDir(t);
  const ok = (id: string) => ({
    'openclaw.plugin.json': `{ "id": "${id}", ${schema} }`,
    'package.json': pkg,
    'index.js': '',
  });
  folder(dir, 'a', ok('alpha'));
  folder(dir, 'b', ok('beta'));
  folder(dir, 'notes', { 'readme.txt': 'not a plugin' });
  const twin = folder(join(dir, 'elsewhere'), 'alpha-copy', ok('alpha'));
  writeFileSync(join(dir, 'loose.js'), '');
  const broken = folder(join(dir, 'elsewhere'), 'broken', { 'openclaw.plugin.json': '{ "id": "broken" }' });
  const found = discoverPlugins(
    [dir, twin, join(dir, 'loose.js'), 'missing', broken],
    join(dir, 'clawgate.json'),
  );
  assert.deepEqual(
    found.plugins.map((p) => [p.id, 'error' in p]),
    [
      ['alpha', false],
      ['beta', false],
      ['broken', true],
    ],
  );
  assert.deepEqual(
    found.diagnostics.map((d) => d.message.replace(dir, '<dir>').replace(dir, '<dir>')),
    [
      'plugin alpha in <dir>/elsewhere/alpha-copy ignored: <dir>/a has the same id',
      "plugins.load.paths[2]: <dir>/loose.js is a file; point at the plugin's folder (the one holding openclaw.plugin.json)",
      'plugins.load.paths[3]: <dir>/missing does not exist',
    ],
  );
});
