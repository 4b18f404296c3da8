import { BaseSink, BaseSinkOptions } from '../base.sink';
import { SinkError } from '../sink.error';
import {
  QueryParams,
  QueryRow,
  Row,
  SinkHealth,
  SinkValue,
  TableSchema,
  WriteOptions,
} from '../sink.port';
import { coerceValue } from '../value-coercion';

export type MemorySinkOptions = BaseSinkOptions;

/** `SELECT * FROM <table> [FINAL]`: the one query the in-process drivers understand. */
export const READ_ALL =
  /^\s*select\s+\*\s+from\s+[`"]?([A-Za-z_][A-Za-z0-9_]*)[`"]?(\s+final)?\s*;?\s*$/i;

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

  async query(sql: string, _params?: QueryParams): Promise<QueryRow[]> {
    this.ensureOpen();
    const match = READ_ALL.exec(sql);
    if (!match) {
      throw new SinkError(
        'SYNTAX',
        `memory: only "SELECT * FROM <table>" is supported, got: ${sql}`,
        {
          sink: this.name,
        },
      );
    }
    const table = this.tables.get(match[1]);
    if (!table)
      throw new SinkError('UNKNOWN_TABLE', `memory: no table ${match[1]}`, { sink: this.name });
    return [...table.values()].map((row) => ({ ...row }));
  }

  private ensureOpen(): void {
    if (!this.open) {
      throw new SinkError('NOT_CONNECTED', 'memory: call connect() first', { sink: this.name });
    }
  }
}
