/**
 * Reads a V8 `.cpuprofile` (`node --cpu-prof`) and says where the gateway's main thread spent its time: the
 * functions with the most self time, and the same time grouped by where the code lives.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MachineInfo } from './machine.ts';

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
};
type CpuProfile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

export type ProfileSummary = {
  wallMs: number;
  /** Sampled time not spent idle. */
  busyMs: number;
  top: { fn: string; where: string; selfMs: number; shareOfBusy: number }[];
  areas: { area: string; selfMs: number; shareOfBusy: number }[];
};

/** Where a frame's code lives: V8's pseudo-frames, Node's internals, a dependency, or the gateway itself. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { functionName, url } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  if (/\/dist\//.test(url)) return 'clawgate (dist)';
  if (/\/src\//.test(url)) return 'clawgate (src)';
  return basename(url);
}

export function summarizeProfile(path: string, topCount = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  // Each sample's time is the delta to the next one (the last has none).
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + profile.timeDeltas[i + 1]);
  }
  const functions = new Map<string, { fn: string; where: string; us: number }>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') continue;
    busyUs += us;
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const where = frame.url === '' ? area : `${basename(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const entry = functions.get(key) ?? { fn: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const share = (us: number) => (busyUs === 0 ? 0 : us / busyUs);
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    top: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topCount)
      .map((f) => ({ fn: f.fn, where: f.where, selfMs: f.us / 1000, shareOfBusy: share(f.us) })),
    areas: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, shareOfBusy: share(us) })),
  };
}

/** Markdown: the areas, then the top functions. */
export function profileMarkdown(label: string, summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const lines = [
    `### ${label}`,
    '',
    `Main thread busy ${(summary.busyMs / 1000).toFixed(2)} s of ${(summary.wallMs / 1000).toFixed(2)} s profiled.`,
    '',
    '| where the code lives | self time | share of busy |',
    '|---|---:|---:|',
    ...summary.areas
      .slice(0, 10)
      .map((a) => `| ${a.area} | ${a.selfMs.toFixed(0)} ms | ${pct(a.shareOfBusy)} |`),
    '',
    '| function | at | self time | share of busy |',
    '|---|---|---:|---:|',
    ...summary.top.map(
      (f) => `| \`${f.fn}\` | ${f.where} | ${f.selfMs.toFixed(0)} ms | ${pct(f.shareOfBusy)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/**
 * Summarizes every `.cpuprofile` in `dir` into `dir/SUMMARY.md` (kept in git, the profiles themselves are not)
 * and returns the Markdown.
 */
export function writeProfileSummary(dir: string, machine: MachineInfo, command: string): string {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  const markdown = [
    '# Gateway CPU profiles',
    '',
    `Written by \`${command} -- --profile\`: each measured gateway ran with \`node --cpu-prof\`; one section per`,
    'gateway process, named for its scenario. Self time is where the main thread was when sampled; "(garbage',
    'collector)" and "(program)" are V8\'s own work, `node:*` is Node\'s JavaScript, `(native)` its C++ bindings.',
    "The profiler costs throughput: the figures of a profiled run are not the benchmark's.",
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores; Node ${machine.node}; commit ${machine.commit}; ${machine.date}.`,
    '',
    ...files.map((name) =>
      profileMarkdown(name.replace(/\.cpuprofile$/, ''), summarizeProfile(join(dir, name))),
    ),
  ].join('\n');
  writeFileSync(join(dir, 'SUMMARY.md'), markdown);
  return markdown;
}

if (import.meta.main) {
  for (const path of process.argv.slice(2))
    process.stdout.write(`${profileMarkdown(basename(path), summarizeProfile(path))}\n`);
}
