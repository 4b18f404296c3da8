import {
  aggregateTable,
  entityOf,
  eventTable,
  failuresOf,
  fieldsOf,
  findAggregation,
  parseDuration,
  WINDOW_END,
  WINDOW_START,
  type AggregationSpec,
  type DomainModel,
  type EventTypeSpec,
  type FieldFailure,
  type FieldType,
} from '@platform/contracts';
import { z } from 'zod';
import { aggregateValueType } from '../table-schema';
import {
  planFilters,
  DEFAULT_QUERY_LIMIT,
  filterSchema,
  MAX_QUERY_LIMIT,
  PER_WINDOW_ONLY,
  time,
  toMs,
  type OutputColumn,
  type PlannedFilter,
} from './query-request';
import {
  aliasOf,
  filterSql,
  toOutputRow,
  type BuiltQuery,
  type OutputRow,
  type SqlDialect,
} from './query-sql';

/**
 * Time-series queries over an event table (`events_<type>`) or an aggregate table
 * (`agg_<name>`), the other shape `POST /v1/query` takes: time buckets with a fill, the latest
 * N rows per key, or the rows of a time range, at most `limit` of them. Pure: planning checks
 * every name against the contract, SQL is built from contract identifiers with bound values.
 */

export const FILLS = ['none', 'zero', 'previous'] as const;
export type Fill = (typeof FILLS)[number];
export const SERIES_FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max'] as const;
export type SeriesFunction = (typeof SERIES_FUNCTIONS)[number];
export const BUCKET_START = 'bucket_start';
export const MAX_LATEST_N = 1_000;

const duration = z.union([z.number().int().min(1), z.string().max(32)]);

export const seriesRequestSchema = z
  .strictObject({
    event_type: z.string().max(64).optional().describe('An event type: reads events_<type>.'),
    aggregation: z.string().max(64).optional().describe('An aggregation: reads agg_<name>.'),
    time_range: z
      .strictObject({ from: time, to: time })
      .optional()
      .describe('Rows whose time (timestamp, or window_start) is in [from, to).'),
    bucket: z
      .strictObject({
        width: duration.describe('Bucket width: ms, or "5 minutes", "1h".'),
        fill: z.enum(FILLS).optional().describe('Empty buckets: left out, 0, or the last value.'),
      })
      .optional(),
    value: z
      .strictObject({ fn: z.enum(SERIES_FUNCTIONS), field: z.string().max(64).optional() })
      .optional()
      .describe('Per bucket of events: count, or sum/avg/min/max of a numeric field.'),
    latest: z
      .strictObject({
        n: z.number().int().min(1).max(MAX_LATEST_N),
        per: z.array(z.string().max(64)).max(5).optional(),
      })
      .optional()
      .describe('The latest n rows per key (per: dimensions or the entity key).'),
    filters: z.array(filterSchema).max(20).optional(),
    group_by: z.array(z.string().max(64)).max(10).optional(),
    limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
  })
  .describe('A time-series query over one event type or aggregation.');

export type SeriesRequest = z.infer<typeof seriesRequestSchema>;

/** True when a `/v1/query` body asks for a time series rather than an aggregate summary. */
export function isSeriesRequest(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  return ['event_type', 'bucket', 'latest'].some((k) => k in body);
}

export type SeriesMode =
  | {
      readonly kind: 'buckets';
      readonly widthMs: number;
      readonly fill: Fill;
      readonly groupBy: readonly { readonly name: string; readonly type: FieldType }[];
      /** Events: a function of a field; aggregates: the aggregation's own combination. */
      readonly value: { readonly fn: SeriesFunction | 'aggregate'; readonly field?: string };
    }
  | { readonly kind: 'latest'; readonly n: number; readonly per: readonly string[] }
  | { readonly kind: 'range' };

