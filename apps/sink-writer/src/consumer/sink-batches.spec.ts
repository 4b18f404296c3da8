import { aggregateTopic, eventTopic, validateDomainModel } from '@platform/contracts';
import {
  InMemorySchemaRegistrar,
  fakeKafkaConsumer,
  type ConsumerOptions,
  type DeadLetter,
} from '@platform/messaging';
import {
  AvroSerde,
  generateAggregateSchema,
  generateAllSchemas,
  toJson,
  type AvroRecordSchema,
} from '@platform/schema-registry';
import { RETRACTED_HEADER, SinkError, tableBindings } from '@platform/sink-adapters';
import { sinkBatches, type SinkBatchSettings } from './sink-batches';
import type { WriterSink } from '../writer/sink-writer';

/** One event type and one aggregation of it: enough to route events and aggregates. */
const validated = validateDomainModel({
  domain: 'shop',
  version: 'v1',
  contract: { description: 'Page views.', namespace: 'com.example.shop', mode: 'async' },
  entities: { user: { primary_key: 'user_id' } },
  event_types: [
    {
      name: 'page_view',
      entity: 'user',
      attributes: [{ name: 'page_url', type: 'string' }],
      dimensions: [{ name: 'device_type', type: 'string', values: ['desktop', 'mobile'] }],
    },
  ],
  aggregations: [
    {
      name: 'views_per_minute',
      event_type: 'page_view',
      type: 'count',
      window: { type: 'tumbling', duration: '1 minute', allowed_lateness: '30 seconds' },
      group_by: ['device_type'],
    },
  ],
});
if (!validated.ok) throw new Error(validated.issues.map((i) => i.message).join('; '));
const model = validated.model;
const prefixes = {
  events: 'ev',
  aggregates: 'agg',
  dlq: 'dlq',
  late: 'late',
  subscriptions: 'subs',
};
const EVENTS = eventTopic(prefixes, 'page_view');
const AGGREGATES = aggregateTopic(prefixes, 'views_per_minute');
const aggregation = model.aggregations[0];
if (aggregation === undefined) throw new Error('no aggregation');

const settings: SinkBatchSettings = {
  groupId: 'sink-writer',
  fromBeginning: true,
  concurrency: 1,
  sessionTimeoutMs: 30_000,
  fetchBytesPerPartition: 1 << 20,
  maxBatch: 100,
  maxBatchBytes: 1_000_000,
  maxWaitMs: 5,
  flushesInFlight: 1,
};

type Write = { table: string; batchId: string | number; rows: Record<string, unknown>[] };

/**
 * The consumer over one sink that records what it wrote and deleted; `failWrite` can refuse
 * a write (by throwing) before it is recorded.
 */
