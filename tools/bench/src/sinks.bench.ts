/**
 * Kafka → ClickHouse and Kafka → PostgreSQL through the sink writer, beside the databases'
 * own clients inserting the same rows.
 *
 * The generator first fills the run's `events.*` topics with N events. Then, per database:
 * - ours: the sink writer (child process, that database only, raw events, a fresh group),
 *   from the moment it answers /healthz until its group has committed every partition to its
 *   end (polled every 100 ms from Kafka; the writer commits only once the rows are stored, and
 *   the tables are then counted once to check they hold N rows): consume, decode Avro, batch,
 *   write, commit. The end is read from Kafka rather than by counting the tables while the
 *   writer loads: a `count(*)` of 500,000 PostgreSQL rows takes the server about 100 ms of
 *   CPU, a load the native tools never pay;
 * - native: the rows the writer stored, exported, then loaded into empty tables of the same
 *   definition (same columns, same key) by `clickhouse-client --query 'INSERT ... FORMAT
 *   TabSeparated'` (the format the writer sends) and by `psql -c '\copy ... FROM ... (FORMAT
 *   csv)'` (the writer sends binary COPY; no upsert, no staging), one table after another,
 *   timed together. Same rows, same tables: only the source differs (a local file for the
 *   native tools, Kafka and Avro for the writer, whose decode is included).
 *
 * Each side runs `--rounds` times (default 3) per database, alternated (writer, native,
 * writer, …), each into fresh tables (and a fresh group for the writer); a rate is the median
 * of its rounds, and the note lists them all. On this shared 2-core machine one run of each
 * measured the machine's phase as much as the loaders: psql's rate moved from 129,000 to
 * 201,000 rows/s within ten minutes.
 *
 * Each row prints ours / native as a ratio, and both peak RSS. Two more rows per database set
 * the writer beside reading the same topics and doing nothing else: `kcat -C`, and the
 * writer's own Kafka client (kafkajs, its fetch size) counting the records in this process.
 *
 *   npx tsx tools/bench/src/sinks.bench.ts [--count 100000] [--rounds 3] [--batch <SINK_WRITER_MAX_BATCH>]
 *     [--pg-copy-connections <SINK_WRITER_PG_COPY_CONNECTIONS>] [--db clickhouse,postgres]
 *     [--flushes-in-flight <SINK_WRITER_FLUSHES_IN_FLIGHT>]
 *     [--fetch-bytes <SINK_WRITER_FETCH_BYTES_PER_PARTITION>]
 *     [--memory-limit <MiB>] [--profile DIR] [--from-sources]
 *
 * `--memory-limit 512` runs each writer round in a memory cgroup of 512 MiB, the base
 * Deployment's limit (root and cgroups needed): Node sizes V8's heap from it as in the pod, and
 * a row gives the cgroup's peak and any OOM kill.
 *
 * The writer runs as its image runs it: compiled and bundled (tools/deploy), with plain node;
 * `--from-sources` runs the TypeScript sources under ts-node instead, as the tests do.
 *
 * `--profile DIR` profiles the writer's CPU while it loads (the group join and start-up left
 * out) in its first round and prints where the time went, by stage, per database.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAppSettings, sinkWriterSection, type PlatformConfig } from '@platform/config';
import { eventTable } from '@platform/contracts';
import { createKafka, endOffsets, partitionsBehind, silentSink } from '@platform/messaging';
import {
  LOCAL_PG,
  clickhouse,
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  startSchemaRegistry,
  startService,
  uniqueName,
  withPg,
} from '@platform/testing';
import { cpuProfilePreload, printProfile, type Stages } from './cpu-profile';
import { describePauses, GcPauseLog, pausePercent, type GcPauses } from './gc-pauses';
import {
  peakRssOf,
  report,
  requireTool,
  spawnMeasured,
  timeKcatRead,
  listRates,
  median,
  type Row,
  runBench,
  preloadEnv,
  serviceEntry,
} from './harness';
import { createMemoryLimit, describeMemoryLimit } from './memory-limit';
import { deleteTopicsWithPrefix, runGenerator, testConfig, topicEnv } from './pipeline-fixture';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string' },
    'pg-copy-connections': { type: 'string' },
    'flushes-in-flight': { type: 'string' },
    'fetch-bytes': { type: 'string' },
    'memory-limit': { type: 'string' },
    profile: { type: 'string' },
    db: { type: 'string', default: 'clickhouse,postgres' },
    'from-sources': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a whole number ≥ 1');
/** SINK_WRITER_MAX_BATCH when given; the writer's own default otherwise. */
const batch = values.batch;
/** SINK_WRITER_PG_COPY_CONNECTIONS when given; the writer's own default otherwise. */
const pgCopyConnections = values['pg-copy-connections'];
/** SINK_WRITER_FLUSHES_IN_FLIGHT when given; the writer's own default otherwise. */
const flushesInFlight = values['flushes-in-flight'];
/** SINK_WRITER_FETCH_BYTES_PER_PARTITION when given; the writer's own default otherwise. */
const fetchBytes = values['fetch-bytes'];
/** MiB: each writer round runs in a memory cgroup of that size, as in its pod (512 in k8s/base). */
const memoryLimitMiB =
  values['memory-limit'] === undefined ? undefined : Number(values['memory-limit']);

