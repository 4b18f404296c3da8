import { WINDOW_END, WINDOW_START } from '@platform/contracts';
import type { SinkValue } from '../sink.port';
import { MAX_QUERY_LIMIT, type PlannedFilter, type QueryPlan } from './query-request';
import { aliasOf, toOutputRows, type OutputRow } from './query-sql';
import { BUCKET_START, toSeriesRows, type SeriesPlan, type SeriesRows } from './series-query';

/**
 * Query plans evaluated over rows held in the process (the memory and CSV drivers, and any
 * sink without SQL): the same answers as the SQL the database drivers render, under SQL's
 * rules (a NULL matches no comparison; aggregates skip NULLs). Pure.
 */

type StoredRow = Readonly<Record<string, SinkValue>>;
type Aliased = Record<string, SinkValue>;

function compare(a: SinkValue, b: SinkValue): number {
  if (a === b) return 0;
  // NULLs last, as ClickHouse and PostgreSQL sort ascending.
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}

function matches(row: StoredRow, f: PlannedFilter): boolean {
  const v = row[f.field] ?? null;
  if (v === null) return false;
  const c = (x: SinkValue): number => compare(v, x);
  switch (f.op) {
    case 'in':
      return f.values.some((x) => c(x) === 0);
    case 'not_in':
      return f.values.every((x) => c(x) !== 0);
    case 'eq':
      return c(f.values[0] ?? null) === 0;
    case 'neq':
      return c(f.values[0] ?? null) !== 0;
    case 'gt':
      return c(f.values[0] ?? null) > 0;
    case 'gte':
      return c(f.values[0] ?? null) >= 0;
    case 'lt':
      return c(f.values[0] ?? null) < 0;
    case 'lte':
      return c(f.values[0] ?? null) <= 0;
  }
}

function inRange(ms: SinkValue, from?: number, to?: number): boolean {
  if (ms === null) return false;
  return (from === undefined || Number(ms) >= from) && (to === undefined || Number(ms) < to);
}

function numbers(rows: readonly StoredRow[], column: string): number[] {
  return rows.map((r) => r[column] ?? null).flatMap((v) => (v === null ? [] : [Number(v)]));
}

/** `fn` over the non-NULL values of `column`; NULL when there are none (SQL). */
function reduce(fn: string, rows: readonly StoredRow[], column: string): SinkValue {
  if (fn === 'count') return rows.length;
  const xs = numbers(rows, column);
  if (xs.length === 0) return null;
  switch (fn) {
    case 'min':
      return Math.min(...xs);
    case 'max':
      return Math.max(...xs);
    case 'avg':
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    default:
      return xs.reduce((s, x) => s + x, 0);
  }
}

/** An aggregation's values combined across windows, as `SqlDialect.aggregateExpression`. */
function combine(type: string, rows: readonly StoredRow[]): SinkValue {
  switch (type) {
    case 'min':
    case 'max':
      return reduce(type, rows, 'value');
    case 'avg': {
      const weighted = rows.filter((r) => r['value'] != null && r['event_count'] != null);
      const events = weighted.reduce((s, r) => s + Number(r['event_count']), 0);
      if (events === 0) return null;
      return (
        weighted.reduce((s, r) => s + Number(r['value']) * Number(r['event_count']), 0) / events
      );
    }
    case 'count':
    case 'sum':
      return reduce('sum', rows, 'value');
    default:
      // count_distinct, first, last: one row per (window, group) by construction.
      return rows[0]?.['value'] ?? null;
  }
}

/** A comparator by columns in turn, each ascending unless `desc`. */
function ordered(
  keys: readonly { readonly column: string; readonly direction?: 'asc' | 'desc' }[],
): (a: Readonly<Record<string, SinkValue>>, b: Readonly<Record<string, SinkValue>>) => number {
  return (a, b) => {
    for (const k of keys) {
      const c = compare(a[k.column] ?? null, b[k.column] ?? null);
      if (c !== 0) return k.direction === 'desc' ? -c : c;
    }
    return 0;
  };
}

const ascending = (columns: readonly string[]) => ordered(columns.map((column) => ({ column })));

function groupRows(
  rows: readonly StoredRow[],
  keyOf: (row: StoredRow) => readonly SinkValue[],
): Map<string, StoredRow[]> {
  const groups = new Map<string, StoredRow[]>();
  for (const row of rows) {
    const key = JSON.stringify(keyOf(row).map((v) => (typeof v === 'bigint' ? String(v) : v)));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  }
  return groups;
}