export interface SeriesPlan {
  readonly kind: 'series';
  /** The event type or aggregation. */
  readonly name: string;
  readonly source: 'events' | 'aggregates';
  /** The event type whose data it reads (what a write key must allow). */
  readonly eventType: string;
  readonly aggregation?: AggregationSpec;
  readonly table: string;
  readonly timeColumn: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly filters: readonly PlannedFilter[];
  readonly mode: SeriesMode;
  readonly limit: number;
  readonly columns: readonly OutputColumn[];
}

export type SeriesPlanResult =
  | { readonly ok: true; readonly plan: SeriesPlan }
  | { readonly ok: false; readonly failures: readonly FieldFailure[] };

const NUMERIC_TYPES = new Set<FieldType>(['int', 'long', 'float', 'double']);

/** Pure: checks a time-series request against the contract; the plan, or every failure. */
export function planSeries(model: DomainModel, body: unknown): SeriesPlanResult {
  const parsed = seriesRequestSchema.safeParse(body);
  if (!parsed.success) {
    return { ok: false, failures: parsed.error.issues.flatMap((i) => failuresOf(i, body)) };
  }
  const r = parsed.data;
  const failures: FieldFailure[] = [];
  const fail = (field: string, reason: string): SeriesPlanResult => ({
    ok: false,
    failures: [{ field, reason }],
  });
  if ((r.event_type === undefined) === (r.aggregation === undefined))
    return fail('event_type', 'give exactly one of event_type and aggregation');

  let eventType: EventTypeSpec | undefined;
  let aggregation: AggregationSpec | undefined;
  if (r.aggregation !== undefined) {
    aggregation = findAggregation(model, r.aggregation);
    if (aggregation === undefined)
      return fail(
        'aggregation',
        `unknown aggregation; known: ${model.aggregations.map((a) => a.name).join(', ')}`,
      );
    eventType = model.eventTypes.find((e) => e.name === aggregation?.eventType);
  } else {
    eventType = model.eventTypes.find((e) => e.name === r.event_type);
    if (eventType === undefined)
      return fail(
        'event_type',
        `unknown event type; known: ${model.eventTypes.map((e) => e.name).join(', ')}`,
      );
  }
  if (eventType === undefined) return fail('aggregation', 'refers to an unknown event type');
  const types = fieldsOf(eventType, model.entities);
  const key = entityOf(model, eventType).primaryKey;
  const dimensions = aggregation?.groupBy ?? [key, ...eventType.dimensions.map((d) => d.name)];
  const timeColumn = aggregation === undefined ? 'timestamp' : WINDOW_START;

  // Columns of the table, in order, with their output types.
  const tableColumns: OutputColumn[] =
    aggregation === undefined
      ? [...types].map(([name, type]) => ({ name, type }))
      : [
          { name: WINDOW_START, type: 'timestamp' },
          { name: WINDOW_END, type: 'timestamp' },
          ...aggregation.groupBy.map((name) => ({ name, type: types.get(name) ?? 'string' })),
          {
            name: 'value',
            type: aggregateValueType(
              aggregation.type,
              aggregation.field === undefined ? undefined : types.get(aggregation.field),
            ),
          },
          { name: 'event_count', type: 'long' },
        ];

  let fromMs: number | undefined;
  let toMsValue: number | undefined;
  if (r.time_range !== undefined) {
    fromMs = toMs(r.time_range.from);
    toMsValue = toMs(r.time_range.to);
    if (!(fromMs < toMsValue))
      failures.push({ field: 'time_range', reason: '`from` must be before `to`' });
  } else if (r.latest === undefined) {
    failures.push({ field: 'time_range', reason: 'required, except for latest' });
  }

  const filters = planFilters(r.filters, failures, {
    dimensions,
    notADimension: 'not a dimension',
    types,
    allowedValues: (field) =>
      field === key ? undefined : eventType?.dimensions.find((d) => d.name === field)?.values,
  });

  const modes = [r.bucket, r.latest].filter((m) => m !== undefined).length;
  if (modes > 1) failures.push({ field: 'latest', reason: 'give bucket or latest, not both' });
  let mode: SeriesMode = { kind: 'range' };
  let columns: OutputColumn[] = tableColumns;
  const limit = r.limit ?? DEFAULT_QUERY_LIMIT;

  if (r.bucket !== undefined) {
    const widthMs = parseDuration(r.bucket.width);
    if (widthMs === undefined || widthMs < 1)
      failures.push({ field: 'bucket.width', reason: 'a duration: ms, "5 minutes", "1h"' });
    const groupBy = (r.group_by ?? []).flatMap((name, i) => {
      if (!dimensions.includes(name)) {
        failures.push({
          field: `group_by.${i}`,
          reason: `cannot group by this; allowed: ${dimensions.join(', ') || '(none)'}`,
        });
        return [];
      }
      return [{ name, type: types.get(name) ?? ('string' as FieldType) }];
    });
    let value: { fn: SeriesFunction | 'aggregate'; field?: string } = { fn: 'aggregate' };
    let valueType: FieldType;
    if (aggregation !== undefined) {
      if (r.value !== undefined)
        failures.push({ field: 'value', reason: 'an aggregation has its own value' });
      if (PER_WINDOW_ONLY.has(aggregation.type))
        failures.push({
          field: 'bucket',
          reason: `${aggregation.type} values cannot be combined across windows`,
        });
      valueType = tableColumns.find((c) => c.name === 'value')?.type ?? 'double';
    } else {
      const fn = r.value?.fn ?? 'count';
      const field = r.value?.field;
      valueType = 'long';
      if (fn === 'count') {
        if (field !== undefined)
          failures.push({ field: 'value.field', reason: 'count takes no field' });
      } else if (field === undefined || !NUMERIC_TYPES.has(types.get(field) as FieldType)) {
        failures.push({
          field: 'value.field',
          reason: `${fn} needs a numeric field; numeric: ${
            [...types]
              .filter(([, t]) => NUMERIC_TYPES.has(t))
              .map(([n]) => n)
              .join(', ') || '(none)'
          }`,
        });
      } else {
        const ft = types.get(field) as FieldType;
        valueType =
          fn === 'avg'
            ? 'double'
            : fn === 'sum'
              ? ft === 'int' || ft === 'long'
                ? 'long'
                : 'double'
              : ft;
      }
      value = { fn, ...(field === undefined ? {} : { field }) };
    }
    if (fromMs !== undefined && toMsValue !== undefined && widthMs !== undefined && widthMs > 0) {
      const buckets = Math.ceil((toMsValue - Math.floor(fromMs / widthMs) * widthMs) / widthMs);
      if (buckets > MAX_QUERY_LIMIT)
        failures.push({
          field: 'bucket.width',
          reason: `${buckets} buckets in the time range; at most ${MAX_QUERY_LIMIT}`,
        });
    }
    if (r.time_range === undefined)
      failures.push({ field: 'time_range', reason: 'buckets need a time range' });
    mode = {
      kind: 'buckets',
      widthMs: widthMs ?? 1,
      fill: r.bucket.fill ?? 'none',
      groupBy,
      value,
    };
    columns = [
      { name: BUCKET_START, type: 'timestamp' },
      ...groupBy,
      { name: 'value', type: valueType },
      { name: 'event_count', type: 'long' },
    ];
  } else if (r.latest !== undefined) {
    const per = (r.latest.per ?? []).filter((name, i) => {
      if (dimensions.includes(name)) return true;
      failures.push({
        field: `latest.per.${i}`,
        reason: `not a key; allowed: ${dimensions.join(', ') || '(none)'}`,
      });
      return false;
    });
    mode = { kind: 'latest', n: r.latest.n, per };
  } else if (r.group_by !== undefined) {
    failures.push({ field: 'group_by', reason: 'group_by goes with bucket' });
  }

  if (failures.length > 0) return { ok: false, failures };
  return {
    ok: true,
    plan: {
      kind: 'series',
      name: aggregation?.name ?? eventType.name,
      source: aggregation === undefined ? 'events' : 'aggregates',
      eventType: eventType.name,
      ...(aggregation === undefined ? {} : { aggregation }),
      table: aggregation === undefined ? eventTable(eventType) : aggregateTable(aggregation),
      timeColumn,
      ...(fromMs === undefined ? {} : { fromMs }),
      ...(toMsValue === undefined ? {} : { toMs: toMsValue }),
      filters,
      mode,
      // A range reads one more row than it returns, to tell the caller it was cut.
      limit,
      columns,
    },
  };
}

