import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { isRetriable, writeIsolatingFailures } from '@platform/messaging';
import {
  planWrites,
  WritePlanError,
  type PlannedRow,
  type Row,
  type SourceRow,
  type Sink,
  type SinkRecord,
  type TableBinding,
  type TablePlan,
} from '@platform/sink-adapters';

export interface WriteFailure<R extends SinkRecord = SinkRecord> {
  readonly record: R;
  readonly error: unknown;
}

/** What the writer needs of a sink: its upserts and its deletes of retracted windows. */
export type WriterSink = Pick<Sink, 'writeBatch' | 'writeAvroBatch' | 'deleteWindows'>;

/**
 * Tables whose records were decoded only to their key and time columns: their rows are
 * written from the records' Avro bytes (`raw.value`).
 */
export interface FromAvroBytes {
  readonly tables: ReadonlySet<string>;
  /** The writer schema (JSON) of a schema id the values carry, loaded by the consumer. */
  writerSchema(schemaId: number): unknown;
  /** A value decoded whole, for a sink that does not read the bytes itself. */
  decode(value: Buffer): unknown;
}

export interface SinkWriterOptions {
  readonly sinks: readonly WriterSink[];
  readonly bindings: ReadonlyMap<string, TableBinding>;
  /** Rows per write call (a flush may hold more). */
  readonly maxRowsPerWrite: number;
  readonly fromAvroBytes?: FromAvroBytes;
}

/**
 * Writes a flush of records to every active sink, table by table: the retractions' deletes,
 * then the upserts. Resolves with the records that failed for good (bad values, isolated by
 * bisecting the failed write) once every sink holds the rest; rejects with a retriable error
 * when any sink had a transient failure, so the caller retries the whole flush (all writes
 * are idempotent upserts or version-guarded deletes).
 */
export class SinkWriter {
  private readonly logger = new Logger(SinkWriter.name);

  constructor(private readonly options: SinkWriterOptions) {}

  async write<R extends SinkRecord>(records: readonly R[]): Promise<WriteFailure<R>[]> {
    const { plans, failures } = planWrites(records, this.options.bindings);
    const perSink = await Promise.allSettled(
      this.options.sinks.map((sink) => this.writeToSink(sink, plans)),
    );
    const rejected = perSink.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected.length > 0) {
      // A retriable failure wins: the whole flush is retried.
      const retriable = rejected.find((r) => isRetriable(r.reason));
      throw (retriable ?? rejected[0])?.reason;
    }
    const out: WriteFailure<R>[] = [...failures];
    const seen = new Set<R>(failures.map((f) => f.record));
    for (const r of perSink) {
      if (r.status !== 'fulfilled') continue;
      for (const f of r.value) {
        if (seen.has(f.record)) continue;
        seen.add(f.record);
        out.push(f);
      }
    }
    if (out.length > 0) {
      this.logger.warn({
        event: 'sink_writer.records_failed',
        count: out.length,
        records: records.length,
      });
    }
    return out;
  }

  private async writeToSink<R extends SinkRecord>(
    sink: WriterSink,
    plans: readonly TablePlan<R>[],
  ): Promise<WriteFailure<R>[]> {
    const failures: WriteFailure<R>[] = [];
    for (const plan of plans) {
      const { table, columnMapping } = plan.binding;
      if (plan.deletes.length > 0) {
        const bad = await writeIsolatingFailures(plan.deletes, (group) =>
          sink.deleteWindows(
            table,
            group.map((g) => g.row),
          ),
        );
        failures.push(...bad.map((b) => ({ record: b.item.record, error: b.error })));
      }
      const avro = this.options.fromAvroBytes?.tables.has(table)
        ? this.options.fromAvroBytes
        : undefined;
      for (const chunk of chunks(plan.upserts, this.options.maxRowsPerWrite)) {
        const bad = await writeIsolatingFailures(chunk, async (group) => {
          const batchId = batchIdOf(table, group);
          if (avro === undefined) {
            await sink.writeBatch(
              group.map((g) => g.row),
              batchId,
              table,
              columnMapping,
            );
            return;
          }
          const values = group.map((g) => avroBytesOf(g.record));
          if (sink.writeAvroBatch !== undefined) {
            await sink.writeAvroBatch(
              {
                values,
                rows: group.map((g) => g.row as Row),
                writerSchema: (id) => avro.writerSchema(id),
                decode: (value) => avro.decode(value) as SourceRow,
              },
              batchId,
              table,
            );
          } else {
            const rows = values.map((v) => avro.decode(v) as SourceRow);
            await sink.writeBatch(rows, batchId, table, columnMapping);
          }
        });
        failures.push(...bad.map((b) => ({ record: b.item.record, error: b.error })));
      }
    }
    return failures;
  }
}

function avroBytesOf(record: SinkRecord): Buffer {
  const value = record.raw?.value;
  if (value === null || value === undefined) {
    throw new WritePlanError('NOT_A_RECORD', `${record.topic}: the record has no value bytes`);
  }
  return value;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Derived from the records' coordinates, so the same rows get the same id (ClickHouse ≥ 22.2
 * drops a retried insert by it) and different rows never share one. Consecutive offsets of
 * a partition are one run (`topic/partition/first+count`): the text hashed stays short.
 */
export function batchIdOf(table: string, rows: readonly PlannedRow[]): string {
  let text = table;
  let topic = '';
  let partition = -1;
  let first = '';
  let next = NaN;
  let count = 0;
  const close = (): void => {
    if (count > 0) text += `|${topic}/${partition}/${first}+${count}`;
  };
  for (const { record } of rows) {
    const offset = Number(record.offset);
    if (record.topic === topic && record.partition === partition && offset === next) {
      count += 1;
      next = Number.isSafeInteger(offset + 1) ? offset + 1 : NaN;
      continue;
    }
    close();
    topic = record.topic;
    partition = record.partition;
    first = record.offset;
    count = 1;
    next = Number.isSafeInteger(offset + 1) ? offset + 1 : NaN;
  }
  close();
  return createHash('sha1').update(text).digest('hex').slice(0, 24);
}
