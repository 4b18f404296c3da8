import { load, type PlatformConfig } from '@platform/config';
import { aggregateTopic } from '@platform/contracts';
import { ensureDomainTopics, TopicAdmin } from '@platform/messaging';
import { AvroSerde, SchemaRegistryClient } from '@platform/schema-registry';
import {
  clickhouse,
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  generatorDryRun,
  restartBroker,
  runTs,
  withPg,
  startProcess,
  startSchemaRegistry,
  startService,
  uniqueName,
  type ChildService,
  type RegistryProcess,
} from '@platform/testing';
import {
  diffRows,
  expectedForModel,
  formatDifferences,
  type ComparableRow,
  type TypedOracleEvent,
} from '../oracle';
import { clickHouseRows, kafkaOf, orEmpty, postgresRows } from './aggregate-sinks';

/**
 * The aggregator in continuous `run` mode, as deployed: an error that no retry can heal ends
 * it with a JSON line and a non-zero exit, input that goes quiet still closes its last
 * windows (idle timeout), with the oracle's values, and a SIGKILL in the middle of a live
 * input loses and doubles nothing.
 */
jest.setTimeout(300_000);

const AGGREGATOR = 'apps/aggregator/src/cli.ts';
const GENERATOR = 'apps/generator/src/cli.ts';