/** Pure: the SQL of a series plan in a dialect. */
export function buildSeriesQuery(plan: SeriesPlan, dialect: SqlDialect): BuiltQuery {
  const id = (name: string): string => dialect.ident(name);
  const where: string[] = [];
  if (plan.fromMs !== undefined)
    where.push(`${id(plan.timeColumn)} >= ${dialect.timeParam(plan.fromMs)}`);
  if (plan.toMs !== undefined)
    where.push(`${id(plan.timeColumn)} < ${dialect.timeParam(plan.toMs)}`);
  for (const f of plan.filters) where.push(filterSql(f, dialect));
  const from = `FROM ${dialect.table(plan.table)}${dialect.final}`;
  const whereSql = where.length > 0 ? [`WHERE ${where.join(' AND ')}`] : [];
  const ch = dialect.name === 'clickhouse';
  const select = (name: string): string => {
    const type = plan.columns.find((c) => c.name === name)?.type;
    return `${type === 'timestamp' ? dialect.timeMs(name) : id(name)} AS ${id(aliasOf(name))}`;
  };
  const mode = plan.mode;

  if (mode.kind === 'buckets') {
    const width = String(Math.trunc(mode.widthMs));
    const ms = dialect.timeMs(plan.timeColumn);
    const bucket = ch ? `intDiv(${ms}, ${width}) * ${width}` : `(${ms} / ${width}) * ${width}`;
    let value: string;
    let count: string;
    if (mode.value.fn === 'aggregate') {
      value = dialect.aggregateExpression(plan.aggregation?.type ?? 'sum');
      count = `sum(${id('event_count')})`;
    } else {
      const f = mode.value.field === undefined ? '' : id(mode.value.field);
      value =
        mode.value.fn === 'count'
          ? 'count(*)'
          : mode.value.fn === 'avg' && !ch
            ? `avg(${f})::double precision`
            : `${mode.value.fn}(${f})`;
      count = 'count(*)';
    }
    const groups = mode.groupBy.map((g) => id(g.name));
    const sql = [
      `SELECT ${bucket} AS ${id(aliasOf(BUCKET_START))}, ${[
        ...mode.groupBy.map((g) => `${id(g.name)} AS ${id(aliasOf(g.name))}`),
        `${value} AS ${id(aliasOf('value'))}`,
        `${count} AS ${id(aliasOf('event_count'))}`,
      ].join(', ')}`,
      from,
      ...whereSql,
      `GROUP BY ${[id(aliasOf(BUCKET_START)), ...groups].join(', ')}`,
      `ORDER BY ${[...groups, id(aliasOf(BUCKET_START))].map((g) => `${g} ASC`).join(', ')}`,
      `LIMIT ${String(MAX_QUERY_LIMIT + 1)}`,
    ].join('\n');
    return { sql, params: dialect.params() };
  }

  const columns = plan.columns.map((c) => select(c.name)).join(', ');
  if (mode.kind === 'latest') {
    const per = mode.per.map(id);
    const order = [...per.map((p) => `${p} ASC`), `${id(plan.timeColumn)} DESC`].join(', ');
    if (ch) {
      const sql = [
        `SELECT ${columns}`,
        from,
        ...whereSql,
        `ORDER BY ${order}`,
        per.length > 0 ? `LIMIT ${mode.n} BY ${per.join(', ')}` : `LIMIT ${mode.n}`,
        ...(per.length > 0 ? [`LIMIT ${String(plan.limit + 1)}`] : []),
      ].join('\n');
      return { sql, params: dialect.params() };
    }
    const partition = per.length > 0 ? `PARTITION BY ${per.join(', ')} ` : '';
    const sql = [
      `SELECT ${plan.columns.map((c) => id(aliasOf(c.name))).join(', ')} FROM (`,
      `SELECT ${columns}, row_number() OVER (${partition}ORDER BY ${id(plan.timeColumn)} DESC) AS "rn"`,
      from,
      ...whereSql,
      `) AS "latest" WHERE "rn" <= ${mode.n}`,
      `ORDER BY ${[...mode.per.map((p) => `${id(aliasOf(p))} ASC`), `${id(aliasOf(plan.timeColumn))} DESC`].join(', ')}`,
      `LIMIT ${String(plan.limit + 1)}`,
    ].join('\n');
    return { sql, params: dialect.params() };
  }
  const sql = [
    `SELECT ${columns}`,
    from,
    ...whereSql,
    `ORDER BY ${id(plan.timeColumn)} ASC${plan.source === 'events' ? `, ${id('event_id')} ASC` : ''}`,
    `LIMIT ${String(plan.limit + 1)}`,
  ].join('\n');
  return { sql, params: dialect.params() };
}

