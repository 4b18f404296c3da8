import { BaseSink, BaseSinkOptions } from '../base.sink';
import { SinkError } from '../sink.error';
import { evaluateAggregates, evaluateSeries } from '../query/in-process-query';
import type { QueryPlan } from '../query/query-request';
import type { OutputRow } from '../query/query-sql';
import type { SeriesPlan, SeriesRows } from '../query/series-query';
import { Row, SinkHealth, SinkValue, SourceRow, TableSchema, WriteOptions } from '../sink.port';
import { coerceValue } from '../value-coercion';

export type MemorySinkOptions = BaseSinkOptions;

export function keyOf(schema: TableSchema, row: Readonly<Record<string, SinkValue>>): string {
  return JSON.stringify(schema.key.map((k) => String(row[k])));
}

/**
 * Whether `incoming` replaces `stored` under the real sinks' rules: with a version column,
 * only a strictly higher version wins (PostgreSQL's `WHERE target.version < EXCLUDED.version`);
 * without one, the stored row stays (an unversioned key names an immutable row, e.g. an event).
 */
export function replaces(
  schema: TableSchema,
  stored: Readonly<Record<string, SinkValue>> | undefined,
  incoming: Readonly<Record<string, SinkValue>>,
): boolean {
  if (stored === undefined) return true;
  if (schema.versionColumn === undefined) return false;
  return Number(incoming[schema.versionColumn]) > Number(stored[schema.versionColumn]);
}

/** Rows as a keyed table holds them: one per key, by the same rule as `replaces`. */
export function collapseByKey(
  schema: TableSchema,
  rows: Iterable<Record<string, SinkValue>>,
): Record<string, SinkValue>[] {
  const collapsed = new Map<string, Record<string, SinkValue>>();
  for (const row of rows) {
    const key = keyOf(schema, row);
    if (replaces(schema, collapsed.get(key), row)) collapsed.set(key, row);
  }
  return [...collapsed.values()];
}

/**
 * Whether a retraction in `rows` removes `stored`: the same key, and no newer version
 * (the SQL drivers' `version <= $n` guard).
 */
export function retractedBy(
  schema: TableSchema,
  rows: readonly SourceRow[],
): (stored: Readonly<Record<string, SinkValue>>) => boolean {
  const keyColumns = schema.key.map((k) => schema.columns.find((c) => c.name === k));
  const versions = new Map<string, number>();
  for (const row of rows) {
    const key: Record<string, SinkValue> = {};
    for (const spec of keyColumns) if (spec) key[spec.name] = coerceValue(spec, row[spec.name]);
    const version =
      schema.versionColumn === undefined ? Infinity : Number(row[schema.versionColumn]);
    const k = keyOf(schema, key);
    versions.set(k, Math.max(version, versions.get(k) ?? -Infinity));
  }
  return (stored) => {
    const version = versions.get(keyOf(schema, stored));
    if (version === undefined) return false;
    return schema.versionColumn === undefined || Number(stored[schema.versionColumn]) <= version;
  };
}

/**
 * An in-process sink for the tests of other services, with the same keyed upsert semantics
 * as ClickHouse (after FINAL) and PostgreSQL. Values are normalised as the real sinks store
 * them: timestamps as epoch ms, dates as `YYYY-MM-DD`.
 */
export class MemorySink extends BaseSink {
  readonly name = 'memory';
  private readonly tables = new Map<string, Map<string, Record<string, SinkValue>>>();
  private open = false;

  constructor(options: MemorySinkOptions = {}) {
    super(options);
  }

  async connect(): Promise<void> {
    this.open = true;
  }

  async close(): Promise<void> {
    this.open = false;
  }

  async healthCheck(): Promise<SinkHealth> {
    return {
      ok: this.open,
      latencyMs: 0,
      version: 'memory',
      ...(this.open ? {} : { error: 'closed' }),
    };
  }

  protected async createTableIn(table: string): Promise<void> {
    this.ensureOpen();
    if (!this.tables.has(table)) this.tables.set(table, new Map());
  }

  protected async writeRowsTo(
    table: string,
    schema: TableSchema,
    rows: readonly Row[],
    columns: readonly string[],
    _options: WriteOptions,
  ): Promise<void> {
    this.ensureOpen();
    const written = new Set(columns);
    // Coerce the whole batch first so a bad row leaves the table untouched, as a transaction would.
    const coerced = rows.map((row) => {
      const out: Record<string, SinkValue> = {};
      for (const column of schema.columns) {
        out[column.name] = coerceValue(column, written.has(column.name) ? row[column.name] : null);
      }
      return out;
    });
    const stored = this.tables.get(table) ?? new Map<string, Record<string, SinkValue>>();
    for (const row of coerced) {
      const key = keyOf(schema, row);
      if (replaces(schema, stored.get(key), row)) stored.set(key, row);
    }
    this.tables.set(table, stored);
  }

  protected async deleteRowsFrom(
    table: string,
    schema: TableSchema,
    rows: readonly SourceRow[],
  ): Promise<void> {
    const stored = this.storedIn(table);
    const retracted = retractedBy(schema, rows);
    for (const [key, row] of stored) if (retracted(row)) stored.delete(key);
  }

  async queryAggregates(plan: QueryPlan): Promise<OutputRow[]> {
    return evaluateAggregates(plan, [...this.storedIn(plan.table).values()]);
  }

  async querySeries(plan: SeriesPlan): Promise<SeriesRows> {
    return evaluateSeries(plan, [...this.storedIn(plan.table).values()]);
  }

  /** The rows of `table`, one per key, as stored (times in epoch ms). */
  rows(table: string): Record<string, SinkValue>[] {
    return [...this.storedIn(table).values()].map((row) => ({ ...row }));
  }

  private storedIn(table: string): Map<string, Record<string, SinkValue>> {
    this.ensureOpen();
    const stored = this.tables.get(table);
    if (!stored)
      throw new SinkError('UNKNOWN_TABLE', `memory: no table ${table}`, { sink: this.name });
    return stored;
  }

  private ensureOpen(): void {
    if (!this.open) {
      throw new SinkError('NOT_CONNECTED', 'memory: call connect() first', { sink: this.name });
    }
  }
}