describe('aggregator run mode', () => {
  const base = uniqueName('e2e_run');
  let registry: RegistryProcess;
  const children: ChildService[] = [];

  beforeAll(async () => {
    registry = await startSchemaRegistry();
  });

  afterAll(async () => {
    for (const child of children) await child.stop().catch(() => undefined);
    await registry?.stop();
    const admin = new TopicAdmin(kafkaOf(await load({ environment: 'test' })));
    await admin.connect();
    try {
      await admin.deleteTopicsWithPrefix(base);
    } finally {
      await admin.disconnect();
    }
  });

  async function setUp(run: string): Promise<{ env: NodeJS.ProcessEnv; config: PlatformConfig }> {
    const env: NodeJS.ProcessEnv = {
      ENVIRONMENT: 'test',
      PLATFORM__topics__events: `${base}_${run}_events`,
      PLATFORM__topics__aggregates: `${base}_${run}_agg`,
      PLATFORM__topics__late: `${base}_${run}_late`,
      PLATFORM__topics__dlq: `${base}_${run}_dlq`,
      PLATFORM__schema_registry__url: registry.url,
      AGGREGATOR_APP_ID: `${base}_${run}_app`,
      AGGREGATOR_SESSION_TIMEOUT_MS: '6000',
    };
    const config = await load({ environment: 'test', env: { ...process.env, ...env } });
    await ensureDomainTopics(kafkaOf(config), config);
    return { env, config };
  }

  it('ends with one JSON line and exit code 1 on an error that no retry can heal', async () => {
    const { env } = await setUp('fatal');
    // Above the broker's transaction.max.timeout.ms (15 min): InitProducerId is refused.
    const child = startProcess(AGGREGATOR, ['run', '--env', 'test'], {
      ...env,
      PORT: '0',
      AGGREGATOR_TRANSACTION_TIMEOUT_MS: String(60 * 60_000),
    });
    children.push(child);
    const code = await Promise.race([
      child.exited,
      new Promise<'still running'>((r) => setTimeout(() => r('still running'), 120_000)),
    ]);
    const lines = child
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const fatal = lines.filter((l) => l['event'] === 'aggregator.fatal');
    expect({ code, fatal: fatal.length }).toEqual({ code: 1, fatal: 1 });
    expect(fatal[0]).toMatchObject({
      level: 'error',
      service: 'aggregator',
      err: expect.objectContaining({ message: expect.stringMatching(/transaction timeout/i) }),
    });
  });

  it('closes the last windows when input goes quiet, within the idle timeout plus a second', async () => {
    const { env, config } = await setUp('idle');
    const idleTimeoutMs = 2_000;
    const aggregator = await startService({
      entry: AGGREGATOR,
      args: ['run', '--env', 'test'],
      env: { ...env, AGGREGATOR_IDLE_TIMEOUT_MS: String(idleTimeoutMs) },
      healthPath: '/readyz',
    });
    children.push(aggregator);
    const options = ['--env', 'test', '--count', '3000', '--seed', '11', '--rate', 'max'];
    const sent = await runTs(
      GENERATOR,
      ['run', ...options, '--target', 'kafka', '--registry', registry.url, '--no-progress'],
      env,
    );
    expect(sent.code).toBe(0);
    // Input stopped, for the aggregator, once it has consumed all of it.
    const inputStopped = await consumedAll(config, String(env['AGGREGATOR_APP_ID']));

    // Without idleness nothing would close the windows that hold the last events.
    const oracle = expectedForModel(
      config.model,
      (await generatorDryRun(options)) as TypedOracleEvent[],
    );
    for (const spec of config.model.aggregations) {
      const want = oracle.get(spec.name)?.rows ?? [];
      const lastEnd = Math.max(...want.map((r) => r.windowEnd));
      const got = await readAggregates(config, spec.name, spec.groupBy, want.length, 30_000);
      const differences = diffRows(want, [...got.rows.values()], { tolerance: 1e-6 });
      expect(formatDifferences(differences)).toBe('no differences');
      const lastEmitted = Math.max(
        ...[...got.rows.values()]
          .filter((r) => r.windowEnd === lastEnd)
          .map((r) => got.emittedAt.get(r) ?? Infinity),
      );
      const delayMs = lastEmitted - inputStopped;
      expect({ aggregation: spec.name, delayMs, late: delayMs > idleTimeoutMs + 1_000 }).toEqual({
        aggregation: spec.name,
        delayMs,
        late: false,
      });
    }
  });

  it('SIGKILLed in the middle of a live input and started again, its aggregates equal the oracle', async () => {
    const { env: base0, config } = await setUp('crash');
    // Small batches, so the kill lands between many transactions; the idle timeout closes
    // the last windows once the input ends. The events' times are historical, so a stall
    // longer than the timeout would close every window by the wall clock (as documented):
    // the timeout is far above what a busy machine stalls for.
    const env: NodeJS.ProcessEnv = {
      ...base0,
      AGGREGATOR_IDLE_TIMEOUT_MS: '15000',
      AGGREGATOR_MAX_BYTES_PER_PARTITION: String(64 * 1024),
    };
    const start = (): Promise<ChildService> =>
      startService({
        entry: AGGREGATOR,
        args: ['run', '--env', 'test'],
        env,
        healthPath: '/readyz',
      });
    const first = await start();
    children.push(first);
    // About 8 s of input, so the kill lands while events are still arriving.
    const options = ['--env', 'test', '--count', '16000', '--seed', '17', '--rate', '2000'];
    const sending = runTs(
      GENERATOR,
      ['run', ...options, '--target', 'kafka', '--registry', registry.url, '--no-progress'],
      env,
    );
    const appId = String(env['AGGREGATOR_APP_ID']);
    await eventually(async () => (await committedOffsetSum(config, appId)) > 2_000, {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await first.crash();
    const second = await start();
    children.push(second);
    const sent = await sending;
    expect({ code: sent.code, stderr: sent.code === 0 ? '' : sent.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    await consumedAll(config, appId);

    const oracle = expectedForModel(
      config.model,
      (await generatorDryRun(options)) as TypedOracleEvent[],
    );
    for (const spec of config.model.aggregations) {
      const want = oracle.get(spec.name)?.rows ?? [];
      const got = await readAggregates(config, spec.name, spec.groupBy, want.length, 60_000);
      const differences = diffRows(want, [...got.rows.values()], { tolerance: 1e-6 });
      expect({ aggregation: spec.name, differences: formatDifferences(differences) }).toEqual({
        aggregation: spec.name,
        differences: 'no differences',
      });
    }
  });

  it('survives broker restarts under load (SIGTERM, then SIGKILL): every accepted event stored once, aggregates equal the oracle of what Kafka holds', async () => {
    const { env: base0, config } = await setUp('restart');
    const store = `${base}_restart`;
    const env: NodeJS.ProcessEnv = {
      ...base0,
      PLATFORM__clickhouse__database: store,
      PLATFORM__postgres__schema: store,
      GATEWAY_DB_SCHEMA: store,
      SINK_WRITER_GROUP_ID: `${store}_sw`,
      SINK_WRITER_MAX_WAIT_MS: '200',
      SINK_WRITER_SESSION_TIMEOUT_MS: '6000',
    };
    try {
      const services = await Promise.all([
        startService({ entry: 'apps/sink-writer/src/main.ts', env }),
        startService({
          entry: AGGREGATOR,
          args: ['run', '--env', 'test'],
          env,
          healthPath: '/readyz',
        }),
        startService({ entry: 'apps/ingestion-gateway/src/main.ts', env, healthPath: '/readyz' }),
      ]);
      children.push(...services);
      const gateway = services[2];
      const created = await runTs(
        'apps/ingestion-gateway/src/cli.ts',
        ['keys', 'create', '--source', 'e2e', '--json'],
        env,
      );
      expect(created.code).toBe(0);
      const key = (JSON.parse(created.stdout) as { key: string }).key;

      // The generator's events with their ids, sent in order in batches of 50; a batch is
      // sent again (same ids) until every event of it is accepted, before the next one, so
      // the arrival order is the generator's, as the oracle assumes.
      const options = ['--env', 'test', '--count', '12000', '--seed', '5', '--rate', 'max'];
      const events = (await generatorDryRun(options)) as TypedOracleEvent[];
      // Then, per event type, events far later on every partition: they close every window before.
      const closeAt = Math.max(...events.map((e) => e.event.timestamp)) + 86_400_000;
      const fields: Record<string, Record<string, unknown>> = {
        page_view: { page_url: '/', page_title: null, referrer: null, country: 'US' },
        add_to_cart: { price: 10, product_id: 'p', quantity: 1 },
        purchase: { coupon_code: null, order_id: 'o', revenue: 10, currency: 'USD' },
      };
      const closers: TypedOracleEvent[] = Object.entries(fields).flatMap(([eventType, rest]) =>
        Array.from({ length: 48 }, (_, i) => ({
          eventType,
          event: {
            event_id: `closer-${eventType}-${i}`,
            timestamp: closeAt,
            user_id: `closer-${i}`,
            device_type: 'desktop',
            ...rest,
          },
        })),
      );
      let sent = 0;
      let answered503 = 0;
      const load = (async () => {
        const all = [...events, ...closers];
        for (let i = 0; i < all.length; i += 50) {
          let pending = all.slice(i, i + 50);
          const deadline = Date.now() + 180_000;
          while (pending.length > 0) {
            if (Date.now() > deadline) throw new Error(`batch ${i} not accepted in 180 s`);
            const response = await fetch(`${gateway.url}/v1/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-write-key': key },
              body: JSON.stringify({
                events: pending.map((e) => ({ type: e.eventType, event: e.event })),
              }),
              signal: AbortSignal.timeout(60_000),
            }).catch(() => null);
            if (response === null || response.status >= 500) {
              answered503 += response === null ? 0 : 1;
              await response?.text();
              await new Promise((r) => setTimeout(r, 500));
              continue;
            }
            const body = (await response.json()) as {
              results?: { index: number; status: string }[];
            };
            expect({ status: response.status, hasResults: Array.isArray(body.results) }).toEqual({
              status: 202,
              hasResults: true,
            });
            const ok = new Set(
              (body.results ?? [])
                .filter((r) => r.status === 'accepted' || r.status === 'duplicate')
                .map((r) => r.index),
            );
            pending = pending.filter((_, index) => !ok.has(index));
          }
          sent = i + 50;
        }
      })();
      const untilSent = (n: number) =>
        eventually(async () => sent >= n, { timeoutMs: 240_000, intervalMs: 100 });
      await untilSent(events.length * 0.25);
      await restartBroker('SIGTERM');
      await untilSent(events.length * 0.6);
      await restartBroker('SIGKILL');
      await load;

      // Every service recovered by itself.
      for (const service of services) {
        const health = await fetch(`${service.url}/healthz`).then(
          (r) => r.status,
          () => 0,
        );
        expect({ url: service.url, health }).toEqual({ url: service.url, health: 200 });
      }

      const accepted = events.length + closers.length;
      const stored = async (): Promise<[number, number, number, number]> => {
        const types = ['page_view', 'add_to_cart', 'purchase'];
        let ch = 0;
        let chDistinct = 0;
        let pg = 0;
        let pgDistinct = 0;
        for (const type of types) {
          const [n, d] = (
            await clickhouse(
              `SELECT count(), uniqExact(event_id) FROM \`${store}\`.events_${type} FINAL FORMAT TSV`,
            ).catch(() => '0\t0')
          )
            .trim()
            .split('\t')
            .map(Number);
          ch += n ?? 0;
          chDistinct += d ?? 0;
          const row = await withPg((c) =>
            c
              .query<{
                n: string;
                d: string;
              }>(
                `SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM "${store}".events_${type}`,
              )
              .then(
                (r) => r.rows[0],
                () => ({ n: '0', d: '0' }),
              ),
          );
          pg += Number(row?.n ?? 0);
          pgDistinct += Number(row?.d ?? 0);
        }
        return [ch, chDistinct, pg, pgDistinct];
      };
      const all = await eventually(async () => (await stored()).every((n) => n >= accepted), {
        timeoutMs: 180_000,
        intervalMs: 1_000,
      });
      expect({ all, writer: all ? '' : services[0].output().slice(-4_000) }).toEqual({
        all: true,
        writer: '',
      });
      expect(await stored()).toEqual([accepted, accepted, accepted, accepted]);

      // The aggregator counts records. A produce that failed without an answer while the
      // broker died may have landed all the same, and the client's retry then writes the
      // event again (the sinks keep it once, by event_id): the oracle gets what Kafka holds.
      const inKafka = await committedEventIds(config);
      const byId = new Map([...events, ...closers].map((e) => [e.event.event_id, e]));
      const copies = new Map<string, number>();
      for (const id of inKafka) copies.set(id, (copies.get(id) ?? 0) + 1);
      expect({ distinct: copies.size, unknown: inKafka.filter((id) => !byId.has(id)) }).toEqual({
        distinct: accepted,
        unknown: [],
      });
      const asKafkaHolds = [...events, ...closers].flatMap((e) =>
        Array.from({ length: copies.get(e.event.event_id) ?? 0 }, () => e),
      );

      const oracle = expectedForModel(config.model, asKafkaHolds);
      for (const spec of config.model.aggregations) {
        const want = (oracle.get(spec.name)?.rows ?? []).filter((r) => r.windowEnd < closeAt);
        const inTime = (rows: ComparableRow[]) => rows.filter((r) => r.windowEnd < closeAt);
        const settled = async (): Promise<[number, number]> => [
          diffRows(want, inTime(await orEmpty(clickHouseRows(store, spec))), { tolerance: 1e-6 })
            .length,
          diffRows(want, inTime(await orEmpty(postgresRows(store, spec))), { tolerance: 1e-6 })
            .length,
        ];
        await eventually(async () => (await settled()).every((n) => n === 0), {
          timeoutMs: 120_000,
          intervalMs: 1_000,
        });
        const ch = diffRows(want, inTime(await clickHouseRows(store, spec)), { tolerance: 1e-6 });
        const pg = diffRows(want, inTime(await postgresRows(store, spec)), { tolerance: 1e-6 });
        expect({ aggregation: spec.name, clickhouse: formatDifferences(ch, 5) }).toEqual({
          aggregation: spec.name,
          clickhouse: 'no differences',
        });
        expect({ aggregation: spec.name, postgres: formatDifferences(pg, 5) }).toEqual({
          aggregation: spec.name,
          postgres: 'no differences',
        });
      }
      // The load met the outages: some requests were answered 503 and sent again.
      expect(answered503).toBeGreaterThan(0);
    } finally {
      await dropClickHouseDatabase(store);
      await dropPgSchema(store);
    }
  }, 900_000);
});

/**
 * The event id of every committed record of the event topics (a repeated id once per copy),
 * read up to the end offsets taken first: nothing produces to them any more, and the
 * gateway's producer is not transactional, so the last record of a partition sits at its
 * end offset minus one.
 */
async function committedEventIds(config: PlatformConfig): Promise<string[]> {
  const topics = ['page_view', 'add_to_cart', 'purchase'].map(
    (t) => `${config.topics.events}.${t}`,
  );
  const serde = new AvroSerde(new SchemaRegistryClient({ url: config.schema_registry.url }));
  const consumer = kafkaOf(config).consumer({
    groupId: `${config.topics.events}.e2e-count.${Date.now()}`,
    readUncommitted: false,
  });
  const ids: string[] = [];
  // `topic/partition` → its end offset, for every partition that holds records.
  const left = new Map<string, bigint>();
  const admin = kafkaOf(config).admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) left.set(`${topic}/${p.partition}`, BigInt(p.high));
      }
    }
  } finally {
    await admin.disconnect();
  }
  let atEnd = (): void => undefined;
  const allRead = new Promise<void>((resolve) => (atEnd = resolve));
  if (left.size === 0) atEnd();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        if (message.value !== null) {
          const event = (await serde.decode(message.value)) as { event_id: unknown };
          ids.push(String(event.event_id));
        }
        // A partition's records come in order: its last one means all of it was read.
        const where = `${topic}/${partition}`;
        const end = left.get(where);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) {
          left.delete(where);
          if (left.size === 0) atEnd();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 120_000);
    });
    const outcome = await Promise.race([allRead, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout')
      throw new Error(`event topics not read to their end offsets: ${[...left.keys()].join(', ')}`);
  } finally {
    await consumer.disconnect();
  }
  return ids;
}

