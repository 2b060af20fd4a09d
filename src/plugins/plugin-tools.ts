import type { AgentTool, ToolContext, ToolRegistration } from '../agents/tools/tool-types.ts';
import type { PluginToolContext, PluginToolFactory, PluginToolOptions } from './api.ts';

type ToolInput = AgentTool | PluginToolFactory | { contextVersion: 2; create: PluginToolFactory };

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** OpenClaw's malformed-tool rules: a non-empty name, an `execute` function, a `parameters` object. */
function checkTool(tool: unknown, where: string): asserts tool is AgentTool {
  const candidate = tool as Partial<AgentTool> | null;
  if (!candidate || typeof candidate !== 'object') throw new Error(`${where}: a tool must be an object`);
  if (typeof candidate.name !== 'string' || !TOOL_NAME.test(candidate.name)) {
    throw new Error(
      `${where}: tool name ${JSON.stringify(candidate.name)} must be 1-64 letters, digits, _ or -`,
    );
  }
  if (typeof candidate.execute !== 'function')
    throw new Error(`${where}: tool ${candidate.name} needs execute()`);
  if (!candidate.parameters || typeof candidate.parameters !== 'object') {
    throw new Error(`${where}: tool ${candidate.name} needs a parameters schema object`);
  }
}

function pluginToolContext(ctx: ToolContext): PluginToolContext {
  return {
    config: ctx.config,
    agentId: ctx.agentId,
    sessionKey: ctx.sessionKey,
    runId: ctx.runId,
    workspaceDir: ctx.workspaceDir,
  };
}

/**
 * `api.registerTool`'s argument as registry entries (one per tool name). A concrete tool is offered as it is; a
 * factory (OpenClaw's per-turn builder, or its `contextVersion: 2` descriptor) must name its tools in the
 * options, and runs once per turn however many names it serves.
 */
export function pluginTools(
  pluginId: string,
  input: ToolInput,
  options?: PluginToolOptions,
): ToolRegistration[] {
  const source = { kind: 'plugin' as const, pluginId };
  const optional = options?.optional === true;
  if (typeof input === 'object' && input !== null && !('contextVersion' in input)) {
    checkTool(input, 'registerTool');
    return [{ name: input.name, source, optional, factory: () => input }];
  }
  const create =
    typeof input === 'function'
      ? input
      : typeof input?.create === 'function' && input.contextVersion === 2
        ? input.create
        : undefined;
  if (!create)
    throw new Error('registerTool: expected a tool, a tool factory, or { contextVersion: 2, create }');
  const names = options?.names ?? (options?.name !== undefined ? [options.name] : []);
  if (names.length === 0)
    throw new Error('registerTool(factory): name the tools it builds in opts.name or opts.names');
  for (const name of names) {
    if (!TOOL_NAME.test(name))
      throw new Error(`registerTool: tool name ${JSON.stringify(name)} is not valid`);
  }
  const built = new WeakMap<ToolContext, AgentTool[]>();
  const build = (ctx: ToolContext): AgentTool[] => {
    let tools = built.get(ctx);
    if (!tools) {
      const made = create(pluginToolContext(ctx));
      tools = made == null ? [] : Array.isArray(made) ? made : [made];
      for (const tool of tools) checkTool(tool, `tool factory of ${pluginId}`);
      built.set(ctx, tools);
    }
    return tools;
  };
  return names.map((name) => ({
    name,
    source,
    optional,
    factory: (ctx: ToolContext) => build(ctx).find((tool) => tool.name === name) ?? null,
  }));
}
