// The watermark of one repartition partition: the minimum over the source partitions of the
// largest event time each has forwarded (Flink's rule for a task with several inputs), so
// the watermark never runs ahead of a source partition that is behind.
import { sourceClockKey } from './keys';

export interface SourceClockState {
  /** Largest event time seen from the source partition; null before its first. */
  readonly maxTime: number | null;
  /** Source offset up to which (exclusive) that partition has been forwarded. */
  readonly upto: string;
}

export class SourceClock {
  private readonly maxTime: (number | null)[];
  private readonly upto: bigint[];
  private readonly changed = new Set<number>();

  constructor(readonly sourcePartitions: number) {
    this.maxTime = Array.from({ length: sourcePartitions }, () => null);
    this.upto = Array.from({ length: sourcePartitions }, () => 0n);
  }

  /** An event of source partition `q` at `t`. */
  observe(q: number, t: number): void {
    this.check(q);
    const current = this.maxTime[q];
    if (current === null || t > current) {
      this.maxTime[q] = t;
      this.changed.add(q);
    }
  }

  /** A progress record: source partition `q` forwarded everything before `upto`. */
  progress(q: number, maxTime: number | null, upto: bigint): void {
    if (maxTime !== null) this.observe(q, maxTime);
    if (upto > this.upto[q]) {
      this.upto[q] = upto;
      this.changed.add(q);
    }
  }

  /** Whether any source partition has sent an event time (restored state included). */
  get heardAny(): boolean {
    return this.maxTime.some((t) => t !== null);
  }

  /** min over source partitions of their largest event time, minus `outOfOrdernessMs`. */
  watermark(outOfOrdernessMs: number): number {
    return this.activeWatermark(outOfOrdernessMs, []) ?? -Infinity;
  }

  /**
   * The watermark over the partitions not marked `idle` (Flink's idleness: an idle partition
   * does not hold the others back); null when every partition is idle.
   */
  activeWatermark(outOfOrdernessMs: number, idle: readonly boolean[]): number | null {
    let min = Infinity;
    for (let q = 0; q < this.maxTime.length; q++) {
      if (idle[q] === true) continue;
      const t = this.maxTime[q];
      if (t === null) return -Infinity;
      if (t < min) min = t;
    }
    return min === Infinity ? null : min - outOfOrdernessMs;
  }

  /** True when every source partition has been forwarded up to its target offset. */
  reached(targets: readonly bigint[]): boolean {
    return this.upto.every((u, q) => u >= (targets[q] ?? 0n));
  }

  uptoOf(q: number): bigint {
    this.check(q);
    return this.upto[q];
  }

  /** Changelog entries of the partitions changed since the last call. */
  takeChangelog(): { key: string; value: SourceClockState }[] {
    const out = [...this.changed]
      .sort((a, b) => a - b)
      .map((q) => ({
        key: sourceClockKey(q),
        value: { maxTime: this.maxTime[q], upto: this.upto[q].toString() },
      }));
    this.changed.clear();
    return out;
  }

  /** Applies a restored `src/<q>` value (unknown partitions are ignored: the topic shrank?). */
  restore(q: number, value: unknown): void {
    if (q < 0 || q >= this.sourcePartitions) return;
    if (typeof value !== 'object' || value === null) return;
    const v = value as Record<string, unknown>;
    const maxTime = v['maxTime'];
    const upto = v['upto'];
    this.maxTime[q] = typeof maxTime === 'number' && Number.isFinite(maxTime) ? maxTime : null;
    this.upto[q] = typeof upto === 'string' && /^\d+$/.test(upto) ? BigInt(upto) : 0n;
  }

  private check(q: number): void {
    if (!Number.isSafeInteger(q) || q < 0 || q >= this.sourcePartitions) {
      throw new RangeError(`source partition ${q} is outside 0..${this.sourcePartitions - 1}`);
    }
  }
}
