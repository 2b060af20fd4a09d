type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Dotted paths, two levels deep, whose values differ: `gateway.auth`, `logging.level`, `agents`. */
export function changedPaths(before: Obj, after: Obj, prefix = '', depth = 0): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed: string[] = [];
  for (const key of keys) {
    const a = before[key];
    const b = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (depth < 1 && isObj(a) && isObj(b)) changed.push(...changedPaths(a, b, path, depth + 1));
    else changed.push(path);
  }
  return changed.sort();
}

/**
 * Every leaf path whose value differs, however deep, a missing object read as empty: a first `ui.prefs.theme` is
 * that path, not `ui` (what `config.patch` tells apart when it may go without `baseHash`).
 */
export function leafPaths(before: unknown, after: unknown, prefix = ''): string[] {
  const objects = (isObj(before) || before === undefined) && (isObj(after) || after === undefined);
  if (!objects || (before === undefined && after === undefined)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
  }
  const a = (before ?? {}) as Obj;
  const b = (after ?? {}) as Obj;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((key) =>
    leafPaths(a[key], b[key], prefix ? `${prefix}.${key}` : key),
  );
}

/** The value at a dotted path (`gateway.tls.enabled`), or undefined. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) cur = isObj(cur) ? cur[key] : undefined;
  return cur;
}

/** Did the value at any of `paths` change? Compares by value, so a rebuilt identical config is no change. */
export function anyChanged(before: unknown, after: unknown, paths: readonly string[]): boolean {
  return paths.some((path) => JSON.stringify(valueAt(before, path)) !== JSON.stringify(valueAt(after, path)));
}