type Db = 'clickhouse' | 'postgres';
const profileDir = values.profile === undefined ? undefined : resolve(values.profile);

/** Where the sink writer's time goes. */
const SINK_STAGES: Stages = [
  [/record-batch-decoder|kafkajs/, 'Kafka fetch (kafkajs, record-batch decoder)'],
  [/avsc|libs\/schema-registry/, 'Avro decode'],
  [
    /libs\/sink-adapters\/src\/lib\/(encoding|postgres\/postgres-binary|clickhouse\/clickhouse-tsv)/,
    'row encoding (binary COPY, TabSeparated)',
  ],
  [/node_modules\/(pg|pg-protocol|pg-pool|pg-copy-streams)\//, 'PostgreSQL client'],
  [/@clickhouse\/client/, 'ClickHouse client'],
  [/libs\/sink-adapters/, 'sink adapters (plan, bindings, writes)'],
  [/libs\/messaging/, 'batch consumer'],
  [/apps\/sink-writer/, 'sink writer'],
  [/pino|prom-client|@opentelemetry|libs\/observability/, 'logs, metrics, traces'],
];
/** The hops to measure (`--db postgres` runs that one only). */
const dbs = values.db.split(',').filter((d): d is Db => d === 'clickhouse' || d === 'postgres');

async function main(): Promise<void> {
  const clickhouseClient = requireTool('clickhouse-client', 'clickhouse-client');
  const psql = requireTool('psql', 'postgresql-client');
  const kcat = requireTool('kcat', 'kcat');
  const config = await testConfig();
  const broker = config.kafka.brokers[0] as string;
  const tables = config.model.eventTypes.map((t) => eventTable(t.name));
  const prefix = uniqueName('bench_sink');
  const dir = mkdtempSync(join(tmpdir(), 'bench-sink-'));
  const ours = `${prefix}_ours`;
  const native = `${prefix}_native`;
  /** Databases and schemas the rounds made, dropped at the end. */
  const created: string[] = [];
  const registry = await startSchemaRegistry();
  try {
    const { summary } = await runGenerator(prefix, count, registry.url);
    if (!summary.ok || summary.sent !== count) throw new Error('the generator did not send all');
    // Reading the input and nothing else: kcat, and the writer's own Kafka client.
    const topics = Object.values(summary.topics);
    const kcatSeconds = timeKcatRead(kcat, broker, topics);
    const clientSeconds = await timeClientRead(config.kafka, prefix, topics, count);

    const run: WriterRun = {
      entry: await serviceEntry('sink-writer', 'main', values['from-sources']),
      registryUrl: registry.url,
      kafkaSettings: config.kafka,
      prefix,
      tables,
      topics,
    };
    const rows: Row[] = [];
    for (const db of dbs) {
      const timings: WriterTiming[] = [];
      const loads: NativeLoad[] = [];
      for (let round = 0; round < rounds; round++) {
        const target = `${ours}_${round}`;
        const nativeTarget = `${native}_${round}`;
        created.push(target, nativeTarget);
        timings.push(await timeSinkWriter(run, db, target, round));
        loads.push(
          db === 'clickhouse'
            ? await timeClickHouseClient(clickhouseClient, tables, target, nativeTarget, dir)
            : await timePsqlCopy(psql, tables, target, nativeTarget, dir),
        );
      }
      const steadyRates = timings.map((t) => t.afterFirst.rows / t.afterFirst.seconds);
      // The round whose steady state is the median one gives the GC pauses and peak RSS.
      const middle = timings[steadyRates.indexOf(median(steadyRates))] as WriterTiming;
      const nativeRates = loads.map((l) => count / l.seconds);
      const nativeRate = median(nativeRates);
      const peakRss = { ours: middle.peakRss, native: Math.max(...loads.map((l) => l.peakRss)) };
      const nativeNote =
        db === 'clickhouse'
          ? 'native: clickhouse-client INSERT FORMAT TabSeparated'
          : 'native: psql \\copy FROM csv; ours: binary COPY; event tables partitioned by day on both sides';
      rows.push(
        {
          measure: `Kafka → ${db}, ${count.toLocaleString('en-US')} events, from ready`,
          ours: median(timings.map((t) => count / t.fromReady)),
          native: nativeRate,
          unit: 'rows/s',
          note: `ours includes joining the group; ${nativeNote}`,
          peakRss,
        },
        {
          measure: `Kafka → ${db}, from the first row stored`,
          ours: median(steadyRates),
          native: nativeRate,
          unit: 'rows/s',
          note: `steady state: consume, decode, batch, write, commit; medians of ${rounds} rounds, ours ${listRates(steadyRates)}; native ${listRates(nativeRates)}`,
          peakRss,
        },
        {
          measure: `Kafka → ${db}, steady state, beside reading the input alone`,
          ours: median(steadyRates),
          native: count / kcatSeconds,
          unit: 'rows/s',
          note: 'native: kcat -C reading the same topics (read_committed, start-up included)',
          peakRss: { ours: middle.peakRss, native: undefined },
        },
        {
          measure: `Kafka → ${db}, steady state, beside its Kafka client reading alone`,
          ours: median(steadyRates),
          native: count / clientSeconds,
          unit: 'rows/s',
          note: "native: the writer's kafkajs consumer, with its fetch size, counting the records it reads (read_committed, from its first batch)",
          peakRss: { ours: middle.peakRss, native: undefined },
        },
        ...(middle.memory === undefined
          ? []
          : [
              {
                measure: `Kafka → ${db}, the writer's memory cgroup at its peak`,
                ours: (middle.memory.peakBytes ?? NaN) / 2 ** 20,
                unit: 'MiB',
                note: `the median round ${middle.memory.description}; the rounds' peaks: ${timings.map((t) => (t.memory?.peakBytes === undefined ? '?' : Math.round(t.memory.peakBytes / 2 ** 20))).join(', ')} MiB`,
              },
            ]),
        {
          measure: `Kafka → ${db}, steady state, time the writer spent in GC pauses`,
          ours: pausePercent(middle.gcPauses, middle.afterFirst.seconds),
          unit: '%',
          note: `the median round: ${describePauses(middle.gcPauses)}`,
        },
      );
    }
    report('kafka-to-sinks', rows, {
      count,
      rounds,
      maxBatch: batch ?? 'default',
      pgCopyConnections: pgCopyConnections ?? 'default',
      flushesInFlight: flushesInFlight ?? 'default',
      fetchBytesPerPartition: fetchBytes ?? 'default',
      memoryLimitMiB: memoryLimitMiB ?? 'none',
      tables,
    });
  } finally {
    await registry.stop();
    for (const name of created) {
      await dropClickHouseDatabase(name);
      await dropPgSchema(name);
    }
    await deleteTopicsWithPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Seconds the writer's Kafka client (kafkajs with the platform's decoder, read_committed, the
 * writer's fetch size per partition) takes to read `topics` to their end in this process,
 * from its first batch, doing nothing with the records but counting them: the writer's own
 * work comes on top of this.
 */
async function timeClientRead(
  kafkaSettings: PlatformConfig['kafka'],
  prefix: string,
  topics: readonly string[],
  records: number,
): Promise<number> {
  const { fetchBytesPerPartition } = loadAppSettings(sinkWriterSection, {
    SINK_WRITER_FETCH_BYTES_PER_PARTITION: fetchBytes,
  });
  const kafka = createKafka(kafkaSettings, {
    clientId: 'bench-read',
    logger: silentSink,
    logLevel: 'error',
  });
  const consumer = kafka.consumer({
    groupId: `${prefix}_read`,
    maxBytesPerPartition: fetchBytesPerPartition,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    let read = 0;
    let started = 0;
    await new Promise<void>((done, fail) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            if (started === 0) started = performance.now();
            read += batch.messages.length;
            if (read >= records) done();
          },
        })
        .catch(fail);
    });
    return (performance.now() - started) / 1000;
  } finally {
    await consumer.disconnect();
  }
}

