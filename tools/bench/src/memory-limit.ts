import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A memory cgroup for one service process, limited as its container would be (the
 * Deployment's `resources.limits.memory`). Node sizes V8's heap from the cgroup's limit, so a
 * service started in it collects as it would in its pod, and the kernel OOM-kills it where
 * the pod would be killed. Needs root and the memory controller, cgroup v2 or v1.
 */
export interface MemoryLimit {
  /** The cgroup directory, for `startService({ cgroup })`. */
  readonly dir: string;
  readonly limitMiB: number;
  /** The highest memory the cgroup was charged (RSS and page cache), bytes, when the kernel tells. */
  peakBytes(): number | undefined;
  /** Processes the kernel killed for passing the limit. */
  oomKills(): number;
  /** Removes the cgroup; its processes must have exited. */
  remove(): void;
}

const V2_ROOT = '/sys/fs/cgroup';
const V1_ROOT = '/sys/fs/cgroup/memory';

/** Creates a memory cgroup of `limitMiB` named `name`, or says why it cannot. */
export function createMemoryLimit(limitMiB: number, name: string): MemoryLimit {
  if (!Number.isInteger(limitMiB) || limitMiB < 64)
    throw new Error(`--memory-limit takes a whole number of MiB, at least 64 (got ${limitMiB})`);
  const bytes = String(limitMiB * 1024 * 1024);
  try {
    return readText(join(V2_ROOT, 'cgroup.controllers'))?.split(/\s+/).includes('memory')
      ? createV2(name, bytes, limitMiB)
      : createV1(name, bytes, limitMiB);
  } catch (error) {
    throw new Error(
      `--memory-limit needs a memory cgroup it can create (root, cgroup v2 or v1 with the memory controller): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function createV2(name: string, bytes: string, limitMiB: number): MemoryLimit {
  const control = join(V2_ROOT, 'cgroup.subtree_control');
  if (!readText(control)?.split(/\s+/).includes('memory')) writeFileSync(control, '+memory');
  const dir = join(V2_ROOT, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'memory.max'), bytes);
  // As a pod: no swap to spill into past the limit.
  if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
  // `memory.peak` exists from Linux 5.19.
  return limitAt(dir, limitMiB, 'memory.peak', 'memory.events');
}

function createV1(name: string, bytes: string, limitMiB: number): MemoryLimit {
  if (!existsSync(join(V1_ROOT, 'memory.limit_in_bytes')))
    throw new Error(`neither ${V2_ROOT} (v2) nor ${V1_ROOT} (v1) offers the memory controller`);
  const dir = join(V1_ROOT, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
  // Memory and swap together, when the kernel accounts swap: no swap past the limit.
  const memsw = join(dir, 'memory.memsw.limit_in_bytes');
  if (existsSync(memsw)) writeFileSync(memsw, bytes);
  return limitAt(dir, limitMiB, 'memory.max_usage_in_bytes', 'memory.oom_control');
}

/** A cgroup's reading, from the files its version keeps its peak and its OOM kills in. */
function limitAt(dir: string, limitMiB: number, peakFile: string, oomFile: string): MemoryLimit {
  return {
    dir,
    limitMiB,
    peakBytes: () => numberIn(readText(join(dir, peakFile))),
    oomKills: () => oomKillsIn(readText(join(dir, oomFile)) ?? ''),
    remove: () => rmdirSync(dir),
  };
}

/** The `oom_kill N` line of v2's `memory.events` and of v1's `memory.oom_control`. */
export function oomKillsIn(text: string): number {
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match === null ? 0 : Number(match[1]);
}

function numberIn(text: string | undefined): number | undefined {
  const value = Number(text?.trim());
  return text === undefined || !Number.isFinite(value) ? undefined : value;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** How a run under the limit went, for a row's note. */
export function describeMemoryLimit(limit: MemoryLimit): string {
  const peak = limit.peakBytes();
  const kills = limit.oomKills();
  return `in a memory cgroup of ${limit.limitMiB} MiB: peak ${peak === undefined ? 'not reported' : `${Math.round(peak / 2 ** 20)} MiB`}, ${kills} OOM kill${kills === 1 ? '' : 's'}`;
}
