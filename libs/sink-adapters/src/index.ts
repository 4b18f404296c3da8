// The one public door of @platform/sink-adapters.
export type {
  AvroRows,
  Sink,
  SinkHealth,
  SinkMetrics,
  SinkValue,
  Row,
  SourceRow,
  QueryParams,
  QueryRow,
  WriteOptions,
  ColumnType,
  ColumnSpec,
  TableSchema,
} from './lib/sink.port';
export { COLUMN_TYPES, NOOP_SINK_METRICS } from './lib/sink.port';
export { SinkError, isSinkError } from './lib/sink.error';
export type { SinkErrorCode, SinkErrorOptions } from './lib/sink.error';
export { BaseSink } from './lib/base.sink';
export type { BaseSinkOptions } from './lib/base.sink';
export { SqlSink } from './lib/sql.sink';
export { isIdentity, mapRows, readPath } from './lib/column-mapping';
export { isIdentifier, assertIdentifier } from './lib/identifiers';
export { eventTableSchema, aggregateTableSchema, validateTableSchema } from './lib/table-schema';
export { ClickHouseSink } from './lib/clickhouse/clickhouse.sink';
export type { ClickHouseSinkOptions, ClickHouseConnection } from './lib/clickhouse/clickhouse.sink';
export {
  clickHouseFeatures,
  parseClickHouseVersion,
  FEATURE_THRESHOLDS,
} from './lib/clickhouse/clickhouse-features';
export type { ClickHouseFeatures } from './lib/clickhouse/clickhouse-features';
export { renderLiteral, bindParams, quoteIdentifier } from './lib/clickhouse/clickhouse-literal';
export { clickHouseType, createTableSql } from './lib/clickhouse/clickhouse-ddl';
export { PostgresSink } from './lib/postgres/postgres.sink';
export type { PostgresSinkOptions } from './lib/postgres/postgres.sink';
export { postgresType } from './lib/postgres/postgres-sql';
export {
  copyBinaryAvroWriter,
  copyBinaryBodyOf,
  copyBinaryWriter,
} from './lib/postgres/postgres-binary';
export { CsvSink } from './lib/csv/csv.sink';
export type { CsvSinkOptions } from './lib/csv/csv.sink';
export { MemorySink, collapseByKey, retractedBy } from './lib/memory/memory.sink';
export { coerceValue } from './lib/value-coercion';
export type { MemorySinkOptions } from './lib/memory/memory.sink';
export { SinkRegistry, createSinkRegistry } from './lib/registry/sink-registry';
export type { SinkFactory, BuiltInSinkOptions } from './lib/registry/sink-registry';
export { loadSinkPlugins } from './lib/registry/sink-plugins';
export type { SinkPlugin } from './lib/registry/sink-plugins';
export {
  SinkModule,
  SINKS,
  SINK_REGISTRY,
  SINK_MODULE_OPTIONS,
  buildSinkRegistry,
} from './lib/nest/sink.module';
export type { SinkModuleOptions } from './lib/nest/sink.module';
export {
  SINK_STREAMS,
  tableBindings,
  flattenWindow,
  rowKey,
  keyValue,
} from './lib/writes/table-bindings';
export type { SinkStream, TableBinding } from './lib/writes/table-bindings';
export {
  RETRACTED_HEADER,
  WritePlanError,
  isRetraction,
  planWrites,
} from './lib/writes/write-plan';
export type { PlanFailure, PlannedRow, SinkRecord, TablePlan } from './lib/writes/write-plan';
export { clickHouseDeleteStatement, postgresDeleteStatement } from './lib/writes/row-deleter';
export type { Statement } from './lib/writes/row-deleter';
export { planQuery, queryRequestSchema } from './lib/query/query-request';
export type {
  QueryRequest,
  QueryPlan,
  PlanResult,
  PlannedFilter,
  FilterValue,
  OutputColumn,
  ColumnKind,
} from './lib/query/query-request';
export {
  buildQuery,
  clickHouseDialect,
  postgresDialect,
  toOutputRows,
} from './lib/query/query-sql';
export type {
  BuiltQuery,
  SqlDialect,
  ClickHouseDialectOptions,
  OutputRow,
} from './lib/query/query-sql';
export { evaluateAggregates, evaluateSeries } from './lib/query/in-process-query';
export {
  BUCKET_START,
  buildSeriesQuery,
  FILLS,
  isSeriesRequest,
  planSeries,
  seriesRequestSchema,
  SERIES_FUNCTIONS,
  toSeriesRows,
} from './lib/query/series-query';
export type {
  Fill,
  SeriesFunction,
  SeriesMode,
  SeriesPlan,
  SeriesPlanResult,
  SeriesRequest,
  SeriesRows,
} from './lib/query/series-query';
export { INJECTION_CORPUS, LITERAL_KEYS } from './lib/query/injection-corpus';
// The shared contract every driver passes, as a Jest suite to run from a driver's spec.
export { describeSinkContract } from './lib/testing/sink-contract';
export type { SinkContractOptions } from './lib/testing/sink-contract';
