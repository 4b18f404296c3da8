// `--console` (seed 002 write_console): the results as a readable, fixed-width table.
import type { EmittedRow } from '../pipeline/aggregator-runner';

/** What a sink holds after applying `rows` in order: the latest row per (aggregation, key). */
export class LatestRows {
  private readonly rows = new Map<string, EmittedRow>();

  apply(batch: readonly EmittedRow[]): void {
    for (const row of batch) {
      const k = `${row.aggregation}\u0000${row.key}`;
      if (row.retracted) this.rows.delete(k);
      else this.rows.set(k, row);
    }
  }

  list(): EmittedRow[] {
    return [...this.rows.values()];
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toFixed(4);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const iso = (value: unknown): string =>
  typeof value === 'number' ? new Date(value).toISOString() : cell(value);

/** One table per aggregation, rows sorted by window start then group. */
export function formatTable(rows: readonly EmittedRow[]): string {
  const byAggregation = new Map<string, EmittedRow[]>();
  for (const row of rows) {
    const list = byAggregation.get(row.aggregation) ?? [];
    list.push(row);
    byAggregation.set(row.aggregation, list);
  }
  const out: string[] = [];
  for (const [aggregation, list] of [...byAggregation].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const fixed = ['window_start', 'window_end', 'value', 'event_count', 'version'];
    const groupFields = Object.keys(list[0]?.record ?? {}).filter((k) => !fixed.includes(k));
    const header = [
      'window_start',
      'window_end',
      ...groupFields,
      'value',
      'event_count',
      'version',
    ];
    const sorted = [...list].sort(
      (a, b) =>
        Number(a.record['window_start']) - Number(b.record['window_start']) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    const body = sorted.map((r) => [
      iso(r.record['window_start']),
      iso(r.record['window_end']),
      ...groupFields.map((f) => cell(r.record[f])),
      cell(r.record['value']),
      cell(r.record['event_count']),
      cell(r.record['version']),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
    const line = (cells: readonly string[]): string =>
      cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
    out.push(`${aggregation} (${list.length} rows)`);
    out.push(line(header));
    out.push(widths.map((w) => '-'.repeat(w)).join('-+-'));
    for (const row of body) out.push(line(row));
    out.push('');
  }
  return out.join('\n');
}