/** The sum of the group's committed offsets over the source topics. */
async function committedOffsetSum(config: PlatformConfig, groupId: string): Promise<number> {
  const admin = kafkaOf(config).admin();
  await admin.connect();
  try {
    const topics = [...new Set(config.model.aggregations.map((a) => a.eventType))].map(
      (type) => `${config.topics.events}.${type}`,
    );
    let done = 0;
    for (const t of await admin.fetchOffsets({ groupId, topics })) {
      for (const p of t.partitions) done += Math.max(0, Number(p.offset));
    }
    return done;
  } finally {
    await admin.disconnect();
  }
}

/** When the group's committed offsets reach the end of every source topic (polled every 50 ms). */
async function consumedAll(config: PlatformConfig, groupId: string): Promise<number> {
  const admin = kafkaOf(config).admin();
  await admin.connect();
  try {
    const topics = [...new Set(config.model.aggregations.map((a) => a.eventType))].map(
      (type) => `${config.topics.events}.${type}`,
    );
    let end = 0;
    for (const topic of topics) {
      for (const o of await admin.fetchTopicOffsets(topic)) end += Number(o.high);
    }
    for (;;) {
      let done = 0;
      for (const t of await admin.fetchOffsets({ groupId, topics })) {
        for (const p of t.partitions) done += Math.max(0, Number(p.offset));
      }
      if (done >= end) return Date.now();
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * The newest row per key of `aggregates.<name>` (retracted rows removed), with the time each
 * was produced, read until `expected` rows are there or `timeoutMs` passed.
 */
async function readAggregates(
  config: PlatformConfig,
  aggregation: string,
  groupBy: readonly string[],
  expected: number,
  timeoutMs: number,
): Promise<{ rows: Map<string, ComparableRow>; emittedAt: Map<ComparableRow, number> }> {
  const serde = new AvroSerde(new SchemaRegistryClient({ url: config.schema_registry.url }));
  const topic = aggregateTopic(config.topics, aggregation);
  const consumer = kafkaOf(config).consumer({
    groupId: `${topic}.e2e-reader.${Date.now()}`,
    readUncommitted: false,
  });
  const rows = new Map<string, ComparableRow>();
  const emittedAt = new Map<ComparableRow, number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (message.headers?.['aggregate.retracted']?.toString() === 'true') {
          rows.delete(key);
          return;
        }
        if (message.value === null) return;
        const record = (await serde.decode(message.value)) as Record<string, unknown>;
        const group: Record<string, unknown> = {};
        for (const field of groupBy) group[field] = record[field] ?? null;
        const row: ComparableRow = {
          windowStart: Number(record['window_start']),
          windowEnd: Number(record['window_end']),
          group,
          value: record['value'],
          eventCount: Number(record['event_count']),
        };
        rows.set(key, row);
        emittedAt.set(row, Number(message.timestamp));
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (rows.size < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    // Anything more (a wrong extra row) shows in the comparison.
    await new Promise((r) => setTimeout(r, 1_000));
  } finally {
    await consumer.disconnect();
  }
  return { rows, emittedAt };
}
