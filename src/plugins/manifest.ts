import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import JSON5 from 'json5';

/** The manifest file every OpenClaw plugin ships in its root. */
export const MANIFEST_FILE = 'openclaw.plugin.json';

/** Plugin ids are config keys, route prefixes and event-name segments: keep them to one safe path segment. */
const PLUGIN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What clawgate reads from `openclaw.plugin.json` and `package.json`, checked. */
export type PluginManifest = {
  id: string;
  name: string;
  description?: string;
  version?: string;
  packageName?: string;
  /** JSON Schema of `plugins.entries.<id>.config` (required, as in OpenClaw). */
  configSchema: Record<string, unknown>;
  /** Channel ids the plugin owns (`channels`); `api.registerChannel` may register only these. */
  channels: string[];
  /** `contracts` as written; `contracts.tools` lists every tool `api.registerTool` may register. */
  contracts: Record<string, unknown>;
  tools: string[];
  activation?: Record<string, unknown>;
  /** `package.json` `openclaw.channel.label`: what a channel is called before its code runs. */
  channelLabel?: string;
  /** Absolute entry files (`openclaw.runtimeExtensions`, else `openclaw.extensions`). */
  entries: string[];
  rootDir: string;
  /** SHA-256 over both files' text: a changed manifest makes a different plugin. */
  hash: string;
};

/** A manifest that cannot be used: names the file and the field. */
export class ManifestError extends Error {
  readonly file: string;
  /** The plugin id, when the manifest got far enough to have one. */
  readonly pluginId: string | undefined;

  constructor(file: string, message: string, pluginId?: string) {
    super(`${file}: ${message}`);
    this.name = 'ManifestError';
    this.file = file;
    this.pluginId = pluginId;
  }
}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ManifestError(file, `cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
}

function parseObject(file: string, text: string, parse: (text: string) => unknown): Obj {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new ManifestError(file, `is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObj(value)) throw new ManifestError(file, 'must hold one JSON object');
  return value;
}

function optionalString(file: string, obj: Obj, field: string, id?: string): string | undefined {
  const value = obj[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ManifestError(file, `${field} must be a string`, id);
  return value;
}

function stringList(file: string, value: unknown, field: string, id?: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new ManifestError(file, `${field} must be an array of non-empty strings`, id);
  }
  return value as string[];
}

/** Reads and checks the plugin in `rootDir`; throws ManifestError naming the file and field at fault. */
export function readPluginManifest(rootDir: string): PluginManifest {
  const manifestFile = join(rootDir, MANIFEST_FILE);
  const manifestText = readText(manifestFile);
  if (manifestText === undefined) throw new ManifestError(manifestFile, 'is missing: every plugin needs one');
  // OpenClaw reads manifests as JSON5 (comments, trailing commas).
  const manifest = parseObject(manifestFile, manifestText, (text) => JSON5.parse(text));
  const id = manifest.id;
  if (typeof id !== 'string' || !PLUGIN_ID.test(id)) {
    throw new ManifestError(
      manifestFile,
      'id must be a string of letters, digits, ".", "_" or "-" (at most 128), starting with a letter or digit',
    );
  }
  const configSchema = manifest.configSchema;
  if (!isObj(configSchema)) {
    throw new ManifestError(
      manifestFile,
      'configSchema must be a JSON Schema object (even an empty one: {"type":"object","additionalProperties":false})',
      id,
    );
  }
  const contracts = manifest.contracts ?? {};
  if (!isObj(contracts)) throw new ManifestError(manifestFile, 'contracts must be an object', id);
  const activation = manifest.activation;
  if (activation !== undefined && !isObj(activation)) {
    throw new ManifestError(manifestFile, 'activation must be an object', id);
  }
  const declared = {
    name: optionalString(manifestFile, manifest, 'name', id) ?? id,
    description: optionalString(manifestFile, manifest, 'description', id),
    version: optionalString(manifestFile, manifest, 'version', id),
    channels: stringList(manifestFile, manifest.channels, 'channels', id),
    tools: stringList(manifestFile, contracts.tools, 'contracts.tools', id),
  };

  const packageFile = join(rootDir, 'package.json');
  const packageText = readText(packageFile);
  if (packageText === undefined) {
    throw new ManifestError(packageFile, 'is missing: it names the entry in openclaw.extensions', id);
  }
  const pkg = parseObject(packageFile, packageText, JSON.parse);
  const openclaw = pkg.openclaw;
  if (!isObj(openclaw)) {
    throw new ManifestError(packageFile, 'openclaw must be an object with extensions: ["./index.ts"]', id);
  }
  const channel = openclaw.channel;
  if (channel !== undefined && !isObj(channel)) {
    throw new ManifestError(packageFile, 'openclaw.channel must be an object', id);
  }
  const hash = createHash('sha256').update(manifestText).update('\0').update(packageText).digest('hex');
  return {
    id,
    ...declared,
    version: declared.version ?? optionalString(packageFile, pkg, 'version', id),
    packageName: optionalString(packageFile, pkg, 'name', id),
    configSchema,
    contracts,
    activation,
    channelLabel: channel ? optionalString(packageFile, channel, 'label', id) : undefined,
    entries: entryFiles(packageFile, openclaw, rootDir, id),
    rootDir,
    hash,
  };
}

/** `runtimeExtensions` (built files) pair positionally with `extensions` and win when present, as in OpenClaw. */
function entryFiles(packageFile: string, openclaw: Obj, rootDir: string, id: string): string[] {
  const sources = stringList(packageFile, openclaw.extensions, 'openclaw.extensions', id);
  if (sources.length === 0) {
    throw new ManifestError(packageFile, 'openclaw.extensions must list the entry, e.g. ["./index.ts"]', id);
  }
  const runtime = stringList(packageFile, openclaw.runtimeExtensions, 'openclaw.runtimeExtensions', id);
  if (runtime.length > 0 && runtime.length !== sources.length) {
    throw new ManifestError(
      packageFile,
      `openclaw.runtimeExtensions must pair with openclaw.extensions (${sources.length} entries, got ${runtime.length})`,
      id,
    );
  }
  const field = runtime.length > 0 ? 'openclaw.runtimeExtensions' : 'openclaw.extensions';
  return (runtime.length > 0 ? runtime : sources).map((entry, index) => {
    const file = resolve(rootDir, entry);
    const inside = relative(rootDir, file);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new ManifestError(
        packageFile,
        `${field}[${index}] (${entry}) must stay inside the plugin folder`,
        id,
      );
    }
    if (!existsSync(file)) {
      throw new ManifestError(packageFile, `${field}[${index}] (${entry}) does not exist`, id);
    }
    return file;
  });
}
