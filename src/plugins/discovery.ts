import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { MANIFEST_FILE, ManifestError, type PluginManifest, readPluginManifest } from './manifest.ts';
import type { PluginDiagnostic } from './plugin-system.ts';

/** A plugin folder found under `plugins.load.paths`: its manifest, or why it cannot be used. */
export type FoundPlugin =
  | { id: string; rootDir: string; manifest: PluginManifest }
  | { id: string; rootDir: string; error: string };

export type Discovery = { plugins: FoundPlugin[]; diagnostics: PluginDiagnostic[] };

/** `~/x` and paths relative to the config file's folder, as OpenClaw resolves `plugins.load.paths`. */
function resolveLoadPath(path: string, configPath: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return resolve(dirname(configPath), path);
}

/**
 * Each `plugins.load.paths` entry is a plugin folder (it holds `openclaw.plugin.json`) or a folder of plugin
 * folders (an extensions root, whose other entries are ignored). The first folder to claim an id wins.
 */
export function discoverPlugins(paths: readonly string[], configPath: string): Discovery {
  const plugins: FoundPlugin[] = [];
  const diagnostics: PluginDiagnostic[] = [];
  const add = (rootDir: string) => {
    let found: FoundPlugin;
    try {
      const manifest = readPluginManifest(rootDir);
      found = { id: manifest.id, rootDir, manifest };
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      if (error.pluginId === undefined) {
        diagnostics.push({ level: 'error', message: error.message, source: rootDir });
        return;
      }
      found = { id: error.pluginId, rootDir, error: error.message };
    }
    const first = plugins.find((plugin) => plugin.id === found.id);
    if (first) {
      diagnostics.push({
        level: 'warn',
        message: `plugin ${found.id} in ${rootDir} ignored: ${first.rootDir} has the same id`,
        source: rootDir,
      });
      return;
    }
    plugins.push(found);
  };
  paths.forEach((path, index) => {
    const dir = resolveLoadPath(path, configPath);
    const key = `plugins.load.paths[${index}]`;
    let isDir: boolean;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      diagnostics.push({ level: 'error', message: `${key}: ${dir} does not exist`, source: dir });
      return;
    }
    if (!isDir) {
      diagnostics.push({
        level: 'error',
        message: `${key}: ${dir} is a file; point at the plugin's folder (the one holding ${MANIFEST_FILE})`,
        source: dir,
      });
      return;
    }
    if (existsSync(join(dir, MANIFEST_FILE))) {
      add(dir);
      return;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.isDirectory() && existsSync(join(dir, entry.name, MANIFEST_FILE))) add(join(dir, entry.name));
    }
  });
  return { plugins, diagnostics };
}
