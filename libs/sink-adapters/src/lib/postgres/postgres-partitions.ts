import { MAX_EVENT_TABLE_LENGTH } from '@platform/contracts';
import type { TableSchema } from '../sink.port';
import { pgIdent, pgQualified, postgresType } from './postgres-sql';

/**
 * Time-series tables in PostgreSQL, pure: DDL and partition arithmetic. Without TimescaleDB a
 * table is partitioned by range of its time column, one partition per UTC day, named
 * `<table>_pYYYYMMDD`; with TimescaleDB it is a hypertable of daily chunks with compression
 * and retention policies. Either way the primary key is the table's key plus the time column
 * (PostgreSQL requires the partition key in every unique key), which keeps a replayed event
 * (same event_id, same timestamp) to one row.
 */

export const DAY_MS = 86_400_000;

/** What the server offers, read at connect. */
export interface PostgresFeatures {
  readonly version: string;
  /** The TimescaleDB extension is installed on the server (pg_available_extensions). */
  readonly timescaledb: boolean;
}

/** Pure: features from the server version and the names of the available extensions. */
export function postgresFeatures(version: string, extensions: readonly string[]): PostgresFeatures {
  return { version, timescaledb: extensions.includes('timescaledb') };
}

/** The primary key of a time-series table: the key, then the time column. */
export function timeSeriesKey(schema: TableSchema): readonly string[] {
  const column = schema.timeSeries?.column;
  return column === undefined || schema.key.includes(column) ? schema.key : [...schema.key, column];
}

function columnsSql(schema: TableSchema): string {
  const key = new Set(timeSeriesKey(schema));
  return schema.columns
    .map(
      (c) =>
        `${pgIdent(c.name)} ${postgresType(c.type)}${key.has(c.name) || c.nullable !== true ? ' NOT NULL' : ''}`,
    )
    .join(', ');
}

/** `CREATE TABLE ... PARTITION BY RANGE (<time>)` with the key and time as primary key. */
export function partitionedTableSql(pgSchema: string, table: string, schema: TableSchema): string {
  const column = requireColumn(schema);
  return (
    `CREATE TABLE IF NOT EXISTS ${pgQualified(pgSchema, table)} (${columnsSql(schema)}, ` +
    `PRIMARY KEY (${timeSeriesKey(schema).map(pgIdent).join(', ')})) ` +
    `PARTITION BY RANGE (${pgIdent(column)})`
  );
}

/** The statements that make a TimescaleDB hypertable of daily chunks, compressed after a week. */
export function hypertableSql(pgSchema: string, table: string, schema: TableSchema): string[] {
  const column = requireColumn(schema);
  const qualified = pgQualified(pgSchema, table);
  const literal = `'${pgSchema}.${table}'`;
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${qualified} (${columnsSql(schema)}, ` +
      `PRIMARY KEY (${timeSeriesKey(schema).map(pgIdent).join(', ')}))`,
    `SELECT create_hypertable(${literal}::regclass, '${column}', chunk_time_interval => interval '1 day', if_not_exists => true)`,
    `ALTER TABLE ${qualified} SET (timescaledb.compress, timescaledb.compress_orderby = '${column} DESC')`,
    `SELECT add_compression_policy(${literal}::regclass, interval '7 days', if_not_exists => true)`,
  ];
  if (schema.timeSeries?.retentionMs !== undefined) {
    statements.push(
      `SELECT add_retention_policy(${literal}::regclass, interval '${Math.round(schema.timeSeries.retentionMs / 1000)} seconds', if_not_exists => true)`,
    );
  }
  return statements;
}

/** The UTC day (as its first epoch ms) that holds `ms`. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** `<table>_pYYYYMMDD` (the table part cut so the name fits 63 characters; the domain keeps tables that short). */
export function partitionName(table: string, dayMs: number): string {
  const d = new Date(dayMs).toISOString();
  return `${table.slice(0, MAX_EVENT_TABLE_LENGTH)}_p${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}`;
}

/** The day a partition name stands for, or undefined if it is not one of ours. */
export function partitionDay(table: string, name: string): number | undefined {
  const prefix = `${table.slice(0, MAX_EVENT_TABLE_LENGTH)}_p`;
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(name.slice(prefix.length));
  return m === null ? undefined : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/**
 * The statements that make a day's partition: the table, then its attachment. Attaching
 * takes a SHARE UPDATE EXCLUSIVE lock on the parent, which readers and writers of the table do
 * not wait for (`CREATE TABLE ... PARTITION OF` takes ACCESS EXCLUSIVE, which would queue
 * every reader behind it); the primary key index is made on the partition as it attaches.
 * Run `attach` only when the partition is not attached yet (see `partitionDays`).
 */
export function createPartitionSql(
  pgSchema: string,
  table: string,
  dayMs: number,
): { readonly create: string; readonly attach: string } {
  const from = new Date(dayMs).toISOString();
  const to = new Date(dayMs + DAY_MS).toISOString();
  const partition = pgQualified(pgSchema, partitionName(table, dayMs));
  const parent = pgQualified(pgSchema, table);
  return {
    create:
      `CREATE TABLE IF NOT EXISTS ${partition} ` +
      `(LIKE ${parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    attach: `ALTER TABLE ${parent} ATTACH PARTITION ${partition} FOR VALUES FROM ('${from}') TO ('${to}')`,
  };
}

export interface PartitionPlan {
  /** Days to create: today and the next `aheadDays`. */
  readonly create: readonly number[];
  /** Partitions (by day) whose every row is older than the retention. */
  readonly drop: readonly number[];
}

/**
 * Pure: what the maintenance job does at `nowMs` given the days that exist: make the
 * partitions of today and `aheadDays` days ahead, and drop every partition that ends at or
 * before `now - retention`.
 */
export function planPartitions(
  existing: readonly number[],
  nowMs: number,
  aheadDays: number,
  retentionMs: number | undefined,
): PartitionPlan {
  const have = new Set(existing);
  const today = dayOf(nowMs);
  const create: number[] = [];
  for (let d = 0; d <= aheadDays; d++) {
    const day = today + d * DAY_MS;
    if (!have.has(day)) create.push(day);
  }
  const drop =
    retentionMs === undefined
      ? []
      : existing.filter((day) => day + DAY_MS <= nowMs - retentionMs).sort((a, b) => a - b);
  return { create, drop };
}

function requireColumn(schema: TableSchema): string {
  const column = schema.timeSeries?.column;
  if (column === undefined) throw new Error('not a time-series table');
  return column;
}
