import type { TSchema } from 'typebox';
import { compileSchema, describeIssues, loadSchemas } from '../../protocol/validators.ts';

/** Tools whose schema TypeBox could not compile: they run unvalidated (their own checks still apply). */
const uncompilable = new WeakSet<object>();

/**
 * Checks a call's arguments against the tool's JSON Schema before it runs, as OpenClaw's runner does (plugin tools
 * rely on it). Returns the problems, one per line, naming the field; none when valid. The schema layer loads on
 * the first tool call, never at start-up.
 */
export async function argumentProblems(
  parameters: Record<string, unknown>,
  args: Record<string, unknown>,
): Promise<string[]> {
  if (uncompilable.has(parameters)) return [];
  const schemas = await loadSchemas();
  let validator: ReturnType<typeof compileSchema>;
  try {
    validator = compileSchema(schemas, parameters as TSchema);
  } catch {
    uncompilable.add(parameters);
    return [];
  }
  return validator.Check(args) ? [] : describeIssues(validator, args);
}