async function newSinkConsumer(
  options: {
    failWrite?: (rows: readonly Record<string, unknown>[], attempt: number) => Error | undefined;
  } = {},
) {
  const log: string[] = [];
  const kafka = fakeKafkaConsumer((line) => log.push(line));
  const registry = new InMemorySchemaRegistrar();
  const letters: DeadLetter[] = [];
  const writes: Write[] = [];
  const deletes: { table: string; rows: Record<string, unknown>[] }[] = [];
  let attempts = 0;
  const sink: WriterSink = {
    writeBatch: async (rows, batchId, table) => {
      attempts += 1;
      const refusal = options.failWrite?.(rows, attempts);
      if (refusal !== undefined) {
        log.push(`refused ${table}`);
        throw refusal;
      }
      writes.push({ table, batchId, rows: rows.map((r) => ({ ...r })) });
      log.push(`write ${table} ${rows.length}`);
      return rows.length;
    },
    deleteWindows: async (table, rows) => {
      deletes.push({ table, rows: rows.map((r) => ({ ...r })) });
      log.push(`delete ${table} ${rows.length}`);
    },
  };
  const counted: Record<string, number> = {};
  let runs = 0;
  const consumerOptions: ConsumerOptions[] = [];
  const { consumer, accumulator } = sinkBatches(
    {
      kafka: {
        consumer: (options) => {
          consumerOptions.push(options);
          return kafka.consumer();
        },
      },
      registry,
      deadLetters: {
        publish: async (batch) => {
          letters.push(...batch);
          log.push(`dead-letter ${batch.length}`);
        },
      },
    },
    {
      settings,
      topics: [EVENTS, AGGREGATES],
      sinks: [sink],
      bindings: tableBindings(model, prefixes, ['events', 'aggregates']),
      tracker: {
        run: async (work) => {
          runs += 1;
          return work();
        },
      },
      records: {
        inc: ({ outcome }, value) => {
          counted[outcome] = (counted[outcome] ?? 0) + value;
        },
      },
    },
  );
  await consumer.start();

  const serde = new AvroSerde(registry);
  const schemas = generateAllSchemas(model);
  const encoder = async (topic: string, schema: AvroRecordSchema) => {
    const id = await registry.register(`${topic}-value`, toJson(schema));
    return (value: Record<string, unknown>) => serde.encode(id, schema, value);
  };
  const encodeEvent = await encoder(EVENTS, schemas['page_view'] as AvroRecordSchema);
  const encodeWindow = await encoder(AGGREGATES, generateAggregateSchema(aggregation, model));

  const stop = async (): Promise<void> => {
    await consumer.stop();
    await accumulator.close();
  };
  return {
    deliver: kafka.deliver,
    committed: kafka.committed,
    stop,
    encodeEvent,
    encodeWindow,
    log,
    writes,
    deletes,
    letters,
    counted,
    consumerOptions,
    runs: () => runs,
  };
}

const view = (id: string, device = 'mobile'): Record<string, unknown> => ({
  event_id: id,
  timestamp: 1_700_000_000_000,
  user_id: 'u1',
  page_url: '/home',
  device_type: device,
});
const windowRow = (start: number, value: number, version: number) => ({
  window_start: start,
  window_end: start + 60_000,
  device_type: 'mobile',
  value,
  version,
  event_count: value,
});

