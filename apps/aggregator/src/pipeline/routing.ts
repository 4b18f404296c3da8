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
  /**
   * Largest event time forwarded; null before the first event; `"Infinity"` when every later
   * event is forwarded whole: a run-once closed the app id's windows for good, or an owner
   * found no bound it could trust.
   */
  readonly forwardedMax: number | null | typeof UNBOUNDED;
}

const UNBOUNDED = 'Infinity';

export function sourceOffsetMetadata(forwardedMax: number): string {
  const value: SourceOffsetMetadata = {
    forwardedMax:
      forwardedMax === Infinity ? UNBOUNDED : Number.isFinite(forwardedMax) ? forwardedMax : null,
  };
  return JSON.stringify(value);
}

/**
 * The `forwardedMax` a new owner starts from, or null when the metadata committed with the
 * offset says nothing readable (another version wrote it): the caller then forwards every
 * event whole, which is always exact. At offset 0 nothing was forwarded, unless a run-once
 * closed the partition before anything came to it.
 */
export function restoredForwardedMax(
  offset: bigint,
  metadata: string | null | undefined,
): number | null {
  let max: unknown;
  try {
    const parsed: unknown = JSON.parse(metadata ?? '');
    if (typeof parsed === 'object' && parsed !== null && 'forwardedMax' in parsed) {
      max = (parsed as { forwardedMax: unknown }).forwardedMax;
    }
  } catch {
    // Unreadable: unknown past offset 0.
  }
  if (max === UNBOUNDED) return Infinity;
  if (offset === 0n || max === null) return -Infinity;
  return typeof max === 'number' && Number.isFinite(max) ? max : null;
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
