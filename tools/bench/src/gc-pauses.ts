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
 * A `--require` script: a `gc` performance observer appends each pause to `file`, one JSON line
 * per pause (kind, end as epoch ms, duration), after each batch of entries, so a bench reads
 * them when it likes without a signal (SIGUSR2 belongs to the CPU profiler's preload). Appending
 * costs the service only its new pauses, and a reader that meets a line still being written
 * leaves it out.
 */
function preloadScript(file: string): string {
  return `
const { performance, PerformanceObserver, constants: c } = require('node:perf_hooks');
const { appendFileSync } = require('node:fs');
const kinds = {
  [c.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [c.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [c.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [c.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
};
new PerformanceObserver((list) => {
  let lines = '';
  for (const entry of list.getEntries()) {
    const kind = kinds[entry.detail.kind];
    if (kind === undefined) continue;
    const at = performance.timeOrigin + entry.startTime + entry.duration;
    lines += JSON.stringify([kind, at, entry.duration]) + '\\n';
  }
  if (lines !== '') appendFileSync(${JSON.stringify(file)}, lines);
}).observe({ entryTypes: ['gc'] });
`;
}

/** The GC pause log of one service process: its preload, and its pauses in a time window. */
export class GcPauseLog {
  readonly preload: string;
  private readonly file: string;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'gc-pauses-'));
    this.file = join(dir, 'pauses.ndjson');
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
    // The last piece is empty, or a line still being appended.
    const lines = existsSync(this.file)
      ? readFileSync(this.file, 'utf8').split('\n').slice(0, -1)
      : [];
    const seen = lines.map((line) => JSON.parse(line) as readonly [string, number, number]);
    const totals = (kind: string): PauseTotals => {
      const inWindow = seen.filter(([k, at]) => k === kind && at >= fromMs && at <= toMs);
      return {
        count: inWindow.length,
        ms: inWindow.reduce((sum, [, , ms]) => sum + ms, 0),
        maxMs: inWindow.reduce((max, [, , ms]) => Math.max(max, ms), 0),
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
