import { KeySet } from './key-set';
import { flattenWindow, rowKey, type TableBinding } from './table-bindings';

/** The part of a consumed record the writer needs (a `DecodedRecord` of @platform/messaging). */
export interface SinkRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly value: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** The value's bytes as consumed, for tables written from them. */
  readonly raw?: { readonly value: Buffer | null };
}

/**
 * Header that marks an aggregate record as a retraction: the window it names (bounds and
 * group, in the value) is gone, e.g. a session merged into a bigger one. Its `version` is
 * the last version emitted for those bounds; rows with a newer version survive.
 */
export const RETRACTED_HEADER = 'aggregate.retracted';

export interface PlannedRow<R extends SinkRecord = SinkRecord> {
  readonly record: R;
  /** The decoded value, flattened to the table's column names. */
  readonly row: Readonly<Record<string, unknown>>;
  /** The row's identity (`rowKey`), when the planner computed it already. */
  readonly key?: string;
}

/** What one flush does to one table: deletes first, then upserts. */
export interface TablePlan<R extends SinkRecord = SinkRecord> {
  readonly binding: TableBinding;
  readonly deletes: readonly PlannedRow<R>[];
  readonly upserts: readonly PlannedRow<R>[];
  /** Records made redundant by a later one in the same flush (same key): nothing to write. */
  readonly superseded: readonly R[];
}

export interface PlanFailure<R extends SinkRecord = SinkRecord> {
  readonly record: R;
  readonly error: WritePlanError;
}

export class WritePlanError extends Error {
  override readonly name = 'WritePlanError';
  readonly retriable = false;
  constructor(
    readonly code: 'UNKNOWN_TOPIC' | 'NOT_A_RECORD' | 'MISSING_KEY',
    message: string,
  ) {
    super(message);
  }
}

export function isRetraction(record: SinkRecord): boolean {
  return record.headers[RETRACTED_HEADER] === 'true';
}

/**
 * Pure: turns a flush's records (in offset order per partition) into per-table writes.
 *
 * - Events: one row per `event_id`; a repeat in the same flush is superseded (the table
 *   ignores repeats anyway).
 * - Aggregates: per key (window + group), a retraction deletes the row; only records after
 *   the key's last retraction are upserted, and of those the highest version. So
 *   "upsert, retract" leaves nothing and "retract, upsert" leaves the new row, as if each
 *   record had been applied alone, in order.
 */
export function planWrites<R extends SinkRecord>(
  records: readonly R[],
  bindings: ReadonlyMap<string, TableBinding>,
): { readonly plans: readonly TablePlan<R>[]; readonly failures: readonly PlanFailure<R>[] } {
  const failures: PlanFailure<R>[] = [];
  const byTable = new Map<string, { binding: TableBinding; rows: PlannedRow<R>[] }>();
  // Records come in runs of one topic: look its binding and table up once per run.
  let lastTopic: string | undefined;
  let lastBinding: TableBinding | undefined;
  let lastEntry: { binding: TableBinding; rows: PlannedRow<R>[] } | undefined;
  for (const record of records) {
    if (record.topic !== lastTopic) {
      lastTopic = record.topic;
      lastBinding = bindings.get(record.topic);
      lastEntry = undefined;
    }
    const binding = lastBinding;
    if (binding === undefined) {
      failures.push({
        record,
        error: new WritePlanError('UNKNOWN_TOPIC', `no table for topic ${record.topic}`),
      });
      continue;
    }
    if (typeof record.value !== 'object' || record.value === null || Array.isArray(record.value)) {
      failures.push({
        record,
        error: new WritePlanError('NOT_A_RECORD', `the value of ${record.topic} is not a record`),
      });
      continue;
    }
    const row = flattenWindow(record.value as Record<string, unknown>);
    const key = rowKey(binding.schema, row);
    if (key === undefined) {
      failures.push({
        record,
        error: new WritePlanError(
          'MISSING_KEY',
          `${binding.table}: key column(s) ${binding.schema.key.join(', ')} missing or null`,
        ),
      });
      continue;
    }
    if (lastEntry === undefined) {
      lastEntry = byTable.get(binding.table);
      if (lastEntry === undefined) byTable.set(binding.table, (lastEntry = { binding, rows: [] }));
    }
    lastEntry.rows.push({ record, row, key });
  }

  const plans: TablePlan<R>[] = [];
  for (const { binding, rows } of byTable.values()) {
    plans.push(
      binding.stream === 'events' ? planEvents(binding, rows) : planAggregates(binding, rows),
    );
  }
  return { plans, failures };
}

function planEvents<R extends SinkRecord>(
  binding: TableBinding,
  rows: readonly PlannedRow<R>[],
): TablePlan<R> {
  const seen = new KeySet(rows.length);
  const upserts: PlannedRow<R>[] = [];
  const superseded: R[] = [];
  for (const r of rows) {
    if (seen.add(r.key ?? (rowKey(binding.schema, r.row) as string))) upserts.push(r);
    else superseded.push(r.record);
  }
  return { binding, deletes: [], upserts, superseded };
}

function planAggregates<R extends SinkRecord>(
  binding: TableBinding,
  rows: readonly PlannedRow<R>[],
): TablePlan<R> {
  const version = binding.schema.versionColumn;
  const lastRetraction = new Map<string, number>();
  rows.forEach((r, i) => {
    if (isRetraction(r.record)) {
      lastRetraction.set(r.key ?? (rowKey(binding.schema, r.row) as string), i);
    }
  });
  const deletes: PlannedRow<R>[] = [];
  const best = new Map<string, PlannedRow<R>>();
  const superseded: R[] = [];
  rows.forEach((r, i) => {
    const key = r.key ?? (rowKey(binding.schema, r.row) as string);
    const last = lastRetraction.get(key);
    if (last !== undefined && i < last) {
      superseded.push(r.record);
      return;
    }
    if (last === i) {
      deletes.push(r);
      return;
    }
    const current = best.get(key);
    if (current === undefined) best.set(key, r);
    else if (version !== undefined && Number(r.row[version]) > Number(current.row[version])) {
      superseded.push(current.record);
      best.set(key, r);
    } else superseded.push(r.record);
  });
  return { binding, deletes, upserts: [...best.values()], superseded };
}
