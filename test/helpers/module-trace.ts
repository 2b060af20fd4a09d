import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './cli-child.ts';

const run = promisify(execFile);

/** Appends every module URL the process resolves to $MODULE_LOG; preloaded with --import. */
const HOOK = `
import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    appendFileSync(process.env.MODULE_LOG, result.url + '\\n');
    return result;
  },
});
`;

type TestContext = { after(fn: () => unknown): void };

/** What a child process needs to record the modules it loads, and the record. */
export type ModuleTrace = {
  /** Put before the entry point: `--import <hook>`. */
  execArgv: string[];
  /** Add to the child's environment: where the hook writes. */
  env: { MODULE_LOG: string };
  /** The log's lines so far: every module URL in load order (and any line the child appended itself). */
  loaded(): string[];
};

/** A fresh trace (its own temporary directory, removed when the test ends) for one child process. */
export function traceModules(t: TestContext): ModuleTrace {
  const dir = tempDir(t, 'clawgate-lazy-');
  const hook = join(dir, 'hook.mjs');
  const log = join(dir, 'modules.log');
  writeFileSync(hook, HOOK);
  return {
    execArgv: ['--import', hook],
    env: { MODULE_LOG: log },
    loaded: () => readFileSync(log, 'utf8').split('\n'),
  };
}

/** Runs `node <args>` to completion with a trace; its stdout and the modules it loaded. */
export async function runTraced(
  t: TestContext,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; loaded: string[] }> {
  const trace = traceModules(t);
  const { stdout } = await run(process.execPath, [...trace.execArgv, ...args], {
    env: { ...env, ...trace.env },
  });
  return { stdout, loaded: trace.loaded() };
}
