import {
  aggregateTable,
  entityOf,
  failuresOf,
  fieldsOf,
  findAggregation,
  WINDOW_END,
  WINDOW_START,
  type AggregationSpec,
  type DomainModel,
  type FieldFailure,
  type FieldType,
  type FilterOperator,
  FILTER_OPERATORS,
} from '@platform/contracts';
import { z } from 'zod';
import { aggregateValueType } from '../table-schema';

/**
 * `POST /v1/query`: a structured request over one aggregation's result table. Every name in
 * it is checked against the contract and every value against its column type; only then is
 * SQL built (query-sql.ts), with names from the contract and values as bound parameters.
 */

export const MAX_QUERY_LIMIT = 10_000;
export const DEFAULT_QUERY_LIMIT = 1_000;
export const MAX_FILTER_VALUES = 100;
export const MAX_FILTER_STRING = 256;

/**
 * Filter strings are matched as text: every value is a bound parameter (a typed, escaped
 * literal on ClickHouse servers without parameters), so quotes, semicolons, backslashes and
 * comment markers are plain characters of a key such as `O'Brien` or `/search?q=a&b=1`.
 * Control characters (PostgreSQL cannot hold NUL in text) and unpaired surrogates (they would
 * reach a database as U+FFFD and match another key) are refused.
 */
function hasControlOrLoneSurrogate(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xdc00 && c <= 0xdfff)) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = value.charCodeAt(++i); // NaN past the end
      if (!(low >= 0xdc00 && low <= 0xdfff)) return true;
    }
  }
  return false;
}

export const scalar = z.union([z.string().max(MAX_FILTER_STRING), z.number(), z.boolean()]);
/** The latest instant a JavaScript Date (and so every driver here) can hold, epoch ms. */
const MAX_DATE_MS = 8.64e15;

export const time = z.union([
  z.number().int().min(0).max(MAX_DATE_MS),
  z.iso.datetime({ offset: true }),
]);

export const filterSchema = z.strictObject({
  field: z.string().max(64).describe('A group-by dimension of the aggregation.'),
  op: z.enum(FILTER_OPERATORS),
  value: z.union([scalar, z.array(scalar).min(1).max(MAX_FILTER_VALUES)]),
});

export const queryRequestSchema = z
  .strictObject({
    aggregation: z.string().max(64).describe('Name of an aggregation of the contract.'),
    time_range: z
      .strictObject({ from: time, to: time })
      .describe('Windows whose start is in [from, to): epoch ms or ISO-8601.'),
    filters: z.array(filterSchema).max(20).optional(),
    group_by: z
      .array(z.string().max(64))
      .max(10)
      .optional()
      .describe('Subset of the aggregation group-by dimensions, and/or window_start.'),
    order_by: z
      .array(
        z.strictObject({
          field: z.string().max(64),
          direction: z.enum(['asc', 'desc']).optional(),
        }),
      )
      .max(10)
      .optional(),
    limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
  })
  .describe('A query over the result table of one aggregation.');

export type QueryRequest = z.infer<typeof queryRequestSchema>;

export type FilterValue = string | number | boolean;

export interface PlannedFilter {
  readonly field: string;
  readonly type: FieldType;
  readonly op: FilterOperator;
  readonly values: readonly FilterValue[];
}

export type ColumnKind = FieldType;

export interface OutputColumn {
  readonly name: string;
  readonly type: ColumnKind;
}

/** A validated query: every identifier comes from the contract. */
export interface QueryPlan {
  readonly aggregation: AggregationSpec;
  readonly table: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly filters: readonly PlannedFilter[];
  /** Group-by dimensions (not the window). */
  readonly groupBy: readonly { readonly name: string; readonly type: FieldType }[];
  readonly byWindow: boolean;
  readonly orderBy: readonly { readonly column: string; readonly direction: 'asc' | 'desc' }[];
  readonly limit: number;
  readonly valueType: ColumnKind;
  readonly columns: readonly OutputColumn[];
}

