import { realpathSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SDK_MODULES } from './sdk/index.ts';
import { TypeBox } from './sdk/typebox.ts';

/**
 * Module resolution for plugin code, installed the first time a plugin loads (never at start-up otherwise).
 * Node's module hooks are process-wide, so the plugin roots they serve are too; each hook only acts on imports
 * made from inside a plugin folder:
 *
 * - `openclaw/plugin-sdk/<subpath>` resolves to clawgate's implementation of that subpath (sdk/), whatever the
 *   plugin has installed; an unsupported subpath fails naming itself.
 * - `typebox` resolves from the plugin's own `node_modules`, else to clawgate's copy (its bundled one in the built
 *   package; `typebox/<subpath>` from clawgate's `node_modules`).
 * - `./file.js` that does not exist resolves to `./file.ts` (OpenClaw's guides import TypeScript siblings by
 *   their built name; Node strips the types).
 * - Imports from an entry loaded with a `?clawgate-generation=N` query carry the query to the plugin's other
 *   files, so `plugins.reload` gets fresh instances of the plugin's own modules (its dependencies stay cached).
 */

const SDK = 'openclaw/plugin-sdk';
const SDK_SCHEME = 'clawgate-plugin-sdk:';
/** Where the synthetic modules find their exports (a plain name: an export called `Symbol` would shadow the global). */
const SYNTHETIC_GLOBAL = '__clawgatePluginModules';
const TYPEBOX_URL = 'clawgate-bundled:typebox';
/** The synthetic modules' exports, by URL: each SDK subpath, and clawgate's TypeBox. */
const SYNTHETIC: Record<string, Readonly<Record<string, unknown>>> = {
  ...Object.fromEntries(
    Object.entries(SDK_MODULES).map(([subpath, exports]) => [`${SDK_SCHEME}${subpath}`, exports]),
  ),
  [TYPEBOX_URL]: TypeBox,
};
const GENERATION = 'clawgate-generation';
const TS_FOR_JS: Record<string, string> = { '.js': '.ts', '.mjs': '.mts', '.cjs': '.cts' };

/** `file:///…/plugin/` prefixes of every plugin folder loaded in this process. */
const roots = new Set<string>();
let installed = false;

export function supportedSdkSubpaths(): string[] {
  return Object.keys(SDK_MODULES).map((subpath) => `${SDK}/${subpath}`);
}

/** Serves `rootDir`'s imports from now on (and installs the hooks the first time). */
export function addPluginRoot(rootDir: string): void {
  // Node resolves modules to their real path, so a plugin reached through a symlink is known by both.
  for (const dir of new Set([rootDir, realpathSync(rootDir)])) {
    roots.add(pathToFileURL(dir.endsWith(sep) ? dir : `${dir}${sep}`).href);
  }
  if (installed) return;
  installed = true;
  (globalThis as Record<string, unknown>)[SYNTHETIC_GLOBAL] = SYNTHETIC;
  registerHooks({ resolve: resolvePluginImport, load: loadSdkModule });
}

function pluginRootOf(url: string): string | undefined {
  const bare = url.split('?')[0] as string;
  for (const root of roots) if (bare.startsWith(root)) return root;
  return undefined;
}

type ResolveContext = Parameters<Parameters<typeof registerHooks>[0]['resolve'] & object>[1];
type NextResolve = Parameters<Parameters<typeof registerHooks>[0]['resolve'] & object>[2];
type Resolved = ReturnType<NextResolve>;

function resolvePluginImport(specifier: string, context: ResolveContext, next: NextResolve): Resolved {
  const parent = context.parentURL;
  const root = parent === undefined ? undefined : pluginRootOf(parent);
  if (root === undefined || parent === undefined) return next(specifier, context);
  if (specifier === SDK || specifier.startsWith(`${SDK}/`)) {
    const subpath = specifier.slice(SDK.length + 1);
    if (!Object.hasOwn(SDK_MODULES, subpath)) {
      throw new Error(
        `${specifier} (imported by ${fileURLToPath(parent.split('?')[0] as string)}) is not part of the OpenClaw SDK subset clawgate implements; supported: ${supportedSdkSubpaths().join(', ')}`,
      );
    }
    return { url: `${SDK_SCHEME}${subpath}`, format: 'module', shortCircuit: true };
  }
  let resolved: Resolved;
  try {
    resolved = next(specifier, context);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    const fallback = fallbackResolve(specifier, context, next);
    if (!fallback) throw error;
    resolved = fallback;
  }
  return carryGeneration(resolved, parent);
}

function fallbackResolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Resolved | undefined {
  if (specifier === 'typebox') return { url: TYPEBOX_URL, format: 'module', shortCircuit: true };
  if (specifier.startsWith('typebox/')) return next(specifier, { ...context, parentURL: import.meta.url });
  if (!specifier.startsWith('.')) return undefined;
  const extension = Object.keys(TS_FOR_JS).find((ext) => specifier.endsWith(ext));
  if (!extension) return undefined;
  try {
    return next(`${specifier.slice(0, -extension.length)}${TS_FOR_JS[extension]}`, context);
  } catch {
    return undefined;
  }
}

function carryGeneration(resolved: Resolved, parent: string): Resolved {
  const query = new URL(parent).searchParams.get(GENERATION);
  const url = resolved.url;
  if (
    query === null ||
    pluginRootOf(url) === undefined ||
    url.includes('?') ||
    url.includes('/node_modules/')
  ) {
    return resolved;
  }
  return { ...resolved, url: `${url}?${GENERATION}=${query}` };
}

type LoadContext = Parameters<Parameters<typeof registerHooks>[0]['load'] & object>[1];
type NextLoad = Parameters<Parameters<typeof registerHooks>[0]['load'] & object>[2];

/** A synthetic module re-exports clawgate's implementation, found through a global symbol (hooks are sync). */
function loadSdkModule(url: string, context: LoadContext, next: NextLoad): ReturnType<NextLoad> {
  const exports = SYNTHETIC[url];
  if (!exports) return next(url, context);
  const table = '__clawgateExports';
  const source = [
    `const ${table} = globalThis[${JSON.stringify(SYNTHETIC_GLOBAL)}][${JSON.stringify(url)}];`,
    ...Object.keys(exports).map((name) =>
      name === 'default'
        ? `export default ${table}.default;`
        : `export const ${name} = ${table}[${JSON.stringify(name)}];`,
    ),
  ].join('\n');
  return { format: 'module', source, shortCircuit: true };
}

let generation = 0;

/** A number no load in this process has used: every load gets fresh instances of the plugin's own modules. */
export function nextGeneration(): number {
  generation += 1;
  return generation;
}

/** The URL an entry is imported by: a new generation re-evaluates the plugin's own files. */
export function entryUrl(file: string, generation: number): string {
  return `${pathToFileURL(file).href}?${GENERATION}=${generation}`;
}
