import { WINDOW_END, WINDOW_START, type FieldType, type FilterOperator } from '@platform/contracts';
import { assertIdentifier } from '../identifiers';
import type { SinkValue } from '../sink.port';
import type { OutputColumn, PlannedFilter, QueryPlan } from './query-request';

/**
 * SQL for a validated {@link QueryPlan}. Identifiers come from the contract (and pass the
 * sink's identifier check again here); every value is a bound parameter: `{pN:Type}` for
 * ClickHouse, `$N` for PostgreSQL. Nothing from the request is ever spliced into the text.
 */

export interface BuiltQuery {
  readonly sql: string;
  /** Named for ClickHouse, positional for PostgreSQL. */
  readonly params: Readonly<Record<string, SinkValue>> | readonly SinkValue[];
}

export interface SqlDialect {
  readonly name: 'clickhouse' | 'postgres';
  /** Fully qualified, quoted table name. */
  table(name: string): string;
  ident(name: string): string;
  /** Adds a parameter and returns its placeholder. */
  param(value: SinkValue, type: FieldType): string;
  /** An expression reading a time column as epoch milliseconds. */
  timeMs(column: string): string;
  /** An epoch-ms parameter compared with a time column. */
  timeParam(ms: number): string;
  readonly final: string;
  /** The bound parameters in the shape the sink expects. */
  params(): BuiltQuery['params'];
  aggregateExpression(type: string): string;
}

const CH_TYPES: Readonly<Record<FieldType, string>> = {
  string: 'String',
  int: 'Int64',
  long: 'Int64',
  float: 'Float64',
  double: 'Float64',
  boolean: 'UInt8',
  timestamp: 'Int64',
};

export interface ClickHouseDialectOptions {
  readonly database: string;
  /** Time columns are DateTime64(3) (server ≥ 20.1) rather than Int64 epoch ms. */
  readonly dateTime64: boolean;
}

export function clickHouseDialect(options: ClickHouseDialectOptions): SqlDialect {
  const named: Record<string, SinkValue> = {};
  let n = 0;
  const ident = (name: string): string => `\`${assertIdentifier(name)}\``;
  const param = (value: SinkValue, type: FieldType): string => {
    const key = `p${n++}`;
    named[key] = type === 'boolean' && typeof value === 'boolean' ? (value ? 1 : 0) : value;
    return `{${key}:${CH_TYPES[type]}}`;
  };
  return {
    name: 'clickhouse',
    table: (name) => `${ident(options.database)}.${ident(name)}`,
    ident,
    param,
    timeMs: (column) =>
      options.dateTime64 ? `toUnixTimestamp64Milli(${ident(column)})` : ident(column),
    timeParam: (ms) =>
      options.dateTime64
        ? `fromUnixTimestamp64Milli(${param(ms, 'long')}, 'UTC')`
        : param(ms, 'long'),
    final: ' FINAL',
    params: () => ({ ...named }),
    aggregateExpression: (type) => {
      switch (type) {
        case 'min':
          return 'min(`value`)';
        case 'max':
          return 'max(`value`)';
        case 'avg':
          return 'sum(`value` * `event_count`) / sum(`event_count`)';
        case 'count':
        case 'sum':
          return 'sum(`value`)';
        default:
          // count_distinct, first, last: one row per (window, group) by construction.
          return 'any(`value`)';
      }
    },
  };
}

export function postgresDialect(options: { readonly schema: string }): SqlDialect {
  const positional: SinkValue[] = [];
  const ident = (name: string): string => `"${assertIdentifier(name)}"`;
  const param = (value: SinkValue, _type: FieldType): string => {
    positional.push(value);
    return `$${positional.length}`;
  };
  return {
    name: 'postgres',
    table: (name) => `${ident(options.schema)}.${ident(name)}`,
    ident,
    param,
    timeMs: (column) => `(extract(epoch from ${ident(column)}) * 1000)::bigint`,
    timeParam: (ms) => param(new Date(ms), 'timestamp'),
    final: '',
    params: () => [...positional],
    aggregateExpression: (type) => {
      switch (type) {
        case 'min':
          return 'min("value")';
        case 'max':
          return 'max("value")';
        case 'avg':
          return 'sum("value" * "event_count")::double precision / nullif(sum("event_count"), 0)';
        case 'count':
        case 'sum':
          return 'sum("value")';
        default:
          return 'max("value")';
      }
    },
  };
}

const OPERATORS: Readonly<Record<FilterOperator, string>> = {
  eq: '=',
  neq: '!=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
  in: 'IN',
  not_in: 'NOT IN',
};

