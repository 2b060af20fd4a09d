import type { TSchema } from 'typebox';
import { compileSchema, describeIssues, loadSchemas } from '../protocol/validators.ts';
import type { PluginManifest } from './manifest.ts';

/**
 * `plugins.entries.<id>.config` checked against the manifest's `configSchema` before any plugin code runs
 * (OpenClaw's order). Returns the config, or throws naming each bad key by its full path.
 */
export async function checkPluginConfig(
  manifest: PluginManifest,
  config: Record<string, unknown> | undefined,
): Promise<Record<string, unknown>> {
  const value = config ?? {};
  const base = `plugins.entries.${manifest.id}.config`;
  const schemas = await loadSchemas();
  let validator: ReturnType<typeof compileSchema>;
  try {
    validator = compileSchema(schemas, manifest.configSchema as unknown as TSchema);
  } catch (error) {
    throw new Error(
      `${manifest.rootDir}: configSchema is not a usable JSON Schema: ${(error as Error).message}`,
    );
  }
  if (validator.Check(value)) return value;
  const problems = describeIssues(validator, value).map((line) => {
    if (line.startsWith('unknown key ')) return `unknown key ${base}.${line.slice('unknown key '.length)}`;
    if (line.startsWith('value ')) return `${base} ${line.slice('value '.length)}`;
    return `${base}.${line}`;
  });
  throw new Error(`invalid plugin config: ${problems.join('; ')}`);
}
