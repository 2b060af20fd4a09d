import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findMapping, mappingAction } from '../../src/hooks/actions.ts';
import { lookup, renderTemplate, type TemplateContext } from '../../src/hooks/template.ts';

function context(payload: Record<string, unknown>): TemplateContext {
  return {
    payload,
    headers: { 'x-event-type': 'push' },
    query: { kind: 'nightly' },
    path: 'github',
    now: () => Date.UTC(2026, 11, 3, 12, 0, 0),
  };
}

test('templates read paths in the payload, headers and query; missing is empty, objects are JSON', () => {
  const ctx = context({
    repo: { name: 'w' },
    commits: [{ id: 'a1' }, { id: 'b2' }],
    n: 7,
    ok: false,
    none: null,
  });
  const cases: [string, string][] = [
    ['{{payload.repo.name}} {{repo.name}}', 'w w'],
    ['{{commits[1].id}}/{{ commits[0].id }}', 'b2/a1'],
    ['{{n}} {{ok}} [{{none}}] [{{missing.deep}}] [{{commits[9].id}}]', '7 false [] [] []'],
    ['{{repo}}', '{"name":"w"}'],
    [
      '{{headers.x-event-type}} {{query.kind}} {{path}} {{now}}',
      'push nightly github 2026-12-03T12:00:00.000Z',
    ],
    ['no expressions {single} }}', 'no expressions {single} }}'],
  ];
  for (const [template, expected] of cases) assert.equal(renderTemplate(template, ctx), expected, template);
});

test('nothing is evaluated and nothing outside the data is reachable', () => {
  const ctx = context({ a: [1] });
  for (const template of [
    '{{constructor}}',
    '{{__proto__}}',
    '{{a.constructor.name}}',
    '{{payload.__proto__.toString}}',
    '{{toString}}',
    '{{a.map}}',
    '{{process.env.HOME}}',
    '{{1+1}}',
    '{{a[0]()}}',
  ]) {
    assert.equal(renderTemplate(template, ctx), '', template);
  }
  // Inherited properties are not the data's own.
  assert.equal(lookup(Object.create({ secret: 'x' }) as unknown, 'secret'), undefined);
  assert.equal(lookup({ a: { b: 1 } }, 'a[0]'), undefined, 'an index into a non-array');
});

test('mappings: the first match by path and source wins; ids default to mapping-<n>', () => {
  const mappings = [
    { match: { path: '/github/', source: 'ci' }, messageTemplate: 'ci {{x}}' },
    { match: { path: 'github' }, action: 'wake' as const, textTemplate: 'wake {{x}}' },
    { messageTemplate: 'any {{x}}' },
  ];
  assert.equal(findMapping(mappings, 'github', { source: 'ci' })?.id, 'mapping-1');
  assert.equal(findMapping(mappings, 'github/', { source: 'other' })?.id, 'mapping-2');
  assert.equal(findMapping(mappings, 'elsewhere', {})?.id, 'mapping-3');
  const found = findMapping(mappings, 'github', { x: 1 });
  assert.deepEqual(found && mappingAction(found.mapping, found.id, context({ x: 1 })), {
    ok: true,
    value: { kind: 'wake', text: 'wake 1', mode: 'now' },
  });
  const templatedKey = mappingAction({ sessionKey: '{{id}}', messageTemplate: 'm' }, 'k', context({}));
  assert.deepEqual(templatedKey, { ok: false, error: 'hook mapping sessionKey template rendered empty' });
  const keyed = mappingAction({ sessionKey: 'hook:{{id}}', messageTemplate: 'm' }, 'k', context({ id: 5 }));
  assert.equal(keyed.ok && keyed.value.sessionKey, 'hook:5');
  assert.equal(keyed.ok && keyed.value.sessionKeySource, 'mapping-templated');
});
