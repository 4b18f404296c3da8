// The source task's rules, pure: which events it may pre-aggregate, and what it must
// remember across restarts to keep applying that rule.
import type { WindowSpec } from '@platform/contracts';
import { isLate } from '@platform/windowing';

/**
 * Whether a source task may fold an event at `t` into a partial, given `forwardedMax`, the
 * largest event time its partition has forwarded before it (-Infinity when none).
 *
 * The watermark of a stateful task is the minimum over the source partitions of what each
 * has forwarded, minus out-of-orderness, and partials are sent before this batch's progress
 * record; so downstream never judges them against more than `forwardedMax - ooo`. An event
 * that is on time against that bound is on time wherever it is merged. The others are
 * forwarded whole, so that the stage that decides can still send their bytes to `late.*`.
 */
export function combinable(window: WindowSpec, t: number, forwardedMax: number): boolean {
  return !isLate(window, t, forwardedMax - window.outOfOrdernessMs);
}

/** Committed with a source partition's offset: what it had forwarded, for the next owner. */
export interface SourceOffsetMetadata {
  /** Largest event time forwarded; null before the first event. */
  readonly forwardedMax: number | null;
}

export function sourceOffsetMetadata(forwardedMax: number): string {
  const value: SourceOffsetMetadata = {
    forwardedMax: Number.isFinite(forwardedMax) ? forwardedMax : null,
  };
  return JSON.stringify(value);
}

/**
 * The `forwardedMax` a new owner starts from. Offset 0: nothing was forwarded. A committed
 * offset without readable metadata (written by another version): unknown, so +Infinity,
 * and every event of that partition is forwarded whole, which is always exact.
 */
export function restoredForwardedMax(offset: bigint, metadata: string | null | undefined): number {
  if (offset === 0n) return -Infinity;
  try {
    const parsed: unknown = JSON.parse(metadata ?? '');
    if (typeof parsed === 'object' && parsed !== null && 'forwardedMax' in parsed) {
      const max = (parsed as { forwardedMax: unknown }).forwardedMax;
      if (max === null) return -Infinity;
      if (typeof max === 'number' && Number.isFinite(max)) return max;
    }
  } catch {
    // Falls through: unknown.
  }
  return Infinity;
}

/** Why a decoded value cannot be windowed, or null when it can. */
export function eventProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a record';
  const record = value as Readonly<Record<string, unknown>>;
  if (typeof record['event_id'] !== 'string') return 'event_id must be a string';
  const t = record['timestamp'];
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    return 'timestamp must be a finite number of epoch milliseconds';
  }
  return null;
}