export type PlanResult =
  | { readonly ok: true; readonly plan: QueryPlan }
  | { readonly ok: false; readonly failures: readonly FieldFailure[] };

/** Aggregations whose per-window values cannot be combined across windows. */
export const PER_WINDOW_ONLY = new Set(['count_distinct', 'first', 'last']);

export function toMs(value: string | number): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** What the filters of one request may name and hold. */
export interface FilterRules {
  readonly dimensions: readonly string[];
  /** Why a field outside `dimensions` is refused (the allowed ones are appended). */
  readonly notADimension: string;
  readonly types: ReadonlyMap<string, FieldType>;
  /** The enum values a filter on `field` may hold; undefined: any value of its type. */
  allowedValues(field: string): readonly (string | number)[] | undefined;
}

/**
 * Pure: the requested filters checked against `rules`, each problem added to `failures`
 * with its path; the filters that passed, with their types and values as a list.
 */
export function planFilters(
  requested: readonly z.infer<typeof filterSchema>[] | undefined,
  failures: FieldFailure[],
  rules: FilterRules,
): PlannedFilter[] {
  const filters: PlannedFilter[] = [];
  (requested ?? []).forEach((filter, i) => {
    const path = `filters.${i}`;
    if (!rules.dimensions.includes(filter.field)) {
      failures.push({
        field: `${path}.field`,
        reason: `${rules.notADimension}; allowed: ${rules.dimensions.join(', ') || '(none)'}`,
      });
      return;
    }
    const type = rules.types.get(filter.field) ?? 'string';
    const many = filter.op === 'in' || filter.op === 'not_in';
    const values = Array.isArray(filter.value) ? filter.value : [filter.value];
    if (many !== Array.isArray(filter.value)) {
      failures.push({
        field: `${path}.value`,
        reason: many
          ? `operator ${filter.op} takes an array of values`
          : `operator ${filter.op} takes one value`,
      });
      return;
    }
    if (
      (filter.op === 'gt' || filter.op === 'gte' || filter.op === 'lt' || filter.op === 'lte') &&
      (type === 'string' || type === 'boolean')
    ) {
      failures.push({
        field: `${path}.op`,
        reason: `operator ${filter.op} needs a numeric dimension; ${filter.field} is ${type}`,
      });
      return;
    }
    const allowed = rules.allowedValues(filter.field);
    values.forEach((value, j) => {
      const problem = checkValue(filter.field, type, allowed, value);
      if (problem !== undefined) {
        failures.push({
          field: Array.isArray(filter.value) ? `${path}.value.${j}` : `${path}.value`,
          reason: problem,
        });
      }
    });
    filters.push({ field: filter.field, type, op: filter.op, values });
  });
  return filters;
}