interface WriterTiming {
  /** From /healthz answering until every row is stored (the group join included). */
  readonly fromReady: number;
  /** From the first poll that saw rows until every row is stored. */
  readonly afterFirst: { readonly rows: number; readonly seconds: number };
  /** The writer process's peak resident set size, bytes. */
  readonly peakRss: number | undefined;
  /** The writer's garbage-collection pauses in the steady state (from the first row stored). */
  readonly gcPauses: GcPauses;
  /** With `--memory-limit`: its cgroup's peak, bytes, and how the run went under the limit. */
  readonly memory?: { readonly peakBytes: number | undefined; readonly description: string };
}

/** What every round of the writer in a run shares. */
interface WriterRun {
  readonly entry: string;
  readonly registryUrl: string;
  readonly kafkaSettings: PlatformConfig['kafka'];
  readonly prefix: string;
  readonly tables: readonly string[];
  readonly topics: readonly string[];
}

async function timeSinkWriter(
  run: WriterRun,
  db: Db,
  target: string,
  round: number,
): Promise<WriterTiming> {
  const { prefix, tables } = run;
  const groupId = `${prefix}_${db}_${round}`;
  const profiling = profileDir === undefined || round > 0 ? undefined : join(profileDir, db);
  const gc = new GcPauseLog();
  const memory =
    memoryLimitMiB === undefined ? undefined : createMemoryLimit(memoryLimitMiB, groupId);
  const writer = await startService({
    entry: run.entry,
    ...(memory === undefined ? {} : { cgroup: memory.dir }),
    env: {
      ...preloadEnv([cpuProfilePreload(profiling), gc.preload]),
      ...topicEnv(prefix),
      PLATFORM__clickhouse__database: target,
      PLATFORM__postgres__schema: target,
      PLATFORM__schema_registry__url: run.registryUrl,
      SINK_WRITER_SINKS: db,
      SINK_WRITER_STREAMS: 'events',
      SINK_WRITER_GROUP_ID: groupId,
      ...(batch === undefined ? {} : { SINK_WRITER_MAX_BATCH: batch }),
      ...(pgCopyConnections === undefined
        ? {}
        : { SINK_WRITER_PG_COPY_CONNECTIONS: pgCopyConnections }),
      ...(flushesInFlight === undefined ? {} : { SINK_WRITER_FLUSHES_IN_FLIGHT: flushesInFlight }),
      ...(fetchBytes === undefined ? {} : { SINK_WRITER_FETCH_BYTES_PER_PARTITION: fetchBytes }),
      SINK_WRITER_LAG_INTERVAL_MS: '0',
    },
  }).catch((error: unknown) => {
    memory?.remove();
    throw error;
  });
  let exited = false;
  void writer.exited.then(() => (exited = true));
  const stored = db === 'clickhouse' ? clickHouseRows : postgresRows;
  let progress: GroupProgress | undefined;
  try {
    // Connected before the clock starts: the probe's set-up is not the writer's work.
    progress = await groupProgress(run.kafkaSettings, groupId, run.topics);
    const { committedToEnd } = progress;
    const started = performance.now();
    if (profiling !== undefined) process.kill(writer.pid, 'SIGUSR2');
    let first: { rows: number; at: number } | undefined;
    // Counting is cheap while the tables are nearly empty: only until the first row shows.
    const done = await eventually(
      async () => {
        if (exited) return true;
        if (first === undefined) {
          const rows = await stored(target, tables);
          if (rows > 0) first = { rows, at: performance.now() };
          return rows >= count;
        }
        return committedToEnd();
      },
      { timeoutMs: 600_000, intervalMs: 100 },
    );
    const ended = performance.now();
    const storedRows = await stored(target, tables);
    const peakRss = peakRssOf(writer.pid);
    if (profiling !== undefined) {
      process.kill(writer.pid, 'SIGUSR2');
      await eventually(async () => readdirSync(profiling).length > 0, { timeoutMs: 30_000 });
      printProfile(`Sink writer (${db})`, profiling, SINK_STAGES);
    }
    if (!done || first === undefined || storedRows !== count) {
      const how = memory === undefined ? '' : ` (${describeMemoryLimit(memory)})`;
      throw new Error(
        `the sink writer ${exited ? 'exited, having stored' : 'stored'} ${storedRows} of ${count} rows${how}\n${writer.output()}`,
      );
    }
    return {
      fromReady: (ended - started) / 1000,
      afterFirst: { rows: count - first.rows, seconds: (ended - first.at) / 1000 },
      peakRss,
      gcPauses: gc.between(first.at, ended),
      ...(memory === undefined
        ? {}
        : { memory: { peakBytes: memory.peakBytes(), description: describeMemoryLimit(memory) } }),
    };
  } finally {
    await progress?.close();
    await writer.stop();
    memory?.remove();
  }
}