/** Pure: a validated filter as a SQL condition, its values bound parameters. */
export function filterSql(f: PlannedFilter, dialect: SqlDialect): string {
  const column = dialect.ident(f.field);
  if (f.op === 'in' || f.op === 'not_in') {
    const list = f.values.map((v) => dialect.param(v, f.type)).join(', ');
    return `${column} ${OPERATORS[f.op]} (${list})`;
  }
  return `${column} ${OPERATORS[f.op]} ${dialect.param(f.values[0] ?? null, f.type)}`;
}

/**
 * Output aliases differ from column names: ClickHouse substitutes an alias wherever its name
 * appears (WHERE, inside aggregates), so `sum(value) AS value` or a converted
 * `window_start` would change what the query means. Rows are renamed back after reading.
 */
export const OUTPUT_ALIASES: Readonly<Record<string, string>> = {
  [WINDOW_START]: 'out_window_start',
  [WINDOW_END]: 'out_window_end',
  value: 'out_value',
  event_count: 'out_event_count',
};

export const aliasOf = (column: string): string => OUTPUT_ALIASES[column] ?? `out_${column}`;

/** Pure: the SQL and parameters of a plan in a dialect. */
export function buildQuery(plan: QueryPlan, dialect: SqlDialect): BuiltQuery {
  const select: string[] = [];
  const group: string[] = [];
  if (plan.byWindow) {
    for (const column of [WINDOW_START, WINDOW_END]) {
      select.push(`${dialect.timeMs(column)} AS ${dialect.ident(aliasOf(column))}`);
      group.push(dialect.ident(column));
    }
  }
  for (const g of plan.groupBy) {
    select.push(`${dialect.ident(g.name)} AS ${dialect.ident(aliasOf(g.name))}`);
    group.push(dialect.ident(g.name));
  }
  select.push(
    `${dialect.aggregateExpression(plan.aggregation.type)} AS ${dialect.ident(aliasOf('value'))}`,
  );
  select.push(`sum(${dialect.ident('event_count')}) AS ${dialect.ident(aliasOf('event_count'))}`);

  const where: string[] = [
    `${dialect.ident(WINDOW_START)} >= ${dialect.timeParam(plan.fromMs)}`,
    `${dialect.ident(WINDOW_START)} < ${dialect.timeParam(plan.toMs)}`,
  ];
  for (const f of plan.filters) where.push(filterSql(f, dialect));

  const order =
    plan.orderBy.length > 0
      ? plan.orderBy.map(
          (o) => `${dialect.ident(aliasOf(o.column))} ${o.direction === 'desc' ? 'DESC' : 'ASC'}`,
        )
      : group.map((g) => `${g} ASC`);
  const sql = [
    `SELECT ${select.join(', ')}`,
    `FROM ${dialect.table(plan.table)}${dialect.final}`,
    `WHERE ${where.join(' AND ')}`,
    ...(group.length > 0 ? [`GROUP BY ${group.join(', ')}`] : []),
    ...(order.length > 0 ? [`ORDER BY ${order.join(', ')}`] : []),
    `LIMIT ${String(Math.trunc(plan.limit))}`,
  ].join('\n');
  return { sql, params: dialect.params() };
}

const NUMERIC: ReadonlySet<string> = new Set(['int', 'long', 'float', 'double', 'timestamp']);

/** An output row: column name to value, numbers as numbers. */
export type OutputRow = Record<string, string | number | boolean | null>;

/** Pure: one database row (aliased) as an output row in column order, numbers as numbers. */
export function toOutputRow(
  columns: readonly OutputColumn[],
  row: Readonly<Record<string, unknown>>,
): OutputRow {
  const out: OutputRow = {};
  for (const column of columns) {
    const raw = row[aliasOf(column.name)];
    if (raw === null || raw === undefined) out[column.name] = null;
    else if (NUMERIC.has(column.type))
      out[column.name] = raw instanceof Date ? raw.getTime() : Number(raw);
    else if (column.type === 'boolean')
      out[column.name] = raw === true || raw === 1 || raw === '1' || raw === 'true';
    else out[column.name] = String(raw);
  }
  return out;
}

/** Pure: database rows (aliased) as output rows in column order, numbers as numbers. */
export function toOutputRows(
  plan: QueryPlan,
  rows: readonly Record<string, unknown>[],
): OutputRow[] {
  return rows.map((row) => toOutputRow(plan.columns, row));
}
