import type { TSchema } from 'typebox';

type SchemaModule = typeof import('./schemas/index.ts');
type Validator = { Check(value: unknown): boolean; Errors(value: unknown): Iterable<ValidationIssue> };
type ValidationIssue = {
  instancePath: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
};

let loading: Promise<SchemaModule> | undefined;

/**
 * Loads the schema layer once, on first use. In the built package it is its own bundled chunk (~30 ms); from
 * sources it is TypeBox's ~700 files, paid once per process.
 */
export function loadSchemas(): Promise<SchemaModule> {
  loading ??= import('./schemas/index.ts');
  return loading;
}

const compiled = new WeakMap<TSchema, Validator>();

export function compileSchema(mod: SchemaModule, schema: TSchema): Validator {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = mod.Compile(schema) as unknown as Validator;
    compiled.set(schema, validator);
  }
  return validator;
}

/** Dotted path of an issue (`client.id`, `limits.maxPayloadBytes`), or `root`. */
function issuePath(issue: ValidationIssue, separator: string): string {
  const parts = issue.instancePath.split('/').slice(1).map(decodePointer);
  return parts.length === 0 ? '' : parts.join(separator);
}

function decodePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * One readable line per problem, naming the field: `client.id must be one of …`, `unknown key gateway.prot`.
 * TypeBox reports a closed object's stray key twice (once as `schema is false`); the first form is kept.
 */
export function describeIssues(validator: Validator, value: unknown, separator = '.'): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const issue of validator.Errors(value)) {
    const path = issuePath(issue, separator);
    let line: string;
    if (issue.keyword === 'additionalProperties') {
      const extra = (issue.params.additionalProperties as string[] | undefined) ?? [];
      for (const key of extra) {
        const full = path ? `${path}${separator}${key}` : key;
        // The `boolean` form may come first (it does for nested objects); then this line is already out.
        if (seen.has(`unknown key ${full}`)) continue;
        seen.add(full);
        lines.push(`unknown key ${full}`);
      }
      continue;
    }
    if (issue.keyword === 'boolean' && seen.has(path)) continue;
    if (issue.keyword === 'boolean') line = `unknown key ${path}`;
    else if (issue.keyword === 'required') {
      const missing = (issue.params.requiredProperties as string[] | undefined) ?? [];
      line = missing.map((key) => `${path ? `${path}${separator}` : ''}${key} is required`).join('; ');
    } else if (issue.keyword === 'anyOf' || issue.keyword === 'enum' || issue.keyword === 'const') {
      line = `${path || 'value'} has an unsupported value`;
    } else line = `${path || 'value'} ${issue.message}`;
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
    if (lines.length >= 5) break;
  }
  return lines.length > 0 ? lines : ['value does not match the schema'];
}