interface GroupProgress {
  /** Whether the group has committed every partition of the topics up to its end. */
  committedToEnd(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A probe of `groupId`'s commits on `topics`. Their ends are read once: the topics are full
 * before the writer starts.
 */
async function groupProgress(
  kafkaSettings: PlatformConfig['kafka'],
  groupId: string,
  topics: readonly string[],
): Promise<GroupProgress> {
  const admin = createKafka(kafkaSettings, {
    clientId: 'bench-progress',
    logger: silentSink,
    logLevel: 'error',
  }).admin();
  await admin.connect();
  try {
    const ends = await endOffsets(admin, topics);
    return {
      committedToEnd: async () => (await partitionsBehind(admin, groupId, ends)).length === 0,
      close: () => admin.disconnect(),
    };
  } catch (error) {
    await admin.disconnect();
    throw error;
  }
}

async function clickHouseRows(database: string, tables: readonly string[]): Promise<number> {
  let n = 0;
  for (const table of tables) {
    n += Number(
      (
        await clickhouse(`SELECT count() FROM \`${database}\`.\`${table}\``).catch(() => '0')
      ).trim(),
    );
  }
  return n;
}

async function postgresRows(schema: string, tables: readonly string[]): Promise<number> {
  return withPg(async (pg) => {
    let n = 0;
    for (const table of tables) {
      n += await pg.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table}"`).then(
        (r) => Number(r.rows[0]?.n),
        () => 0,
      );
    }
    return n;
  });
}

