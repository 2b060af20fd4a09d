import { GatewayError } from '../protocol/gateway-error.ts';
import { RESTART_REQUIRED_KEYS } from './reload.ts';

/**
 * The config schema as OpenClaw's Control UI reads it: `config.schema` (the JSON schema plus `uiHints` by path)
 * and `config.schema.lookup` (one node and its direct children). Both are drawn from the one TypeBox schema in
 * schema.ts: its titles and descriptions become the hints' labels and help texts.
 */

type Node = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: boolean | Node;
  patternProperties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  [key: string]: unknown;
};

export type UiHint = { label?: string; help?: string; group?: string; order?: number; sensitive?: boolean };

/** Secrets: the UI masks them and sends the redaction marker back for "unchanged". */
const SENSITIVE = [
  'gateway.auth.token',
  'gateway.auth.password',
  'models.providers.*.apiKey',
  'hooks.token',
  'channels.webhook.secret',
  'channels.webhook.accounts.*.secret',
  'mcp.servers.*.env.*',
  'mcp.servers.*.headers.*',
];
/** The top-level sections in the schema's own order: where each sits in the UI's navigation. */
function sectionsOf(schema: Node): string[] {
  return Object.keys(schema.properties ?? {}).filter((key) => key !== '$schema');
}

/** The schema as served: the file's `$schema` editor hint is not a setting, so no form shows it. */
export function servedSchema(schema: Node): Node {
  const { $schema: _hint, ...properties } = schema.properties ?? {};
  return { ...structuredClone(schema), properties: structuredClone(properties) };
}

/** A record's value schema (`models.providers.<id>`), addressed as `*` in paths. */
function recordValue(node: Node): Node | undefined {
  const pattern = node.patternProperties ? Object.values(node.patternProperties)[0] : undefined;
  if (pattern) return pattern;
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

/** The object or array a node stands for, looking through `Type.Optional` unions such as model refs. */
function children(node: Node): [string, Node, boolean][] {
  const own = Object.entries(node.properties ?? {}).map(
    ([key, child]) => [key, child, node.required?.includes(key) ?? false] as [string, Node, boolean],
  );
  const value = recordValue(node);
  if (value) own.push(['*', value, false]);
  if (node.items) own.push(['*', node.items, false]);
  for (const branch of node.anyOf ?? []) if (branch.properties || branch.items) own.push(...children(branch));
  return own;
}

function hintOf(path: string, node: Node, sections: readonly string[]): UiHint {
  const top = path.split('.').length === 1 ? sections.indexOf(path) : -1;
  return {
    ...(node.title ? { label: node.title } : {}),
    ...(node.description ? { help: node.description } : {}),
    ...(top >= 0 ? { group: node.title ?? path, order: (top + 1) * 10 } : {}),
    ...(SENSITIVE.includes(path) ? { sensitive: true } : {}),
  };
}

/** Every path's hint, for `config.schema`'s `uiHints`. */
export function uiHints(schema: Node): Record<string, UiHint> {
  const hints: Record<string, UiHint> = {};
  const sections = sectionsOf(schema);
  const walk = (node: Node, prefix: string) => {
    for (const [key, child] of children(node)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (path in hints) continue;
      const hint = hintOf(path, child, sections);
      if (Object.keys(hint).length > 0) hints[path] = hint;
      walk(child, path);
    }
  };
  walk(servedSchema(schema), '');
  return hints;
}

function reloadKind(path: string): 'restart' | 'hot' {
  return RESTART_REQUIRED_KEYS.some((key) => path === key || path.startsWith(`${key}.`)) ? 'restart' : 'hot';
}

const typeOf = (node: Node) =>
  node.type ?? (node.anyOf ? [...new Set(node.anyOf.flatMap((b) => b.type ?? []))] : undefined);

/** `config.schema.lookup`: the node at a dotted path (`*` or an index for record and array entries). */
export function lookupSchema(schema: Node, path: string) {
  const segments = path
    .replace(/\[(\d+|\*)?\]/g, '.*')
    .split('.')
    .filter(Boolean);
  const sections = sectionsOf(schema);
  let node = servedSchema(schema);
  const canonical: string[] = [];
  for (const segment of segments) {
    const next =
      children(node).find(([key]) => key === segment) ?? children(node).find(([key]) => key === '*');
    if (!next)
      throw new GatewayError('INVALID_REQUEST', 'config schema path not found', { details: { path } });
    canonical.push(next[0]);
    node = next[1];
  }
  const at = canonical.join('.');
  const { properties: _p, patternProperties: _pp, items: _i, anyOf, ...shallow } = node;
  return {
    path,
    schema: anyOf && !node.properties ? { ...shallow, anyOf } : shallow,
    reloadKind: reloadKind(at),
    hint: hintOf(at, node, sections),
    hintPath: at,
    children: children(node).map(([key, child, required]) => {
      const childPath = `${at}.${key}`;
      const type = typeOf(child);
      return {
        key,
        path: childPath,
        ...(type === undefined ? {} : { type }),
        required,
        hasChildren: children(child).length > 0,
        reloadKind: reloadKind(childPath),
        hint: hintOf(childPath, child, sections),
        hintPath: childPath,
      };
    }),
  };
}
