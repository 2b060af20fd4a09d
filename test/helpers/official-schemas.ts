import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Compile } from 'typebox/compile';

type JsonSchema = Record<string, unknown>;
type Issue = { instancePath: string; message: string; keyword: string; params: Record<string, unknown> };
type Validator = { Check(value: unknown): boolean; Errors(value: unknown): Iterable<Issue> };

export type OfficialMethodInfo = { since: string; scope?: string };

type ProtocolSchemaFile = {
  definitions: Record<string, JsonSchema>;
  methods: Record<string, OfficialMethodInfo>;
};

/** `protocol.schema.json` of the pinned `@openclaw/gateway-protocol` (not in its `exports`, so found beside its entry). */
const SCHEMA_URL = new URL('../protocol.schema.json', import.meta.resolve('@openclaw/gateway-protocol'));

let file: ProtocolSchemaFile | undefined;
const validators = new Map<string, Validator>();

function protocolFile(): ProtocolSchemaFile {
  file ??= JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as ProtocolSchemaFile;
  return file;
}

/** The official `methods` map: `{since, scope}` per method name. */
export function officialMethods(): Record<string, OfficialMethodInfo> {
  return protocolFile().methods;
}

const LOCAL_REF = '#/definitions/';

/**
 * Inlines `#/definitions/<Name>` references so every definition compiles on its own (the 2026.9.1 file keeps
 * them self-contained, but a later pin may not). Fails on any other kind of `$ref`, or a dangling one, rather
 * than letting a validator accept everything behind an unresolved reference.
 */
function inlineRefs(node: unknown, definitions: Record<string, JsonSchema>, trail: string[]): unknown {
  if (Array.isArray(node)) return node.map((item) => inlineRefs(item, definitions, trail));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as JsonSchema;
  if (typeof obj.$ref === 'string') {
    const ref = obj.$ref;
    assert.ok(ref.startsWith(LOCAL_REF), `unsupported $ref ${ref} in ${trail.join(' > ')}`);
    const target = ref.slice(LOCAL_REF.length);
    assert.ok(definitions[target], `dangling $ref ${ref} in ${trail.join(' > ')}`);
    assert.ok(!trail.includes(target), `recursive $ref ${ref} in ${trail.join(' > ')} is not supported`);
    const { $ref: _ref, ...rest } = obj;
    return { ...(inlineRefs(definitions[target], definitions, [...trail, target]) as JsonSchema), ...rest };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(obj)) out[key] = inlineRefs(value, definitions, trail);
  return out;
}

/** The named definition with its references inlined. */
export function officialDefinition(name: string): JsonSchema {
  const { definitions } = protocolFile();
  const definition = definitions[name];
  assert.ok(definition, `protocol.schema.json has no definition ${name}`);
  return inlineRefs(definition, definitions, [name]) as JsonSchema;
}

/** A compiled validator for a schema fragment (e.g. one property of a definition), cached by `key`. */
function validatorFor(key: string, schema: () => JsonSchema): Validator {
  let validator = validators.get(key);
  if (!validator) {
    validator = Compile(schema() as never) as unknown as Validator;
    validators.set(key, validator);
  }
  return validator;
}

function describe(validator: Validator, value: unknown): string {
  const lines: string[] = [];
  for (const issue of validator.Errors(value)) {
    const where = issue.instancePath === '' ? '(root)' : issue.instancePath;
    const extra =
      issue.keyword === 'additionalProperties'
        ? ` ${JSON.stringify(issue.params.additionalProperties)}`
        : issue.keyword === 'required'
          ? ` ${JSON.stringify(issue.params.requiredProperties)}`
          : '';
    lines.push(`  ${where}: ${issue.message}${extra}`);
    if (lines.length >= 20) break;
  }
  return lines.join('\n');
}

/**
 * Fields OpenClaw 2026.9.6 sends and its 2026.9.1 pinned schemas (closed objects) do not know yet
 * (shared/protocol.md §11, version skew). clawgate sends them because the 2026.9.6 CLI and Control UI read them;
 * they are left out of the value before it is checked against the pin, and only these.
 */
const NEWER_THAN_PIN: Record<string, string[][]> = {
  HelloOk: [
    ['auth', 'method'],
    ['server', 'controlUiBuildSource'],
  ],
  SystemInfoResult: [['eventLoop'], ['processMemory']],
  ChannelsStatusResult: [['statusIssues']],
};

function withoutNewerFields(definitionName: string, value: unknown): unknown {
  const paths = NEWER_THAN_PIN[definitionName];
  if (!paths || value === null || typeof value !== 'object') return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const path of paths) {
    let node: unknown = copy;
    for (const segment of path.slice(0, -1)) node = (node as Record<string, unknown> | undefined)?.[segment];
    if (node && typeof node === 'object') delete (node as Record<string, unknown>)[path.at(-1) as string];
  }
  return copy;
}

/** Errors of `value` against a definition (or a property path inside it); empty when it conforms. */
export function officialIssues(definitionName: string, input: unknown, path: string[] = []): string {
  const value = path.length === 0 ? withoutNewerFields(definitionName, input) : input;
  const key = [definitionName, ...path].join('.');
  const validator = validatorFor(key, () => {
    let schema = officialDefinition(definitionName);
    for (const segment of path) {
      const next = (schema.properties as Record<string, JsonSchema> | undefined)?.[segment];
      assert.ok(next, `${definitionName} has no property path ${path.join('.')}`);
      schema = next;
    }
    return schema;
  });
  return validator.Check(value) ? '' : describe(validator, value);
}

/**
 * Fails with a readable list of problems unless `value` matches the official definition. `path` picks a
 * property schema inside it, e.g. `assertMatchesOfficial('Snapshot', health, ['health'])`.
 */
export function assertMatchesOfficial(definitionName: string, value: unknown, path: string[] = []): void {
  const issues = officialIssues(definitionName, value, path);
  if (issues === '') return;
  const name = [definitionName, ...path].join('.');
  assert.fail(
    `value does not match official ${name}:\n${issues}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`,
  );
}

/** Like `assertMatchesOfficial`, for each element of an array against an item definition. */
export function assertEachMatchesOfficial(definitionName: string, values: unknown): void {
  assert.ok(Array.isArray(values), `expected an array of ${definitionName}, got ${JSON.stringify(values)}`);
  values.forEach((value, index) => {
    const issues = officialIssues(definitionName, value);
    if (issues !== '')
      assert.fail(
        `item ${index} does not match official ${definitionName}:\n${issues}\nvalue: ${JSON.stringify(value)}`,
      );
  });
}
