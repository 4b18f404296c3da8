import type { QueryPlan } from './query/query-request';
import type { OutputRow } from './query/query-sql';
import type { SeriesPlan, SeriesRows } from './query/series-query';

/** A value a sink stores. Timestamps are epoch milliseconds (or a Date); dates are `YYYY-MM-DD`. */
export type SinkValue = string | number | bigint | boolean | Date | null;

/** One row to write, keyed by table column name. A missing column is stored as NULL. */
export type Row = Readonly<Record<string, SinkValue | undefined>>;

/** A row as produced upstream, possibly nested (`{ window: { start } }`), before column mapping. */
export type SourceRow = Readonly<Record<string, unknown>>;

export const COLUMN_TYPES = [
  'string',
  'int',
  'long',
  'float',
  'double',
  'boolean',
  'timestamp',
  'datetime',
  'date',
] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable?: boolean;
}

export interface TableSchema {
  readonly columns: readonly ColumnSpec[];
  /**
   * Extra sort columns, placed before the key in ClickHouse's ORDER BY (e.g. an event's
   * timestamp). They must be determined by the key: ReplacingMergeTree collapses rows on the
   * whole sorting key.
   */
  readonly orderBy?: readonly string[];
  /** The row's identity: a replayed row with the same key replaces (or is ignored by) the stored one. */
  readonly key: readonly string[];
  /** When set, the row with the higher version wins; an equal or older version changes nothing. */
  readonly versionColumn?: string;
  /**
   * A time series: stored by `column` (a key-determined time), in daily PostgreSQL partitions
   * (or TimescaleDB chunks), and kept for `retentionMs` when set (ClickHouse TTL, dropped
   * partitions). See README, "Time series".
   */
  readonly timeSeries?: { readonly column: string; readonly retentionMs?: number };
}

export interface SinkHealth {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly version?: string;
  readonly error?: string;
}

/**
 * Parameters of the SQL drivers' own `query` (not part of the port): named (`{name:Type}`,
 * ClickHouse) or positional (`$1`, PostgreSQL).
 */
export type QueryParams = Readonly<Record<string, SinkValue>> | readonly SinkValue[];

export type QueryRow = Record<string, unknown>;

export interface WriteOptions {
  /**
   * The upstream batch this write belongs to. The same batch id with the same rows is the
   * same write: sinks that can (ClickHouse ≥ 22.2) use it as a deduplication token.
   */
  readonly batchId?: string;
}

/**
 * Rows as the framed Avro values they were consumed as (Confluent wire format: magic byte,
 * schema id, payload), every column of the table named as its field.
 */
export interface AvroRows {
  /** One framed value per row. */
  readonly values: readonly Buffer[];
  /** The same rows decoded at least to their key and time columns (partitioning reads them). */
  readonly rows: readonly Row[];
  /** The writer schema (Avro JSON) of a schema id that a value carries. */
  writerSchema(schemaId: number): unknown;
  /** A value decoded whole, for a writer schema the sink does not read from the bytes. */
  decode(value: Buffer): SourceRow;
}

/** The port every storage backend implements. All methods throw `SinkError` on failure. */
export interface Sink {
  /** The registry name of the driver, e.g. `clickhouse`. */
  readonly name: string;
  connect(): Promise<void>;
  /** Idempotent: CREATE ... IF NOT EXISTS. Declares the schema that `writeRows` relies on. */
  createTable(table: string, schema: TableSchema): Promise<void>;
  /** Writes (upserts by the table's key) the given columns of `rows`; returns the rows sent. */
  writeRows(
    table: string,
    rows: readonly Row[],
    columns: readonly string[],
    options?: WriteOptions,
  ): Promise<number>;
  /**
   * Maps source rows through `columnMapping` (source path → column, e.g. `window.start` →
   * `window_start`), writes them and records metrics. Returns the number of rows written.
   */
  writeBatch(
    rows: readonly SourceRow[],
    batchId: string | number,
    table: string,
    columnMapping: Readonly<Record<string, string>>,
  ): Promise<number>;
  /**
   * `writeBatch` of the decoded values with the identity mapping, given the values' bytes: a
   * sink that can writes its format straight from them (no object per row). Optional: a
   * sink without it is given the decoded rows through `writeBatch`.
   */
  writeAvroBatch?(rows: AvroRows, batchId: string | number, table: string): Promise<number>;
  /**
   * Deletes rows by key (retracted windows), keeping any row whose version is newer than the
   * row given: a retraction replayed after a re-emission changes nothing.
   */
  deleteWindows(table: string, rows: readonly SourceRow[]): Promise<void>;
  /**
   * Answers a validated aggregate query (`planQuery`). The driver renders its own SQL or
   * evaluates the plan itself; a table it does not have is a `SinkError` `UNKNOWN_TABLE`.
   */
  queryAggregates(plan: QueryPlan): Promise<OutputRow[]>;
  /** Answers a validated time-series query (`planSeries`), as `queryAggregates` does. */
  querySeries(plan: SeriesPlan): Promise<SeriesRows>;
  healthCheck(): Promise<SinkHealth>;
  close(): Promise<void>;
}

/** Where sink writes are counted. The observability lib provides the Prometheus one. */
export interface SinkMetrics {
  recordWrite(
    sink: string,
    table: string,
    rows: number,
    latencySeconds: number,
    success: boolean,
  ): void;
  /**
   * A write found some of its rows stored already (a replay after a crash) and took the
   * slower idempotent path (PostgreSQL's staging table and upsert).
   */
  recordConflict?(sink: string, table: string, rows: number): void;
}

export const NOOP_SINK_METRICS: SinkMetrics = {
  recordWrite: () => undefined,
};
