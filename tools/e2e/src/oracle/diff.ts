import { compareCodeUnits, stableJson } from './oracle';

/** A row as the oracle produces it, or as a test reads it back from a sink. */
export interface ComparableRow {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly group: Readonly<Record<string, unknown>>;
  readonly value: unknown;
  readonly eventCount: number;
}

export type RowDifferenceKind = 'missing' | 'extra' | 'duplicate' | 'value' | 'eventCount';

export interface RowDifference {
  readonly kind: RowDifferenceKind;
  /** `[start,end) {group}`: which row. */
  readonly key: string;
  readonly expected?: ComparableRow;
  readonly actual?: ComparableRow;
  /** One readable line. */
  readonly message: string;
}

export interface DiffOptions {
  /**
   * How far two numbers may differ and still be equal: `|a - b| <= tolerance * max(1, |a|, |b|)`
   * (absolute below 1, relative above). Default 1e-9. Integers in `eventCount` are exact.
   */
  readonly tolerance?: number;
}

export function rowKey(row: Pick<ComparableRow, 'windowStart' | 'windowEnd' | 'group'>): string {
  return `[${row.windowStart},${row.windowEnd}) ${stableJson(row.group)}`;
}

/** Numbers within the tolerance; anything else by its stable JSON. */
export function valuesEqual(a: unknown, b: unknown, tolerance = 1e-9): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return stableJson(a) === stableJson(b);
}

function index(
  rows: readonly ComparableRow[],
  side: 'expected' | 'actual',
  out: RowDifference[],
): Map<string, ComparableRow> {
  const byKey = new Map<string, ComparableRow>();
  for (const row of rows) {
    const key = rowKey(row);
    if (byKey.has(key)) {
      out.push({
        kind: 'duplicate',
        key,
        [side]: row,
        message: `duplicate ${side} row ${key}`,
      });
      continue;
    }
    byKey.set(key, row);
  }
  return byKey;
}

/**
 * The differences between expected and actual rows, matched by (window, group), in row-key
 * order: rows missing from `actual`, extra rows in it, duplicated keys, and differing values
 * or event counts. Empty when they agree.
 */
export function diffRows(
  expected: readonly ComparableRow[],
  actual: readonly ComparableRow[],
  options: DiffOptions = {},
): RowDifference[] {
  const tolerance = options.tolerance ?? 1e-9;
  const out: RowDifference[] = [];
  const want = index(expected, 'expected', out);
  const got = index(actual, 'actual', out);
  const keys = [...new Set([...want.keys(), ...got.keys()])].sort(compareCodeUnits);
  for (const key of keys) {
    const e = want.get(key);
    const a = got.get(key);
    if (a === undefined && e !== undefined) {
      out.push({
        kind: 'missing',
        key,
        expected: e,
        message: `missing ${key}: expected value ${stableJson(e.value)}, eventCount ${e.eventCount}`,
      });
    } else if (e === undefined && a !== undefined) {
      out.push({
        kind: 'extra',
        key,
        actual: a,
        message: `extra ${key}: value ${stableJson(a.value)}, eventCount ${a.eventCount}`,
      });
    } else if (e !== undefined && a !== undefined) {
      if (!valuesEqual(e.value, a.value, tolerance)) {
        out.push({
          kind: 'value',
          key,
          expected: e,
          actual: a,
          message: `value differs at ${key}: expected ${stableJson(e.value)}, actual ${stableJson(a.value)}`,
        });
      }
      if (e.eventCount !== a.eventCount) {
        out.push({
          kind: 'eventCount',
          key,
          expected: e,
          actual: a,
          message: `eventCount differs at ${key}: expected ${e.eventCount}, actual ${a.eventCount}`,
        });
      }
    }
  }
  return out;
}

/** The differences as text for a test failure message, at most `limit` lines plus a summary. */
export function formatDifferences(differences: readonly RowDifference[], limit = 50): string {
  if (differences.length === 0) return 'no differences';
  const counts = new Map<RowDifferenceKind, number>();
  for (const d of differences) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
  const summary = [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
  const lines = differences.slice(0, limit).map((d) => `  ${d.message}`);
  if (differences.length > limit) lines.push(`  ... and ${differences.length - limit} more`);
  return [`${differences.length} differences (${summary}):`, ...lines].join('\n');
}
