/**
 * `npm run stress [-- --quick] [-- --only fuzz,flood,crash,rotation] [-- --profile]`: the reliability harness. Each scenario
 * drives a gateway child started from the built bundle on loopback, prints pass/fail with its figures, and the
 * run appends a section to stress/RESULTS.md. Never part of `npm test`.
 */
import { appendFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { enableProfiling } from '../bench/gateway-flags.ts';
import { describeMachine } from '../bench/machine.ts';
import { cleanupAll } from '../bench/probes.ts';
import { writeProfileSummary } from '../bench/profile-summary.ts';
import type { ScenarioResult } from './client.ts';
import { crashScenario } from './crash.ts';
import { floodScenario } from './flood.ts';
import { fuzzScenario } from './fuzz.ts';
import { REPO_ROOT } from './gateway.ts';
import { rotationScenario } from './rotation.ts';

const SCENARIOS: Record<string, (quick: boolean) => Promise<ScenarioResult>> = {
  fuzz: fuzzScenario,
  flood: floodScenario,
  crash: crashScenario,
  rotation: rotationScenario,
};
/** A scenario that overruns this is abandoned (its children are killed by cleanupAll). */
const PROFILE_DIR = join(REPO_ROOT, 'stress', 'profiles');
const SCENARIO_CAP_MS = { quick: 120_000, full: 330_000 };

function parseArgs(argv: string[]): { quick: boolean; only: string[]; profile: boolean } {
  const quick = argv.includes('--quick');
  const profile = argv.includes('--profile');
  const onlyIndex = argv.indexOf('--only');
  const only =
    onlyIndex >= 0 ? (argv[onlyIndex + 1] ?? '').split(',').filter(Boolean) : Object.keys(SCENARIOS);
  for (const name of only) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}`);
  return { quick, only, profile };
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${availableParallelism()} CPUs, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, ${process.platform} ${process.arch}, Node ${process.version}`;
}

async function runOne(name: string, quick: boolean): Promise<ScenarioResult & { ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const cap = quick ? SCENARIO_CAP_MS.quick : SCENARIO_CAP_MS.full;
  try {
    const result = await Promise.race([
      SCENARIOS[name](quick),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`scenario overran its ${cap / 1000} s cap`)), cap);
      }),
    ]);
    return { ...result, ms: performance.now() - started };
  } catch (error) {
    return {
      name,
      pass: false,
      figures: [],
      failures: [`harness error: ${(error as Error).stack ?? error}`],
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
    cleanupAll();
  }
}

async function main(): Promise<void> {
  const { quick, only, profile } = parseArgs(process.argv.slice(2));
  if (profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    enableProfiling(PROFILE_DIR);
  }
  process.on('exit', cleanupAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      cleanupAll();
      process.exit(130);
    });
  const started = performance.now();
  const header = `stress ${quick ? '--quick' : 'full'} on ${machine()}`;
  console.log(header);
  const results: (ScenarioResult & { ms: number })[] = [];
  for (const name of only) {
    console.log(`\n== ${name}`);
    const result = await runOne(name, quick);
    results.push(result);
    for (const line of result.figures) console.log(`  ${line}`);
    for (const line of result.failures) console.log(`  FAIL: ${line}`);
    console.log(`  ${result.pass ? 'PASS' : 'FAIL'} ${name} (${(result.ms / 1000).toFixed(1)} s)`);
  }
  const totalS = ((performance.now() - started) / 1000).toFixed(0);
  const lines = [
    '',
    `## ${new Date().toISOString()} — ${quick ? '`--quick`' : 'full run'} (${totalS} s)`,
    '',
    `Machine: ${machine()}.`,
    '',
  ];
  for (const result of results) {
    lines.push(
      `### ${result.name}: ${result.pass ? 'PASS' : 'FAIL'} (${(result.ms / 1000).toFixed(1)} s)`,
      '',
    );
    for (const figure of result.figures) lines.push(`- ${figure}`);
    for (const failure of result.failures) lines.push(`- **FAIL**: ${failure.replaceAll('\n', ' ')}`);
    lines.push('');
  }
  if (profile) {
    writeProfileSummary(PROFILE_DIR, describeMachine(REPO_ROOT), 'npm run stress');
    console.log(
      `\nprofiles and their summary in ${PROFILE_DIR}; RESULTS.md is not appended by a profiled run`,
    );
  } else appendFileSync(join(REPO_ROOT, 'stress', 'RESULTS.md'), `${lines.join('\n')}`);
  console.log(
    `\n${results.every((r) => r.pass) ? 'all scenarios passed' : 'some scenarios FAILED'} in ${totalS} s`,
  );
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}

await main();