function run(bin: string, args: readonly string[], stdin?: string, stdout?: string): void {
  const input = stdin === undefined ? 'ignore' : openSync(stdin, 'r');
  const output = stdout === undefined ? 'ignore' : openSync(stdout, 'w');
  try {
    const r = spawnSync(bin, args, { stdio: [input, output, 'pipe'] });
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')}: ${r.stderr.toString()}`);
  } finally {
    if (typeof input === 'number') closeSync(input);
    if (typeof output === 'number') closeSync(output);
  }
}

interface NativeLoad {
  readonly seconds: number;
  /** The largest peak resident set size of the loader's runs, bytes. */
  readonly peakRss: number;
}

/** Runs the native loader once per table, one after another; reads each table's file from stdin. */
function load(bin: string, runs: readonly { args: string[]; stdin?: string }[]): NativeLoad {
  let seconds = 0;
  let peakRss = 0;
  for (const { args, stdin } of runs) {
    const input = stdin === undefined ? 'ignore' : openSync(stdin, 'r');
    try {
      const r = spawnMeasured(bin, args, { stdio: [input, 'ignore', 'pipe'] });
      seconds += r.seconds;
      peakRss = Math.max(peakRss, r.peakRss);
    } finally {
      if (typeof input === 'number') closeSync(input);
    }
  }
  return { seconds, peakRss };
}

