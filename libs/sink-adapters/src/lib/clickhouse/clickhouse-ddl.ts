import { ColumnSpec, ColumnType, TableSchema } from '../sink.port';
import { ClickHouseFeatures } from './clickhouse-features';
import { escapeString, quoteIdentifier } from './clickhouse-literal';

const quoteString = (value: string): string => `'${escapeString(value)}'`;

/**
 * The column mapping, with times at millisecond precision:
 * DateTime64(3, 'UTC') where the server has it, epoch ms in Int64 otherwise.
 */
export function clickHouseBaseType(type: ColumnType, features: ClickHouseFeatures): string {
  switch (type) {
    case 'string':
      return 'String';
    case 'int':
    case 'long':
      return 'Int64';
    case 'float':
    case 'double':
      return 'Float64';
    case 'boolean':
      return 'UInt8';
    case 'timestamp':
    case 'datetime':
      return features.dateTime64 ? "DateTime64(3, 'UTC')" : 'Int64';
    case 'date':
      return 'Date';
  }
}

export function clickHouseType(column: ColumnSpec, features: ClickHouseFeatures): string {
  const base = clickHouseBaseType(column.type, features);
  return column.nullable ? `Nullable(${base})` : base;
}

/** `ON CLUSTER '<cluster>'` for DDL that every replica runs, or nothing on one server. */
export function onCluster(cluster: string | undefined): string {
  return cluster === undefined ? '' : ` ON CLUSTER ${quoteString(cluster)}`;
}

/** Where a replicated table keeps its parts' metadata in Keeper: one path per shard and table. */
export function keeperPath(database: string, table: string): string {
  return `/clickhouse/tables/{shard}/${database}/${table}`;
}

export function createDatabaseSql(database: string, cluster?: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}${onCluster(cluster)}`;
}

/**
 * ReplacingMergeTree keyed by the schema's key: a replayed row collapses into the stored one.
 * With a `cluster` (`clickhouse.cluster`, the operator's cluster name), the table is created
 * `ON CLUSTER` as ReplicatedReplacingMergeTree, its Keeper path and replica name taken from
 * the `{shard}` and `{replica}` macros every server of the cluster defines.
 */
export function createTableSql(
  database: string,
  table: string,
  schema: TableSchema,
  features: ClickHouseFeatures,
  cluster?: string,
): string {
  const columns = schema.columns
    .map((c) => `${quoteIdentifier(c.name)} ${clickHouseType(c, features)}`)
    .join(', ');
  const sortingKey = [...new Set([...(schema.orderBy ?? []), ...schema.key])]
    .map(quoteIdentifier)
    .join(', ');
  const version = schema.versionColumn === undefined ? [] : [quoteIdentifier(schema.versionColumn)];
  const engine =
    cluster === undefined
      ? `ReplacingMergeTree(${version.join(', ')})`
      : `ReplicatedReplacingMergeTree(${[
          quoteString(keeperPath(database, table)),
          quoteString('{replica}'),
          ...version,
        ].join(', ')})`;
  // Block-level deduplication of retried inserts needs a window on non-replicated tables;
  // replicated tables deduplicate through Keeper.
  const settings =
    features.insertDeduplicationToken && cluster === undefined
      ? ' SETTINGS non_replicated_deduplication_window = 1000'
      : '';
  const ttl = retentionTtl(schema, features);
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(table)}${onCluster(cluster)} ` +
    `(${columns}) ENGINE = ${engine} ORDER BY (${sortingKey})${ttl === undefined ? '' : ` ${ttl}`}${settings}`
  );
}

/** A time series' time column as a DateTime (epoch ms in Int64 on servers before 20.1). */
function timeAsDateTime(column: string, features: ClickHouseFeatures): string {
  return features.dateTime64
    ? `toDateTime(${quoteIdentifier(column)})`
    : `toDateTime(intDiv(${quoteIdentifier(column)}, 1000))`;
}

/** `TTL <time> + INTERVAL <retention> SECOND` of a time series with a retention (server ≥ 19.6). */
export function retentionTtl(
  schema: TableSchema,
  features: ClickHouseFeatures,
): string | undefined {
  const series = schema.timeSeries;
  if (series?.retentionMs === undefined || !features.ttl) return undefined;
  return `TTL ${timeAsDateTime(series.column, features)} + INTERVAL ${Math.round(series.retentionMs / 1000)} SECOND`;
}

/**
 * Retention on a server without TTL: a mutation deleting the rows older than the retention
 * at `nowMs` (applied in the background, like any ClickHouse delete).
 */
export function retentionDeleteSql(
  database: string,
  table: string,
  schema: TableSchema,
  nowMs: number,
): string | undefined {
  const series = schema.timeSeries;
  if (series?.retentionMs === undefined) return undefined;
  const cutoff = Math.trunc(nowMs - series.retentionMs);
  return (
    `ALTER TABLE ${quoteIdentifier(database)}.${quoteIdentifier(table)} ` +
    `DELETE WHERE ${quoteIdentifier(series.column)} < ${cutoff}`
  );
}