/** A series answer: at most `limit` rows; `truncated` when there were more. */
export interface SeriesRows {
  readonly rows: OutputRow[];
  readonly truncated: boolean;
}

/**
 * Pure: database rows as output rows, buckets filled as asked, at most `limit`; `truncated`
 * when there were more (or more buckets) than that.
 */
export function toSeriesRows(
  plan: SeriesPlan,
  rows: readonly Record<string, unknown>[],
): SeriesRows {
  const converted = rows.map((r) => toOutputRow(plan.columns, r));
  const mode = plan.mode;
  if (
    mode.kind !== 'buckets' ||
    mode.fill === 'none' ||
    plan.fromMs === undefined ||
    plan.toMs === undefined
  ) {
    return { rows: converted.slice(0, plan.limit), truncated: converted.length > plan.limit };
  }
  const width = mode.widthMs;
  const first = Math.floor(plan.fromMs / width) * width;
  const groupKey = (r: OutputRow): string => JSON.stringify(mode.groupBy.map((g) => r[g.name]));
  const byGroup = new Map<string, Map<number, OutputRow>>();
  for (const r of converted) {
    const k = groupKey(r);
    let buckets = byGroup.get(k);
    if (buckets === undefined) byGroup.set(k, (buckets = new Map()));
    buckets.set(Number(r[BUCKET_START]), r);
  }
  const out: OutputRow[] = [];
  // Filling stops at one row past the limit: groups times buckets can reach 10^8 rows, and
  // only `limit` of them are answered.
  fill: for (const buckets of byGroup.values()) {
    const sample = buckets.values().next().value as OutputRow;
    let previous: OutputRow | undefined;
    for (let t = first; t < plan.toMs; t += width) {
      if (out.length > plan.limit) break fill;
      const row = buckets.get(t);
      if (row !== undefined) {
        out.push(row);
        previous = row;
        continue;
      }
      const filled: OutputRow = { [BUCKET_START]: t };
      for (const g of mode.groupBy) filled[g.name] = sample[g.name] ?? null;
      filled['value'] = mode.fill === 'zero' ? 0 : (previous?.['value'] ?? null);
      filled['event_count'] = 0;
      out.push(filled);
    }
  }
  return { rows: out.slice(0, plan.limit), truncated: out.length > plan.limit };
}
