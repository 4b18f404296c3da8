import { ColumnSpec, ColumnType, TableSchema } from '../sink.port';
import { ClickHouseFeatures } from './clickhouse-features';
import { quoteIdentifier } from './clickhouse-literal';

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

/** ReplacingMergeTree keyed by the schema's key: a replayed row collapses into the stored one. */
export function createTableSql(
  database: string,
  table: string,
  schema: TableSchema,
  features: ClickHouseFeatures,
): string {
  const columns = schema.columns
    .map((c) => `${quoteIdentifier(c.name)} ${clickHouseType(c, features)}`)
    .join(', ');
  const sortingKey = [...new Set([...(schema.orderBy ?? []), ...schema.key])]
    .map(quoteIdentifier)
    .join(', ');
  const engine =
    schema.versionColumn === undefined
      ? 'ReplacingMergeTree()'
      : `ReplacingMergeTree(${quoteIdentifier(schema.versionColumn)})`;
  // Block-level deduplication of retried inserts needs a window on non-replicated tables.
  const settings = features.insertDeduplicationToken
    ? ' SETTINGS non_replicated_deduplication_window = 1000'
    : '';
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(table)} ` +
    `(${columns}) ENGINE = ${engine} ORDER BY (${sortingKey})${settings}`
  );
}