async function timeClickHouseClient(
  bin: string,
  tables: readonly string[],
  from: string,
  to: string,
  dir: string,
): Promise<NativeLoad> {
  await clickhouse(`CREATE DATABASE IF NOT EXISTS \`${to}\``);
  for (const table of tables) {
    await clickhouse(`CREATE TABLE \`${to}\`.\`${table}\` AS \`${from}\`.\`${table}\``);
    run(
      bin,
      ['--query', `SELECT * FROM \`${from}\`.\`${table}\` FORMAT TabSeparated`],
      undefined,
      join(dir, `${table}.tsv`),
    );
  }
  const result = load(
    bin,
    tables.map((table) => ({
      args: ['--query', `INSERT INTO \`${to}\`.\`${table}\` FORMAT TabSeparated`],
      stdin: join(dir, `${table}.tsv`),
    })),
  );
  const loaded = await clickHouseRows(to, tables);
  if (loaded !== count) throw new Error(`clickhouse-client loaded ${loaded} rows, not ${count}`);
  return result;
}

async function timePsqlCopy(
  bin: string,
  tables: readonly string[],
  from: string,
  to: string,
  dir: string,
): Promise<NativeLoad> {
  const connection = [
    '-h',
    LOCAL_PG.host,
    '-p',
    String(LOCAL_PG.port),
    '-U',
    LOCAL_PG.user,
    '-d',
    LOCAL_PG.database,
    '-v',
    'ON_ERROR_STOP=1',
    '-q',
  ];
  await withPg(async (pg) => {
    await pg.query(`CREATE SCHEMA IF NOT EXISTS "${to}"`);
    for (const table of tables) {
      // The writer's event tables are partitioned by day on their time: so are the native ones
      // (one partition takes every row, as one day of the writer's does).
      const partitioned = await pg.query(
        `SELECT 1 FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
        [from, table],
      );
      const partitionBy = partitioned.rows.length > 0 ? ' PARTITION BY RANGE ("timestamp")' : '';
      await pg.query(
        `CREATE TABLE "${to}"."${table}" (LIKE "${from}"."${table}" INCLUDING ALL)${partitionBy}`,
      );
      if (partitionBy !== '')
        await pg.query(
          `CREATE TABLE "${to}"."${table}_all" PARTITION OF "${to}"."${table}" DEFAULT`,
        );
    }
  });
  for (const table of tables) {
    const file = join(dir, `${table}.csv`);
    run(bin, [
      ...connection,
      '-c',
      `\\copy (SELECT * FROM "${from}"."${table}") TO '${file}' WITH (FORMAT csv)`,
    ]);
  }
  const result = load(
    bin,
    tables.map((table) => ({
      args: [
        ...connection,
        '-c',
        `\\copy "${to}"."${table}" FROM '${join(dir, `${table}.csv`)}' WITH (FORMAT csv)`,
      ],
    })),
  );
  const loaded = await postgresRows(to, tables);
  if (loaded !== count) throw new Error(`psql \\copy loaded ${loaded} rows, not ${count}`);
  return result;
}

runBench(main, 'sink-writer');
