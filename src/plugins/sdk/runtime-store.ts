/** `openclaw/plugin-sdk/runtime-store`: keeps `api.runtime` for code outside `register`. */

export type PluginRuntimeStore<Runtime> = {
  setRuntime(runtime: Runtime): void;
  getRuntime(): Runtime;
  tryGetRuntime(): Runtime | undefined;
};

export function createPluginRuntimeStore<Runtime>(
  options: string | { pluginId?: string; errorMessage?: string },
): PluginRuntimeStore<Runtime> {
  const message =
    typeof options === 'string'
      ? options
      : (options.errorMessage ?? `${options.pluginId ?? 'plugin'} runtime not initialized`);
  let runtime: Runtime | undefined;
  return {
    setRuntime: (next) => {
      runtime = next;
    },
    getRuntime: () => {
      if (runtime === undefined) throw new Error(message);
      return runtime;
    },
    tryGetRuntime: () => runtime,
  };
}
