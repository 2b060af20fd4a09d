/**
 * The names models see for MCP tools, as OpenClaw forms them: `<server>__<tool>`, each part reduced to
 * `[A-Za-z0-9_-]` and starting with a letter, the server part at most 30 characters and the whole at most 64
 * (what providers accept). Colliding names take `-2`, `-3`, … suffixes, compared case-insensitively.
 */

const UNSAFE = /[^A-Za-z0-9_-]/g;
const SERVER_MAX = 30;
const NAME_MAX = 64;

function fragment(raw: string, fallback: string): string {
  const cleaned = raw.trim().replace(UNSAFE, '-') || fallback;
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `${fallback}-${cleaned}`;
}

/** Each configured server's name prefix, in declaration order (so a collision suffix keeps its owner). */
export function serverPrefixes(names: readonly string[]): Map<string, string> {
  const taken = new Set<string>();
  const out = new Map<string, string>();
  for (const name of names) {
    const base = fragment(name, 'mcp').slice(0, SERVER_MAX);
    let candidate = base;
    for (let n = 2; taken.has(candidate.toLowerCase()); n += 1) {
      const suffix = `-${n}`;
      candidate = `${base.slice(0, Math.max(1, SERVER_MAX - suffix.length))}${suffix}`;
    }
    taken.add(candidate.toLowerCase());
    out.set(name, candidate);
  }
  return out;
}

/** The model-facing name of `tool` on the server with `prefix`, not one of `taken` (lower-cased; it is added). */
export function toolNameFor(prefix: string, tool: string, taken: Set<string>): string {
  const room = Math.max(1, NAME_MAX - prefix.length - 2);
  const base = fragment(tool, 'tool').slice(0, room);
  let candidate = `${prefix}__${base}`;
  for (let n = 2; taken.has(candidate.toLowerCase()); n += 1) {
    const suffix = `-${n}`;
    candidate = `${prefix}__${base.slice(0, Math.max(1, room - suffix.length))}${suffix}`;
  }
  taken.add(candidate.toLowerCase());
  return candidate;
}

/** Does a `toolFilter` let the server's tool `name` through? Entries are names or `*` globs; exclude wins. */
export function toolFilterAllows(
  filter: { include?: string[]; exclude?: string[] } | undefined,
  name: string,
) {
  const matches = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    ).test(name);
  if (filter?.exclude?.some(matches)) return false;
  return !filter?.include || filter.include.length === 0 || filter.include.some(matches);
}
