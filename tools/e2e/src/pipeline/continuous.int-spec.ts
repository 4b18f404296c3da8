import { load, type PlatformConfig } from '@platform/config';
import { aggregateTopic } from '@platform/contracts';
import { ensureDomainTopics, TopicAdmin } from '@platform/messaging';
import { AvroSerde, SchemaRegistryClient } from '@platform/schema-registry';
import {
  generatorDryRun,
  runTs,
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
import { kafkaOf } from './aggregate-sinks';

/**
 * The aggregator in continuous `run` mode, as deployed: an error that no retry can heal ends
 * it with a JSON line and a non-zero exit, and input that goes quiet still closes its last
 * windows (idle timeout), with the oracle's values.
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
});

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