/** Why `value` does not fit a filter on `field` of `type` (allowed enum values), or undefined. */
export function checkValue(
  field: string,
  type: FieldType,
  allowed: readonly (string | number)[] | undefined,
  value: FilterValue,
): string | undefined {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') return `expected a string, got ${typeof value}`;
      if (hasControlOrLoneSurrogate(value)) {
        return 'holds a control character or an unpaired surrogate, which a filter value may not';
      }
      if (allowed !== undefined && allowed.length > 0 && !allowed.map(String).includes(value)) {
        return `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
      }
      return undefined;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value !== (value | 0))
        return `expected a 32-bit integer for ${field}`;
      return undefined;
    case 'long':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return `expected an integer for ${field}`;
      return undefined;
    case 'timestamp':
      if (
        typeof value !== 'number' ||
        !Number.isSafeInteger(value) ||
        Math.abs(value) > MAX_DATE_MS
      )
        return `expected epoch milliseconds within ±${MAX_DATE_MS} for ${field}`;
      return undefined;
    case 'float':
    case 'double':
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `expected a number for ${field}`;
      return undefined;
    case 'boolean':
      if (typeof value !== 'boolean') return `expected a boolean for ${field}`;
      return undefined;
  }
}

/** Pure: checks a request body against the contract and returns the plan, or every failure. */
export function planQuery(model: DomainModel, body: unknown): PlanResult {
  const parsed = queryRequestSchema.safeParse(body);
  if (!parsed.success) {
    const failures = parsed.error.issues.flatMap((issue) => failuresOf(issue, body));
    return { ok: false, failures };
  }
  const request = parsed.data;
  const failures: FieldFailure[] = [];
  const aggregation = findAggregation(model, request.aggregation);
  if (aggregation === undefined) {
    return {
      ok: false,
      failures: [
        {
          field: 'aggregation',
          reason: `unknown aggregation; known: ${model.aggregations.map((a) => a.name).join(', ')}`,
        },
      ],
    };
  }
  const eventType = model.eventTypes.find((e) => e.name === aggregation.eventType);
  if (eventType === undefined) {
    return {
      ok: false,
      failures: [{ field: 'aggregation', reason: 'refers to an unknown event type' }],
    };
  }
  const types = fieldsOf(eventType, model.entities);
  const specOf = (name: string) =>
    [...eventType.dimensions, ...eventType.attributes].find((f) => f.name === name);
  const dimensions = new Set(aggregation.groupBy);
  const groupable = [...aggregation.groupBy, WINDOW_START];

  const fromMs = toMs(request.time_range.from);
  const toMsValue = toMs(request.time_range.to);
  if (!(fromMs < toMsValue)) {
    failures.push({ field: 'time_range', reason: '`from` must be before `to`' });
  }

  const primaryKey = entityOf(model, eventType).primaryKey;
  const filters = planFilters(request.filters, failures, {
    dimensions: aggregation.groupBy,
    notADimension: `not a group-by dimension of ${aggregation.name}`,
    types,
    allowedValues: (field) => (field === primaryKey ? undefined : specOf(field)?.values),
  });

  const requested = request.group_by ?? aggregation.groupBy;
  const seen = new Set<string>();
  requested.forEach((name, i) => {
    if (!groupable.includes(name)) {
      failures.push({
        field: `group_by.${i}`,
        reason: `cannot group by this; allowed: ${groupable.join(', ')}`,
      });
    } else if (seen.has(name)) {
      failures.push({ field: `group_by.${i}`, reason: 'listed twice' });
    }
    seen.add(name);
  });
  const byWindow = seen.has(WINDOW_START);
  if (PER_WINDOW_ONLY.has(aggregation.type)) {
    const missing = groupable.filter((name) => !seen.has(name));
    if (missing.length > 0) {
      failures.push({
        field: 'group_by',
        reason: `${aggregation.type} values cannot be combined across windows or groups: group by ${groupable.join(', ')}`,
      });
    }
  }
  const groupBy = [...new Set(requested)]
    .filter((name) => name !== WINDOW_START && dimensions.has(name))
    .map((name) => ({ name, type: types.get(name) ?? ('string' as FieldType) }));

  const valueType = aggregateValueType(
    aggregation.type,
    aggregation.field === undefined ? undefined : types.get(aggregation.field),
  );
  const columns: OutputColumn[] = [
    ...(byWindow
      ? [
          { name: WINDOW_START, type: 'timestamp' as const },
          { name: WINDOW_END, type: 'timestamp' as const },
        ]
      : []),
    ...groupBy,
    { name: 'value', type: valueType },
    { name: 'event_count', type: 'long' },
  ];
  const orderable = columns.map((c) => c.name);
  const orderBy = (request.order_by ?? []).flatMap((o, i) => {
    if (!orderable.includes(o.field)) {
      failures.push({
        field: `order_by.${i}.field`,
        reason: `not an output column; allowed: ${orderable.join(', ')}`,
      });
      return [];
    }
    return [{ column: o.field, direction: o.direction ?? ('asc' as const) }];
  });

  if (failures.length > 0) return { ok: false, failures };
  return {
    ok: true,
    plan: {
      aggregation,
      table: aggregateTable(aggregation),
      fromMs,
      toMs: toMsValue,
      filters,
      groupBy,
      byWindow,
      orderBy,
      limit: request.limit ?? DEFAULT_QUERY_LIMIT,
      valueType,
      columns,
    },
  };
}
