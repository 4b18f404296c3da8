import {
  aggregateTable,
  eventTable,
  type AggregationSpec,
  type EventTypeSpec,
} from '@platform/contracts';
import { planQuery } from '../query/query-request';
import { planSeries } from '../query/series-query';
import * as avro from 'avsc';
import { ColumnSpec, Sink, TableSchema } from '../sink.port';
import { aggregateTableSchema, eventTableSchema } from '../table-schema';
import { HOSTILE_STRINGS, MODEL } from './fixtures';

/** Rows of the events fixture with every hostile string, a NULL and an empty string. */
export function hostileEventRows(): {
  event_id: string;
  ts: number;
  label: string | null;
  n: number | null;
}[] {
  const base = Date.UTC(2024, 0, 1, 12, 0, 0, 1);
  return [
    ...HOSTILE_STRINGS.map((label, i) => ({ event_id: `e${i}`, ts: base + i, label, n: i })),
    { event_id: 'nulls', ts: base, label: null, n: null },
  ];
}

/** Creates the table twice: createTable must be idempotent. */
export async function createTwice(sink: Sink, table: string, schema: TableSchema): Promise<void> {
  await sink.createTable(table, schema);
  await sink.createTable(table, schema);
}

export interface SinkContractOptions {
  /** A sink, built but not connected, whose namespace (database, schema, directory) is empty. */
  readonly make: () => Sink | Promise<Sink>;
  /** Drops what the sink created (its database or schema), after close. */
  readonly cleanup?: () => Promise<void>;
}

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12, 0);

/**
 * What every driver promises through the port, as one Jest suite: idempotent tables and
 * writes (a replay stores nothing twice), the version rule, version-guarded retractions,
 * both query plans answered the same way, and a missing table reported as `UNKNOWN_TABLE`.
 * Run it from a spec of the driver: `describeSinkContract('s3', { make: () => new S3Sink() })`.
 */
