import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, type PlatformConfig } from '@platform/config';
import { aggregateTopic, lateTopic } from '@platform/contracts';
import { ensureDomainTopics, TopicAdmin, type KafkaAdmin } from '@platform/messaging';
import {
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  generatorDryRun,
  runTs,
  startSchemaRegistry,
  startService,
  uniqueName,
  type RegistryProcess,
  startProcess,
  type ChildService,
  type ServiceProcess,
} from '@platform/testing';
import {
  diffRows,
  expectedForModel,
  formatDifferences,
  type OracleResult,
  type TypedOracleEvent,
} from '../oracle';
import {
  clickHouseRows,
  endOffsetSum,
  kafkaOf,
  orEmpty,
  postgresRows,
  readEventRecords,
} from './aggregate-sinks';

/**
 * The aggregation path on the real stack, every piece a real process: `generator run` into
 * Kafka, `aggregator run-once` (exactly-once), the sink-writer (SINK_WRITER_STREAMS=aggregates)
 * into ClickHouse and PostgreSQL. The tables must equal the independent oracle row for row:
 *
 *  - clean: 200,000 seeded events, 5% of them out of order by up to 20 s (inside the smallest
 *    allowed lateness, 30 s), over the four aggregations of ecommerce.yaml;
 *  - crash: the same events, the aggregator killed with SIGKILL at 5 seeded random moments and
 *    started again each time, the sink-writer killed with it twice;
 *  - final flush: the same events, the aggregator killed in the middle of the transaction
 *    that writes its final flush (fault injection), then started again;
 *  - two instances: the same events, two aggregators sharing the partitions;
 *  - late data: 20,000 events (a smaller count: this run needs its own input, with one
 *    partition per topic so that the arrival order is the generator's, as the oracle assumes),
 *    1% delivered 10 minutes late: those are in `late.<type>` and in no row.
 *
 * Each run has its own aggregate/late topics, consumer groups, ClickHouse database and
 * PostgreSQL schema; the crash and two-instance runs re-read the clean run's input topics.
 */
jest.setTimeout(900_000);

const COUNT = 200_000;
const LATE_COUNT = 20_000;
const SEED = 20_240_101;
const AGGREGATOR = 'apps/aggregator/src/cli.ts';
/** Batches (and so transactions) small enough that a kill lands in the middle of the input. */
const SMALL_BATCHES = { AGGREGATOR_MAX_BYTES_PER_PARTITION: String(256 * 1024) };
const GENERATOR = 'apps/generator/src/cli.ts';

interface Run {
  readonly name: string;
  readonly env: NodeJS.ProcessEnv;
  readonly config: PlatformConfig;
  /** Replaced when the test kills it. */
  writer: ServiceProcess;
}