describe(sinkBatches.name, () => {
  let running: { stop(): Promise<void> } | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('reads read_committed with its fetch size and session timeout', async () => {
    const c = await newSinkConsumer();
    running = c;
    expect(c.consumerOptions).toEqual([
      expect.objectContaining({
        groupId: 'sink-writer',
        readUncommitted: false,
        maxBytesPerPartition: settings.fetchBytesPerPartition,
        sessionTimeout: settings.sessionTimeoutMs,
      }),
    ]);
  });

  it('writes a batch of events to their table, then commits past its last offset', async () => {
    const c = await newSinkConsumer();
    running = c;
    await c.deliver(EVENTS, 0, 10, [
      { value: c.encodeEvent(view('e1')) },
      { value: c.encodeEvent(view('e2', 'desktop')) },
    ]);
    await c.committed(EVENTS, 0, '12');
    expect(c.writes).toEqual([
      {
        table: 'events_page_view',
        batchId: expect.any(String),
        rows: [
          expect.objectContaining({ event_id: 'e1', device_type: 'mobile' }),
          expect.objectContaining({ event_id: 'e2', device_type: 'desktop' }),
        ],
      },
    ]);
    // The commit comes only after the write.
    expect(c.log).toEqual(['write events_page_view 2', `commit ${EVENTS}[0]@12`]);
    expect(c.letters).toEqual([]);
    expect(c.counted).toEqual({ written: 2 });
    expect(c.runs()).toBe(1);
  });

  it('leaves the offsets uncommitted while a sink fails retriably, and writes the same rows again', async () => {
    const c = await newSinkConsumer({
      failWrite: (_rows, attempt) =>
        attempt === 1
          ? new SinkError('CONNECTION', 'clickhouse is down', { sink: 'clickhouse' })
          : undefined,
    });
    running = c;
    await c.deliver(EVENTS, 3, 0, [{ value: c.encodeEvent(view('e1')) }]);
    await c.committed(EVENTS, 3, '1');
    expect(c.log).toEqual([
      'refused events_page_view',
      'write events_page_view 1',
      `commit ${EVENTS}[3]@1`,
    ]);
    expect(c.writes).toHaveLength(1);
    expect(c.letters).toEqual([]);
    expect(c.counted).toEqual({ written: 1 });
  });

  it('dead-letters an undecodable record with its reason, writes the rest and commits past both', async () => {
    const c = await newSinkConsumer();
    running = c;
    await c.deliver(EVENTS, 0, 0, [
      { value: Buffer.from('not avro'), headers: { origin: 'test' } },
      { value: c.encodeEvent(view('e2')) },
    ]);
    await c.committed(EVENTS, 0, '2');
    expect(c.writes.flatMap((w) => w.rows.map((r) => r['event_id']))).toEqual(['e2']);
    expect(c.letters).toEqual([
      expect.objectContaining({
        value: Buffer.from('not avro'),
        source: { topic: EVENTS, partition: 0, offset: '0' },
        error: expect.objectContaining({ retriable: false }),
      }),
    ]);
    // Its reason, and its original headers, go with it.
    expect(c.letters[0]?.error.code).toBe('UNKNOWN_MAGIC_BYTE');
    expect(c.letters[0]?.headers).toEqual({ origin: 'test' });
    // Dead letters are published before the commit.
    expect(c.log).toEqual(['write events_page_view 1', 'dead-letter 1', `commit ${EVENTS}[0]@2`]);
  });

  it('dead-letters a record a sink refuses for good with the sink error, and writes the others', async () => {
    const c = await newSinkConsumer({
      failWrite: (rows) =>
        rows.some((r) => r['event_id'] === 'bad')
          ? new SinkError('TYPE', 'postgres: bad value for page_url', { sink: 'postgres' })
          : undefined,
    });
    running = c;
    await c.deliver(EVENTS, 1, 40, [
      { value: c.encodeEvent(view('e1')) },
      { value: c.encodeEvent(view('bad')) },
      { value: c.encodeEvent(view('e3')) },
    ]);
    await c.committed(EVENTS, 1, '43');
    expect(c.writes.flatMap((w) => w.rows.map((r) => r['event_id'])).sort()).toEqual(['e1', 'e3']);
    expect(c.letters).toEqual([
      expect.objectContaining({
        source: { topic: EVENTS, partition: 1, offset: '41' },
        error: { code: 'TYPE', message: 'postgres: bad value for page_url', retriable: false },
      }),
    ]);
    expect(c.counted).toEqual({ written: 2, dead_lettered: 1 });
  });

  it('writes aggregates to their table, the newest version of a window once, and deletes a retracted window', async () => {
    const c = await newSinkConsumer();
    running = c;
    await c.deliver(AGGREGATES, 0, 0, [
      { value: c.encodeWindow(windowRow(60_000, 2, 2)) },
      { value: c.encodeWindow(windowRow(60_000, 3, 3)) },
      { value: c.encodeWindow(windowRow(60_000, 1, 1)) },
      { value: c.encodeWindow(windowRow(180_000, 5, 1)) },
      {
        value: c.encodeWindow(windowRow(180_000, 5, 1)),
        headers: { [RETRACTED_HEADER]: 'true' },
      },
    ]);
    await c.committed(AGGREGATES, 0, '5');
    expect(c.deletes).toEqual([
      {
        table: 'agg_views_per_minute',
        rows: [expect.objectContaining({ window_start: 180_000, version: 1 })],
      },
    ]);
    expect(c.writes).toEqual([
      {
        table: 'agg_views_per_minute',
        batchId: expect.any(String),
        rows: [expect.objectContaining({ window_start: 60_000, value: 3, version: 3 })],
      },
    ]);
    // Deletes go before the upserts, and both before the commit.
    expect(c.log).toEqual([
      'delete agg_views_per_minute 1',
      'write agg_views_per_minute 1',
      `commit ${AGGREGATES}[0]@5`,
    ]);
    expect(c.letters).toEqual([]);
  });
});
