import { stableJson } from './oracle';
import type { ComparableRow } from './diff';

export interface TableOptions {
  /** Print at most this many rows (default 100), then a line saying how many were left out. */
  readonly limit?: number;
  /** Print window bounds as ISO-8601 UTC instead of epoch milliseconds. */
  readonly iso?: boolean;
}

function time(ms: number, iso: boolean): string {
  if (!iso) return String(ms);
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** A readable fixed-width table of rows: window_start, window_end, group, value, event_count. */
export function formatRows(rows: readonly ComparableRow[], options: TableOptions = {}): string {
  const limit = options.limit ?? 100;
  const iso = options.iso ?? false;
  const header = ['window_start', 'window_end', 'group', 'value', 'event_count'];
  const body = rows
    .slice(0, limit)
    .map((r) => [
      time(r.windowStart, iso),
      time(r.windowEnd, iso),
      stableJson(r.group),
      stableJson(r.value),
      String(r.eventCount),
    ]);
  const widths = header.map((h, i) =>
    body.reduce((w, cells) => Math.max(w, cells[i].length), h.length),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)];
  if (rows.length > limit) out.push(`(${rows.length - limit} more rows)`);
  return out.join('\n');
}