/** mulberry32: the kill moments are random but the same on every run of the test. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('generator → aggregator → sink-writer: tables equal the oracle', () => {
  const base = uniqueName('e2e_agg');
  const dir = mkdtempSync(join(tmpdir(), 'e2e-agg-'));
  const runs: Run[] = [];
  let registry: RegistryProcess;
  let expected: Map<string, OracleResult>;

  const baseEnv = (events: string, run: string): NodeJS.ProcessEnv => ({
    ENVIRONMENT: 'test',
    PLATFORM__topics__events: events,
    PLATFORM__topics__aggregates: `${base}_${run}_agg`,
    PLATFORM__topics__late: `${base}_${run}_late`,
    PLATFORM__topics__dlq: `${base}_${run}_dlq`,
    PLATFORM__topics__subscriptions: `${base}_${run}_sub`,
    PLATFORM__clickhouse__database: `${base}_${run}`,
    PLATFORM__postgres__schema: `${base}_${run}`,
    PLATFORM__schema_registry__url: registry.url,
    // The smallest allowed: a killed instance's partitions move on sooner.
    AGGREGATOR_SESSION_TIMEOUT_MS: '6000',
  });

  /** The options of `generator run` for this suite's input. */
  const generatorOptions = (count: number, extra: readonly string[]): string[] => [
    '--env',
    'test',
    '--count',
    String(count),
    '--seed',
    String(SEED),
    '--rate',
    'max',
    '--no-progress',
    '--out-of-order',
    '0.05',
    '--out-of-order-max-delay',
    '20s',
    ...extra,
  ];

  /** The generator's events in its emission order (a dry run: the same seed, the same events). */
  async function generatedEvents(
    count: number,
    extra: readonly string[],
  ): Promise<TypedOracleEvent[]> {
    return (await generatorDryRun(generatorOptions(count, extra))) as TypedOracleEvent[];
  }

  async function produce(
    count: number,
    extra: readonly string[],
    env: NodeJS.ProcessEnv,
  ): Promise<void> {
    const summary = join(dir, `summary-${count}.json`);
    const sent = await runTs(
      GENERATOR,
      [
        'run',
        ...generatorOptions(count, extra),
        '--target',
        'kafka',
        '--registry',
        registry.url,
        '--summary-json',
        summary,
      ],
      env,
    );
    if (sent.code !== 0) throw new Error(`generator failed:\n${sent.stderr}`);
  }

  /** The run's sink-writer, writing the aggregate topics to both sinks. */
  function startWriter(name: string, env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
    return startService({
      entry: 'apps/sink-writer/src/main.ts',
      env: {
        ...env,
        SINK_WRITER_STREAMS: 'aggregates',
        SINK_WRITER_GROUP_ID: `${base}_${name}_sw`,
        SINK_WRITER_MAX_WAIT_MS: '200',
        // The smallest allowed: a killed writer's partitions move on sooner.
        SINK_WRITER_SESSION_TIMEOUT_MS: '6000',
      },
    });
  }

  /** Creates the run's topics, starts its sink-writer; the aggregator is started by the test. */
  async function startRun(
    name: string,
    events: string,
    extraEnv: NodeJS.ProcessEnv = {},
  ): Promise<Run> {
    const env = { ...baseEnv(events, name), ...extraEnv, AGGREGATOR_APP_ID: `${base}_${name}_app` };
    const config = await load({ environment: 'test', env: { ...process.env, ...env } });
    await ensureDomainTopics(kafkaOf(config), config);
    const run = { name, env, config, writer: await startWriter(name, env) };
    runs.push(run);
    return run;
  }

  function aggregator(run: Run, extraEnv: NodeJS.ProcessEnv = {}): ChildService {
    return startProcess(AGGREGATOR, ['run-once', '--env', 'test'], { ...run.env, ...extraEnv });
  }

  async function succeeds(child: ChildService): Promise<void> {
    const code = await child.exited;
    expect({ code, output: code === 0 ? '' : child.output() }).toEqual({ code: 0, output: '' });
  }

  /** Waits until both sinks hold the oracle's rows, then asserts it with the differences shown. */
  async function expectTablesEqualOracle(
    run: Run,
    oracle: Map<string, OracleResult>,
  ): Promise<void> {
    const differences = async (): Promise<string> => {
      const out: string[] = [];
      for (const spec of run.config.model.aggregations) {
        const want = oracle.get(spec.name)?.rows ?? [];
        const database = run.config.clickhouse.database;
        const schema = run.config.postgres.schema;
        const ch = diffRows(want, await orEmpty(clickHouseRows(database, spec)), {
          tolerance: 1e-9,
        });
        const pg = diffRows(want, await orEmpty(postgresRows(schema, spec)), { tolerance: 1e-9 });
        if (ch.length > 0)
          out.push(
            `ClickHouse ${spec.name}: ${ch.length} difference(s)\n${formatDifferences(ch, 5)}`,
          );
        if (pg.length > 0)
          out.push(
            `PostgreSQL ${spec.name}: ${pg.length} difference(s)\n${formatDifferences(pg, 5)}`,
          );
      }
      return out.join('\n');
    };
    await eventually(async () => (await differences()) === '', {
      timeoutMs: 120_000,
      intervalMs: 1_000,
    });
    expect(await differences()).toBe('');
  }

  /** Committed offsets of the run's input topics over their end offsets (0..1). */
  async function consumedFraction(run: Run): Promise<number> {
    const admin = kafkaOf(run.config).admin();
    await admin.connect();
    try {
      return await committedFraction(run, admin);
    } finally {
      await admin.disconnect();
    }
  }

  async function committedFraction(run: Run, admin: KafkaAdmin): Promise<number> {
    const topics = [...new Set(run.config.model.aggregations.map((a) => a.eventType))].map(
      (type) => `${run.config.topics.events}.${type}`,
    );
    let end = 0;
    for (const topic of topics) {
      for (const o of await admin.fetchTopicOffsets(topic)) end += Number(o.high);
    }
    const committed = await admin.fetchOffsets({
      groupId: String(run.env['AGGREGATOR_APP_ID']),
      topics,
    });
    let done = 0;
    for (const t of committed) for (const p of t.partitions) done += Math.max(0, Number(p.offset));
    return end === 0 ? 0 : done / end;
  }

  /**
   * Resolves false once `fraction` of the input is committed (or `deadline` passes), true if
   * the process exited first. It polls often, over one connection: the aggregator commits
   * tens of thousands of events a second, and a slow poll would let it run past the point
   * the test means to kill it at, up to the end of the input.
   */
  async function untilConsumed(
    run: Run,
    child: ChildService,
    fraction: number,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<boolean> {
    let exited = false;
    void child.exited.then(() => (exited = true));
    const admin = kafkaOf(run.config).admin();
    await admin.connect();
    try {
      while (!exited && Date.now() < deadline && (await committedFraction(run, admin)) < fraction) {
        await new Promise((done) => setTimeout(done, 20));
      }
      return exited;
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    const [events] = await Promise.all([
      generatedEvents(COUNT, []),
      produce(COUNT, [], { ENVIRONMENT: 'test', PLATFORM__topics__events: `${base}_ev` }),
    ]);
    expected = expectedForModel((await load({ environment: 'test' })).model, events);
  });

  afterAll(async () => {
    for (const run of runs) await run.writer.stop();
    if (registry !== undefined) {
      const config = await load({
        environment: 'test',
        env: { ...process.env, ...baseEnv(`${base}_ev`, 'x') },
      });
      const admin = new TopicAdmin(kafkaOf(config));
      await admin.connect();
      await admin.deleteTopicsWithPrefix(base);
      await admin.disconnect();
      await registry.stop();
    }
    for (const run of runs) {
      await dropClickHouseDatabase(run.config.clickhouse.database);
      await dropPgSchema(run.config.postgres.schema);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('the input has no event beyond the allowed lateness (only the late-data run has)', () => {
    for (const [name, result] of expected) {
      expect({ name, late: result.late.length, rows: result.rows.length > 0 }).toEqual({
        name,
        late: 0,
        rows: true,
      });
    }
  });

  it('clean run: ClickHouse and PostgreSQL equal the oracle; nothing is late', async () => {
    const run = await startRun('clean', `${base}_ev`);
    await succeeds(aggregator(run));
    await expectTablesEqualOracle(run, expected);
    for (const type of new Set(run.config.model.aggregations.map((a) => a.eventType))) {
      expect({
        type,
        late: await endOffsetSum(run.config, lateTopic(run.config.topics, type)),
      }).toEqual({
        type,
        late: 0,
      });
    }
  });

  it('crash run: SIGKILL at 5 random moments (twice with the sink-writer), restarted each time, ends with the same tables', async () => {
    const run = await startRun('crash', `${base}_ev`);
    const random = prng(SEED);
    // The first kill lands at a random moment of start-up (join, fencing, restore), or once
    // a tenth of the input is committed if start-up is quicker than that moment; the others
    // at random points of the input, judged by the committed offsets, so that each one
    // interrupts real work whatever the machine's speed.
    for (let kill = 0; kill < 5; kill++) {
      const child = aggregator(run, SMALL_BATCHES);
      const exitedEarly =
        kill === 0
          ? await untilConsumed(run, child, 0.1, Date.now() + 1_000 + random() * 4_000)
          : await untilConsumed(run, child, kill / 10 + random() * 0.1);
      expect({ kill, exitedEarly, output: exitedEarly ? child.output() : '' }).toEqual({
        kill,
        exitedEarly: false,
        output: '',
      });
      if (kill % 2 === 0) {
        await child.crash();
        continue;
      }
      // Kills 1 and 3 take the sink-writer down at the same moment, in the middle of its writes.
      await Promise.all([child.crash(), run.writer.crash()]);
      run.writer = await startWriter(run.name, run.env);
    }
    // The last kill aimed at 40 to 50 % of the input, no further: a transaction commits many
    // batches at once, so the committed offsets can run past a kill's aim (by up to a fifth
    // of the input in the runs seen), and the run below must still find work left.
    const before = await consumedFraction(run);
    expect(before).toBeGreaterThanOrEqual(0.4);
    expect(before).toBeLessThan(1);
    await succeeds(aggregator(run, SMALL_BATCHES));
    expect(await consumedFraction(run)).toBe(1);
    await expectTablesEqualOracle(run, expected);
  });

  it('final flush: SIGKILL in the middle of the transaction that writes it, then a restart, ends with the same tables', async () => {
    const run = await startRun('flush', `${base}_ev`);
    const killed = aggregator(run, { AGGREGATOR_CRASH_IN_FINAL_FLUSH: 'true' });
    const code = await killed.exited;
    // Killed by the signal (no exit code), after part of a final flush had been sent.
    expect({ code, injected: killed.output().includes('aggregator.crash_injected') }).toEqual({
      code: null,
      injected: true,
    });
    await succeeds(aggregator(run));
    await expectTablesEqualOracle(run, expected);
  });

  it('two instances sharing the partitions end with the same tables', async () => {
    const run = await startRun('two', `${base}_ev`);
    // Tiny fetches keep either instance from finishing the input before the other has joined.
    const tiny = { AGGREGATOR_MAX_BYTES_PER_PARTITION: String(16 * 1024) };
    const a = aggregator(run, { ...tiny, AGGREGATOR_INSTANCE_ID: 'a' });
    const b = aggregator(run, { ...tiny, AGGREGATOR_INSTANCE_ID: 'b' });
    await Promise.all([succeeds(a), succeeds(b)]);
    // Both did a share of the work (each reports the events it aggregated).
    const aggregated = (p: ChildService): number =>
      Number(/Done: ([\d,]+) event/.exec(p.output())?.[1]?.replaceAll(',', '') ?? 0);
    expect({ a: aggregated(a) > 0, b: aggregated(b) > 0 }).toEqual({ a: true, b: true });
    // Both pre-aggregated for an aggregation without group-by, whose windows one stateful
    // task owns: partials from two processes met there.
    const ungrouped = run.config.model.aggregations.filter((s) => s.groupBy.length === 0);
    expect(ungrouped.length).toBeGreaterThan(0);
    const sourceWork = (p: ChildService): Record<string, number> =>
      (
        JSON.parse(/^Stats: (.*)$/m.exec(p.output())?.[1] ?? '{}') as {
          partialsByAggregation?: Record<string, number>;
        }
      ).partialsByAggregation ?? {};
    for (const spec of ungrouped) {
      expect({
        aggregation: spec.name,
        a: (sourceWork(a)[spec.name] ?? 0) > 0,
        b: (sourceWork(b)[spec.name] ?? 0) > 0,
      }).toEqual({ aggregation: spec.name, a: true, b: true });
    }
    await expectTablesEqualOracle(run, expected);
  });

  it('late data: beyond the allowed lateness goes to late.<type> and nowhere else', async () => {
    // One partition per topic: the aggregator sees the events in the generator's order.
    const onePartition = { PLATFORM__kafka__default_partitions: '1' };
    const late = ['--late', '0.01', '--late-delay', '10m'];
    const events = `${base}_late_ev`;
    const [arrival] = await Promise.all([
      generatedEvents(LATE_COUNT, late),
      produce(LATE_COUNT, late, {
        ENVIRONMENT: 'test',
        PLATFORM__topics__events: events,
        ...onePartition,
      }),
    ]);
    const oracle = expectedForModel((await load({ environment: 'test' })).model, arrival);
    const run = await startRun('late', events, onePartition);
    const child = aggregator(run);
    await succeeds(child);
    await expectTablesEqualOracle(run, oracle);
    // The late events left their source task whole (not folded into a partial), so the
    // stage that judged them could write their original bytes.
    const stats = JSON.parse(/^Stats: (.*)$/m.exec(child.output())?.[1] ?? '{}') as {
      wholeEvents?: number;
    };
    const lateTotal = [...oracle.values()].reduce((n, r) => n + r.late.length, 0);
    expect(stats.wholeEvents ?? 0).toBeGreaterThanOrEqual(lateTotal);

    for (const type of new Set(run.config.model.aggregations.map((a) => a.eventType))) {
      const specs = run.config.model.aggregations.filter((a) => a.eventType === type);
      const expectedLate = specs.reduce((n, a) => n + (oracle.get(a.name)?.late.length ?? 0), 0);
      const records = await readEventRecords(
        run.config,
        lateTopic(run.config.topics, type),
        expectedLate,
      );
      expect({ type, late: records.length }).toEqual({ type, late: expectedLate });
      // Byte for byte what the generator wrote to the input topic.
      const input = await readEventRecords(run.config, `${events}.${type}`, 1);
      const sent = new Map(input.map((r) => [r.eventId, r.value]));
      const altered = records.filter((r) => !sent.get(r.eventId)?.equals(r.value));
      expect({ type, altered: altered.map((r) => r.eventId) }).toEqual({ type, altered: [] });
      for (const spec of specs) {
        const want = (oracle.get(spec.name)?.late ?? []).map((l) => l.event.event_id).sort();
        const got = records
          .filter((r) => r.aggregation === spec.name)
          .map((r) => r.eventId)
          .sort();
        expect({ aggregation: spec.name, late: got }).toEqual({
          aggregation: spec.name,
          late: want,
        });
        expect(want.length).toBeGreaterThan(0);
      }
    }
    // The aggregate topics exist and were written (the rows above came through them).
    for (const spec of run.config.model.aggregations) {
      expect(
        await endOffsetSum(run.config, aggregateTopic(run.config.topics, spec.name)),
      ).toBeGreaterThan(0);
    }
  });
});