export function describeSinkContract(label: string, options: SinkContractOptions): void {
  describe(`sink contract: ${label}`, () => {
    let sink: Sink;
    const pageView = MODEL.eventTypes[0] as EventTypeSpec;
    const perMinute = MODEL.aggregations[0] as AggregationSpec;
    const events = eventTableSchema(pageView, MODEL);
    const aggs = aggregateTableSchema(perMinute, MODEL);
    const eventsTable = eventTable(pageView);
    const aggTable = aggregateTable(perMinute);
    const aggColumns = aggs.columns.map((c) => c.name);
    const window = (minute: number, device: string, value: number, version: number) => ({
      window_start: T0 + minute * MINUTE,
      window_end: T0 + (minute + 1) * MINUTE,
      device_type: device,
      value,
      event_count: value,
      version,
    });
    const totals = async (): Promise<Record<string, unknown>[]> => {
      const planned = planQuery(MODEL, {
        aggregation: perMinute.name,
        time_range: { from: T0, to: T0 + 10 * MINUTE },
        group_by: ['window_start', 'device_type'],
      });
      if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
      return sink.queryAggregates(planned.plan);
    };

    beforeAll(async () => {
      sink = await options.make();
      await sink.connect();
      await createTwice(sink, eventsTable, events);
      await createTwice(sink, aggTable, aggs);
    });

    afterAll(async () => {
      await sink?.close();
      await options.cleanup?.();
    });

    it('is healthy once connected', async () => {
      expect((await sink.healthCheck()).ok).toBe(true);
    });

    it('stores hostile strings as sent, and a replayed batch once', async () => {
      const rows = HOSTILE_STRINGS.map((referrer, i) => ({
        event_id: `e${i}`,
        timestamp: T0 + i,
        user_id: 'u1',
        referrer,
        load_ms: i,
        page: '/p',
        device_type: 'mobile',
      }));
      rows.push({ ...rows[0], event_id: 'nulls', referrer: null, load_ms: null } as never);
      const columns = events.columns.map((c) => c.name);
      await sink.writeRows(eventsTable, rows, columns, { batchId: 'b1' });
      await sink.writeRows(eventsTable, rows, columns, { batchId: 'b1' });
      const planned = planSeries(MODEL, {
        event_type: pageView.name,
        time_range: { from: T0, to: T0 + MINUTE },
        limit: 1_000,
      });
      if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
      const read = await sink.querySeries(planned.plan);
      expect(read.truncated).toBe(false);
      const byId = new Map(read.rows.map((r) => [r['event_id'], r]));
      expect(byId.size).toBe(rows.length);
      for (const row of rows) expect(byId.get(row.event_id)).toEqual(row);
    });

    it('stores rows written from their Avro bytes as the decoded rows, and a replay once', async () => {
      const from = T0 + 2 * MINUTE;
      const rows = HOSTILE_STRINGS.map((referrer, i) => ({
        event_id: `avro${i}`,
        timestamp: from + i,
        user_id: `u${i}`,
        referrer,
        load_ms: i % 3 === 0 ? null : i,
        page: referrer.length > 0 ? referrer : '/p',
        device_type: 'tablet',
      }));
      const { schema, type } = avroOf(events);
      const values = rows.map((row) => {
        const header = Buffer.from([0, 0, 0, 0, 42]);
        return Buffer.concat([header, type.toBuffer(row)]);
      });
      const batch = {
        values,
        rows,
        writerSchema: (id: number) => (id === 42 ? schema : undefined),
        decode: (value: Buffer) => type.fromBuffer(value.subarray(5)) as Record<string, unknown>,
      };
      for (let i = 0; i < 2; i++) {
        expect(await sink.writeAvroBatch?.(batch, 'avro-1', eventsTable)).toBe(rows.length);
      }
      const planned = planSeries(MODEL, {
        event_type: pageView.name,
        time_range: { from, to: from + MINUTE },
        limit: 1_000,
      });
      if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
      const read = await sink.querySeries(planned.plan);
      const byId = new Map(read.rows.map((r) => [r['event_id'], r]));
      expect(byId.size).toBe(rows.length);
      for (const row of rows) expect(byId.get(row.event_id)).toEqual(row);
    });

    it('keeps the highest version of an aggregate window and combines windows', async () => {
      await sink.writeRows(
        aggTable,
        [window(0, 'mobile', 1, 1), window(1, 'mobile', 5, 1)],
        aggColumns,
      );
      await sink.writeRows(aggTable, [window(0, 'mobile', 3, 2)], aggColumns);
      // An older version changes nothing.
      await sink.writeRows(aggTable, [window(0, 'mobile', 9, 1)], aggColumns);
      expect(await totals()).toEqual([
        {
          window_start: T0,
          window_end: T0 + MINUTE,
          device_type: 'mobile',
          value: 3,
          event_count: 3,
        },
        {
          window_start: T0 + MINUTE,
          window_end: T0 + 2 * MINUTE,
          device_type: 'mobile',
          value: 5,
          event_count: 5,
        },
      ]);
    });

    it('deletes a retracted window unless a newer version is stored', async () => {
      await sink.writeRows(aggTable, [window(5, 'tablet', 7, 3)], aggColumns);
      await sink.deleteWindows(aggTable, [window(5, 'tablet', 0, 2)]);
      expect((await totals()).filter((r) => r['device_type'] === 'tablet')).toHaveLength(1);
      await sink.deleteWindows(aggTable, [window(5, 'tablet', 0, 3)]);
      // ClickHouse before 20.x applies a mutation asynchronously: wait for it, briefly.
      for (let i = 0; i < 50; i++) {
        if ((await totals()).every((r) => r['device_type'] !== 'tablet')) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await totals()).filter((r) => r['device_type'] === 'tablet')).toEqual([]);
    });

    it('reports a table it does not have as UNKNOWN_TABLE', async () => {
      const planned = planQuery(MODEL, {
        aggregation: (MODEL.aggregations[1] as AggregationSpec).name,
        time_range: { from: T0, to: T0 + MINUTE },
      });
      if (!planned.ok) throw new Error(JSON.stringify(planned.failures));
      await expect(sink.queryAggregates(planned.plan)).rejects.toMatchObject({
        code: 'UNKNOWN_TABLE',
      });
    });
  });
}

/** An Avro record schema of a table's columns, as the platform's contracts write events. */
function avroOf(table: TableSchema): { schema: unknown; type: avro.Type } {
  const primitive = (type: ColumnSpec['type']): unknown =>
    type === 'timestamp' ? { type: 'long', logicalType: 'timestamp-millis' } : type;
  const schema = {
    type: 'record',
    name: 'contract_event',
    fields: table.columns.map((c) =>
      c.nullable
        ? { name: c.name, type: ['null', primitive(c.type)], default: null }
        : { name: c.name, type: primitive(c.type) },
    ),
  };
  return { schema, type: avro.Type.forSchema(schema as avro.Schema) };
}
