// CPU profiles of a service under a bench's load, and where their time went by stage.
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A `--require` script: the first SIGUSR2 starts the CPU profiler, the second writes the
 * profile into `dir`, so it covers the measured load and not start-up or warm-up.
 * (`--cpu-prof` is refused in NODE_OPTIONS; a preloaded inspector session does the same.)
 */
function cpuProfileScript(dir: string): string {
  return `
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 500 });
    session.post('Profiler.start');
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(${JSON.stringify(dir)} + '/profile-' + Date.now() + '.cpuprofile', JSON.stringify(result.profile));
  });
});
`;
}

/**
 * The preload that profiles a service into `dir` (created), for {@link preloadEnv}; undefined
 * when `dir` is: no profiling.
 */
export function cpuProfilePreload(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  mkdirSync(dir, { recursive: true });
  const preload = join(mkdtempSync(join(tmpdir(), 'cpu-prof-')), 'preload.js');
  writeFileSync(preload, cpuProfileScript(dir));
  return preload;
}

/** A stage of a service's work, by the script a frame runs in (builtins inherit their caller's). */
export type Stages = readonly (readonly [RegExp, string])[];

/** What every service shares, after its own stages. */
const COMMON_STAGES: Stages = [[/^node:|^internal\//, 'Node core (http, net, streams)']];

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

/**
 * Profiles this very process (a bench whose reference side runs in it) until the returned
 * function is called, which writes the profile into `dir` (created).
 */
export async function profileOwnProcess(dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((done, fail) =>
      session.post(method, params, (error, result) => (error ? fail(error) : done(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return async () => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(join(dir, `profile-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/** Self time of a `.cpuprofile` by stage, as shares of the busy (non-idle) time. */
export function profileShares(
  file: string,
  stages: Stages,
): { stage: string; share: number; ms: number }[] {
  const all = [...stages, ...COMMON_STAGES];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const stageOf = new Map<number, string>();
  const visit = (id: number, inherited: string): void => {
    const node = byId.get(id);
    if (node === undefined) return;
    const { url, functionName } = node.callFrame;
    let stage = inherited;
    // The preload's script and the inspector calls it makes (stopping the profiler serialises
    // the profile while it still samples): the profiler's own time, not the service's.
    if (url.includes('cpu_prof_') || url === 'node:inspector') stage = 'profiler itself (excluded)';
    else if (functionName === '(garbage collector)') stage = 'garbage collector';
    else if (functionName === '(idle)') stage = 'idle';
    else if (functionName === '(program)') stage = 'program (native, unattributed)';
    else if (url !== '') stage = all.find(([re]) => re.test(url))?.[1] ?? 'other JavaScript';
    stageOf.set(id, stage);
    for (const child of node.children ?? []) visit(child, stage);
  };
  visit(profile.nodes[0]?.id ?? 1, 'other JavaScript');
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const stage = stageOf.get(id) ?? 'other JavaScript';
    totals.set(stage, (totals.get(stage) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  totals.delete('idle');
  totals.delete('profiler itself (excluded)');
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .map(([stage, us]) => ({ stage, share: us / busy, ms: us / 1000 }))
    .sort((a, b) => b.share - a.share);
}

/** Prints the shares of the newest profile in `dir`. */
export function printProfile(service: string, dir: string, stages: Stages): void {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (file === undefined) throw new Error(`no .cpuprofile written to ${dir}`);
  console.log(`\n${service} CPU profile ${file}: self time by stage, share of busy time`);
  for (const { stage, share, ms } of profileShares(file, stages)) {
    console.log(
      `  ${(share * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${stage}`,
    );
  }
}
