/**
 * OpenClaw's mapping templates: `{{payload.field}}` or `{{field}}`, array indexes (`{{commits[0].message}}`),
 * `{{headers.x-event-type}}`, `{{query.kind}}`, `{{path}}` and `{{now}}`. Expressions are property paths looked
 * up in plain data, never evaluated: no calls, no operators, and no walk into `__proto__`, `prototype` or
 * `constructor`. Missing or null values render empty; objects render as JSON.
 */

export type TemplateContext = {
  payload: Record<string, unknown>;
  /** Lowercased names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** The subpath after `hooks.path`. */
  path: string;
  now(): number;
};

const EXPRESSION = /\{\{\s*([^}]+?)\s*\}\}/g;
const SEGMENT = /([^.[\]]+)|\[(\d+)\]/g;
const BLOCKED_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

export function renderTemplate(template: string, context: TemplateContext): string {
  return template.replace(EXPRESSION, (_match, expression: string) => {
    const value = resolveExpression(expression.trim(), context);
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value) ?? '';
  });
}

/** A template with nothing rendered into it is left out (OpenClaw's optional fields: name, sessionKey). */
export function renderOptional(template: string | undefined, context: TemplateContext): string | undefined {
  if (!template) return undefined;
  const rendered = renderTemplate(template, context).trim();
  return rendered === '' ? undefined : rendered;
}

function resolveExpression(expression: string, context: TemplateContext): unknown {
  if (expression === 'path') return context.path;
  if (expression === 'now') return new Date(context.now()).toISOString();
  if (expression.startsWith('headers.')) return lookup(context.headers, expression.slice('headers.'.length));
  if (expression.startsWith('query.')) return lookup(context.query, expression.slice('query.'.length));
  if (expression.startsWith('payload.')) return lookup(context.payload, expression.slice('payload.'.length));
  return lookup(context.payload, expression);
}

/** Follows `a.b[0].c` through own properties of plain data; anything else is undefined. */
export function lookup(root: unknown, path: string): unknown {
  if (path === '') return undefined;
  let current = root;
  for (const [, key, index] of path.matchAll(SEGMENT)) {
    if (current === null || typeof current !== 'object') return undefined;
    if (index !== undefined) {
      if (!Array.isArray(current)) return undefined;
      current = current[Number(index)];
      continue;
    }
    if (key === undefined || BLOCKED_KEYS.has(key) || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