/** Pure: the answer to an aggregate query plan over the rows of its table. */
export function evaluateAggregates(plan: QueryPlan, rows: readonly StoredRow[]): OutputRow[] {
  const selected = rows.filter(
    (r) =>
      inRange(r[WINDOW_START] ?? null, plan.fromMs, plan.toMs) &&
      plan.filters.every((f) => matches(r, f)),
  );
  const groupColumns = [
    ...(plan.byWindow ? [WINDOW_START, WINDOW_END] : []),
    ...plan.groupBy.map((g) => g.name),
  ];
  const groups = groupRows(selected, (r) => groupColumns.map((c) => r[c] ?? null));
  // Without GROUP BY, SQL answers one row even when nothing matched.
  if (groupColumns.length === 0 && groups.size === 0) groups.set('[]', []);
  const aliased = [...groups.values()].map((group) => {
    const out: Aliased = {};
    for (const c of groupColumns) out[aliasOf(c)] = group[0]?.[c] ?? null;
    out[aliasOf('value')] = combine(plan.aggregation.type, group);
    out[aliasOf('event_count')] = group.length === 0 ? null : reduce('sum', group, 'event_count');
    return out;
  });
  aliased.sort(
    plan.orderBy.length > 0
      ? ordered(plan.orderBy.map((o) => ({ ...o, column: aliasOf(o.column) })))
      : ascending(groupColumns.map(aliasOf)),
  );
  return toOutputRows(plan, aliased.slice(0, plan.limit));
}

/** Pure: the answer to a time-series plan over the rows of its table. */
export function evaluateSeries(plan: SeriesPlan, rows: readonly StoredRow[]): SeriesRows {
  const selected = rows.filter(
    (r) =>
      inRange(r[plan.timeColumn] ?? null, plan.fromMs, plan.toMs) &&
      plan.filters.every((f) => matches(r, f)),
  );
  const time = (r: StoredRow): number => Number(r[plan.timeColumn]);
  const project = (r: StoredRow): Aliased => {
    const out: Aliased = {};
    for (const c of plan.columns) out[aliasOf(c.name)] = r[c.name] ?? null;
    return out;
  };
  const mode = plan.mode;

  if (mode.kind === 'buckets') {
    const width = Math.trunc(mode.widthMs);
    const bucketOf = (r: StoredRow): number => Math.floor(time(r) / width) * width;
    const groups = groupRows(selected, (r) => [
      ...mode.groupBy.map((g) => r[g.name] ?? null),
      bucketOf(r),
    ]);
    const out = [...groups.values()].map((group) => {
      const first = group[0] as StoredRow;
      const row: Aliased = { [aliasOf(BUCKET_START)]: bucketOf(first) };
      for (const g of mode.groupBy) row[aliasOf(g.name)] = first[g.name] ?? null;
      if (mode.value.fn === 'aggregate') {
        row[aliasOf('value')] = combine(plan.aggregation?.type ?? 'sum', group);
        row[aliasOf('event_count')] = reduce('sum', group, 'event_count');
      } else {
        row[aliasOf('value')] = reduce(mode.value.fn, group, mode.value.field ?? '');
        row[aliasOf('event_count')] = group.length;
      }
      return row;
    });
    out.sort(ascending([...mode.groupBy.map((g) => aliasOf(g.name)), aliasOf(BUCKET_START)]));
    return toSeriesRows(plan, out.slice(0, MAX_QUERY_LIMIT + 1));
  }

  if (mode.kind === 'latest') {
    const newestFirst = [...selected].sort((a, b) => time(b) - time(a));
    const taken = [...groupRows(newestFirst, (r) => mode.per.map((p) => r[p] ?? null)).values()]
      .flatMap((group) => group.slice(0, mode.n))
      .sort((a, b) => ascending(mode.per)(a, b) || time(b) - time(a));
    return toSeriesRows(plan, taken.slice(0, plan.limit + 1).map(project));
  }

  const ordered = [...selected].sort(
    (a, b) => time(a) - time(b) || (plan.source === 'events' ? ascending(['event_id'])(a, b) : 0),
  );
  return toSeriesRows(plan, ordered.slice(0, plan.limit + 1).map(project));
}
