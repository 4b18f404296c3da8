// Garbage-collection pauses of a service under a bench's load, read from outside the process.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Pauses of one kind of collection. */
export interface PauseTotals {
  readonly count: number;
  readonly ms: number;
  readonly maxMs: number;
}

/** Scavenges (minor), mark-compacts (major), incremental marking steps, weak callbacks. */
export type GcPauses = Readonly<Record<'minor' | 'major' | 'incremental' | 'weak', PauseTotals>>;

const KINDS = ['minor', 'major', 'incremental', 'weak'] as const;

/**
 * A `--require` script: a `gc` performance observer records each pause (its end as epoch ms,
 * and its duration) by kind, and writes them all to `file` after each batch of entries, so a
 * bench reads them when it likes without a signal (SIGUSR2 belongs to the CPU profiler's
 * preload). A bench's run makes hundreds of pauses at most: the file stays small.
 */
function preloadScript(file: string): string {
  return `
const { performance, PerformanceObserver, constants: c } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');
const kinds = {
  [c.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [c.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [c.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [c.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
const pauses = {};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = kinds[entry.detail.kind];
    if (kind === undefined) continue;
    const at = performance.timeOrigin + entry.startTime + entry.duration;
    (pauses[kind] ??= []).push([at, entry.duration]);
  }
  writeFileSync(${JSON.stringify(file)}, JSON.stringify(pauses));
}).observe({ entryTypes: ['gc'] });
`;
}

/** The GC pause log of one service process: its preload, and its pauses in a time window. */
export class GcPauseLog {
  readonly preload: string;
  private readonly file: string;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'gc-pauses-'));
    this.file = join(dir, 'pauses.json');
    this.preload = join(dir, 'preload.js');
    writeFileSync(this.preload, preloadScript(this.file));
  }

  /**
   * The pauses that ended between two moments of this process's `performance.now()` (the
   * preload records epoch ms, on the same wall clock), by kind.
   */
  between(from: number, to: number): GcPauses {
    const fromMs = performance.timeOrigin + from;
    const toMs = performance.timeOrigin + to;
    const seen = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as Partial<
          Record<string, readonly (readonly [number, number])[]>
        >)
      : {};
    const totals = (kind: string): PauseTotals => {
      const inWindow = (seen[kind] ?? []).filter(([at]) => at >= fromMs && at <= toMs);
      return {
        count: inWindow.length,
        ms: inWindow.reduce((sum, [, ms]) => sum + ms, 0),
        maxMs: inWindow.reduce((max, [, ms]) => Math.max(max, ms), 0),
      };
    };
    return Object.fromEntries(KINDS.map((k) => [k, totals(k)])) as GcPauses;
  }
}

/** The share of `seconds` spent in these pauses, as a percentage. */
export function pausePercent(pauses: GcPauses, seconds: number): number {
  return KINDS.reduce((sum, k) => sum + pauses[k].ms, 0) / (10 * seconds);
}

/** `minor 55 pauses, 2,081 ms, longest 143 ms; major 5, 102 ms, longest 46 ms` */
export function describePauses(pauses: GcPauses): string {
  const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')} ms`;
  return (['minor', 'major'] as const)
    .map(
      (k) => `${k} ${pauses[k].count} pauses, ${ms(pauses[k].ms)}, longest ${ms(pauses[k].maxMs)}`,
    )
    .join('; ');
}
