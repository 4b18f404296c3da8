import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { load } from '@platform/config';
import { createKafka, silentSink, TopicAdmin, type KafkaAdmin } from '@platform/messaging';
import {
  clickhouse,
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  LOCAL_PG,
  runTs,
  startSchemaRegistry,
  startService,
  uniqueName,
  withPg,
  type RegistryProcess,
  type ServiceProcess,
} from '@platform/testing';

/**
 * The raw-event path on the real stack, with real processes: `generator run --count 100000
 * --seed 7` into Kafka, then the sink writer into ClickHouse and PostgreSQL. Both end up
 * with exactly the generator's events: the same count per type and the same revenue, once
 * after a clean run and once after a run whose sink writer was killed with SIGKILL midway
 * and started again, and once more with the kill landing while a PostgreSQL COPY is under
 * way (each run into its own database and schema, with its own group).
 */
const COUNT = 100_000;
const EVENT_TYPES = ['page_view', 'add_to_cart', 'purchase'] as const;
const TABLES = EVENT_TYPES.map((t) => `events_${t}`);

interface GeneratorSummary {
  readonly ok: boolean;
  readonly sent: number;
  readonly countsByType: Readonly<Record<string, number>>;
  readonly revenueSum: number;
  readonly revenueCents: number;
}

interface Stored {
  readonly total: number;
  readonly countsByType: Record<string, number>;
  readonly revenueCents: number;
}

describe('generator → Kafka → sink writer → ClickHouse and PostgreSQL', () => {
  const name = uniqueName('e2e_raw');
  const topicEnv = {
    ENVIRONMENT: 'test',
    PLATFORM__topics__events: `${name}_events`,
    PLATFORM__topics__dlq: `${name}_dlq`,
    PLATFORM__topics__aggregates: `${name}_aggregates`,
    PLATFORM__topics__late: `${name}_late`,
  };
  const dir = mkdtempSync(join(tmpdir(), 'e2e-raw-'));
  const targets = [`${name}_clean`, `${name}_stop`, `${name}_copy`, `${name}_kill`];
  const writers: ServiceProcess[] = [];
  // Smaller batches for the interrupted runs, so a signal lands between commits; a short
  // session, so the group hands a killed writer's partitions on sooner.
  const crashEnv = { SINK_WRITER_MAX_BATCH: '2000', SINK_WRITER_SESSION_TIMEOUT_MS: '8000' };
  let registry: RegistryProcess;
  let summary: GeneratorSummary;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    const summaryFile = join(dir, 'summary.json');
    const generated = await runTs(
      'apps/generator/src/cli.ts',
      [
        'run',
        '--env',
        'test',
        '--count',
        String(COUNT),
        '--seed',
        '7',
        '--rate',
        'max',
        '--target',
        'kafka',
        '--registry',
        registry.url,
        '--no-progress',
        '--summary-json',
        summaryFile,
      ],
      topicEnv,
    );
    if (generated.code !== 0)
      throw new Error(`generator failed (${generated.code}):\n${generated.stderr}`);
    summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as GeneratorSummary;
  }, 300_000);

  afterAll(async () => {
    for (const w of writers) await w.stop();
    await registry?.stop();
    for (const target of targets) {
      await dropClickHouseDatabase(target);
      await dropPgSchema(target);
    }
    await deleteTopics(name);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** The sink writer as a child process, raw events only, into `target`'s database and schema. */
  async function startWriter(target: string, env: Record<string, string> = {}) {
    const writer = await startService({
      entry: 'apps/sink-writer/src/main.ts',
      env: {
        ...topicEnv,
        PLATFORM__clickhouse__database: target,
        PLATFORM__postgres__schema: target,
        PLATFORM__schema_registry__url: registry.url,
        SINK_WRITER_STREAMS: 'events',
        SINK_WRITER_GROUP_ID: `${target}_writer`,
        ...env,
      },
    });
    writers.push(writer);
    return writer;
  }

  async function waitForAll(target: string, writer: ServiceProcess): Promise<void> {
    const done = await eventually(
      async () => {
        const [ch, pg] = await Promise.all([clickhouseStored(target), postgresStored(target)]);
        return ch.total === COUNT && pg.total === COUNT;
      },
      { timeoutMs: 240_000, intervalMs: 1_000 },
    );
    if (!done) throw new Error(`not all events stored\n--- writer ---\n${writer.output()}`);
  }

  function expected(): Stored {
    return {
      total: COUNT,
      countsByType: Object.fromEntries(EVENT_TYPES.map((t) => [t, summary.countsByType[t]])),
      revenueCents: summary.revenueCents,
    };
  }

  it('has the generator acknowledge every event', () => {
    expect(summary).toMatchObject({ ok: true, sent: COUNT });
    expect(Object.values(summary.countsByType).reduce((a, b) => a + b, 0)).toBe(COUNT);
    expect(summary.revenueCents).toBe(Math.round(summary.revenueSum * 100));
  });

  it('writes exactly the generated events to both databases', async () => {
    const target = targets[0] as string;
    const writer = await startWriter(target);
    await waitForAll(target, writer);
    expect(await clickhouseStored(target)).toEqual(expected());
    expect(await postgresStored(target)).toEqual(expected());
  }, 300_000);

  it('on SIGTERM, finishes and commits the batch in hand: it committed exactly what it stored', async () => {
    const target = targets[1] as string;
    const writer = await startWriter(target, crashEnv);
    const started = await eventually(
      async () => (await postgresStored(target)).total >= COUNT / 5,
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    await writer.stop(30_000);
    expect(started).toBe(true);
    expect(await writer.exited).toBe(0);
    const stored = await postgresStored(target);
    expect(stored.total).toBeLessThan(COUNT);
    expect(await committedRecords(`${target}_writer`)).toBe(stored.total);
  }, 300_000);

  it('still writes each event exactly once when the sink writer is killed with SIGKILL midway and restarted', async () => {
    // A target of its own: the kill lands early in the input, whatever the run before left.
    const target = targets[3] as string;
    const first = await startWriter(target, crashEnv);
    const progressed = await eventually(
      async () => (await postgresStored(target)).total >= COUNT / 5,
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    await first.crash();
    const atCrash = await postgresStored(target);
    expect(progressed).toBe(true);
    expect(atCrash.total).toBeLessThan(COUNT);

    const second = await startWriter(target, crashEnv);
    await waitForAll(target, second);
    expect(await clickhouseStored(target)).toEqual(expected());
    expect(await postgresStored(target)).toEqual(expected());
  }, 300_000);

  it('replays a batch killed in the middle of its PostgreSQL COPY through the conflict path, each event once', async () => {
    const target = targets[2] as string;
    const group = `${target}_writer`;
    // The tables, made by a writer that starts at the end of the topics and so writes nothing.
    const prep = await startWriter(target, {
      SINK_WRITER_FROM_BEGINNING: 'false',
      SINK_WRITER_GROUP_ID: `${target}_prep`,
    });
    await prep.stop();

    // Hold a lock that COPY must wait for on one table, until a flush is caught in that
    // COPY after it had copied other tables of the same flush: rows stored, offsets not
    // committed. A flush that reached the locked table first is let through. The writer
    // starts with the table locked: purchases are a small share of the input, and a fast
    // writer stores all of them in its first flushes.
    const lock = new Client(LOCAL_PG);
    await lock.connect();
    let caught = false;
    let first: ServiceProcess | undefined;
    try {
      for (let attempt = 0; attempt < 20 && !caught; attempt++) {
        await lock.query('BEGIN');
        await lock.query(`LOCK TABLE "${target}".events_purchase IN SHARE MODE`);
        first ??= await startWriter(target, crashEnv);
        const blocked = await eventually(() => copyWaitingOnLock(target), {
          timeoutMs: 60_000,
          intervalMs: 50,
        });
        expect(blocked).toBe(true);
        // The previous flush's commits land a moment after its write: wait until they settle.
        let committed = -1;
        await eventually(
          async () => {
            const now = await committedRecords(group);
            const settled = now === committed;
            committed = now;
            return settled;
          },
          { timeoutMs: 10_000, intervalMs: 300 },
        );
        if ((await postgresStored(target)).total > committed) {
          await first.crash();
          caught = true;
        }
        await lock.query('ROLLBACK');
      }
    } finally {
      await lock.end();
    }
    expect(caught).toBe(true);
    const atCrash = await postgresStored(target);
    expect(atCrash.total).toBeGreaterThan(await committedRecords(group));
    expect(atCrash.total).toBeLessThan(COUNT);

    const second = await startWriter(target, crashEnv);
    await waitForAll(target, second);
    expect(await clickhouseStored(target)).toEqual(expected());
    expect(await postgresStored(target)).toEqual(expected());
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(conflictWrites(metrics, 'postgres')).toBeGreaterThan(0);
  }, 300_000);

  /** Records of the event topics that `groupId` committed (the topics start at offset 0). */
  async function committedRecords(groupId: string): Promise<number> {
    const topics = EVENT_TYPES.map((t) => `${topicEnv.PLATFORM__topics__events}.${t}`);
    return withAdmin(async (admin) => {
      const offsets = await admin.fetchOffsets({ groupId, topics });
      return offsets
        .flatMap((t) => t.partitions)
        .reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    });
  }
});

/** Whether a COPY into `schema`.events_purchase waits for a lock (a fresh session: a
 * transaction sees pg_stat_activity as of its first read). */
async function copyWaitingOnLock(schema: string): Promise<boolean> {
  return withPg(async (pg) => {
    // The flush waits in its COPY into the table, or, on the table's first write of a day, in
    // attaching that day's partition just before the COPY: either way mid-flush, other tables
    // of the flush written, offsets not committed.
    const { rows } = await pg.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND (query LIKE $1 OR query LIKE $2)`,
      [
        `COPY "${schema}"."events_purchase"%`,
        `ALTER TABLE "${schema}"."events_purchase" ATTACH PARTITION%`,
      ],
    );
    return Number(rows[0]?.n) > 0;
  });
}

/** Writes that found rows stored already, from the sink writer's /metrics. */
function conflictWrites(metrics: string, sink: string): number {
  return metrics
    .split('\n')
    .filter(
      (line) =>
        /^\w*sink_writer_write_conflicts_total\{/.test(line) && line.includes(`sink="${sink}"`),
    )
    .reduce((n, line) => n + Number(line.split(' ').pop()), 0);
}

/** What `database` holds; empty while the sink writer has not created its tables yet. */
async function clickhouseStored(database: string): Promise<Stored> {
  const tables = await clickhouse(
    `SELECT count() FROM system.tables WHERE database = '${database}' AND name IN (${TABLES.map((t) => `'${t}'`).join(', ')})`,
  );
  if (Number(tables.trim()) < EVENT_TYPES.length)
    return { total: 0, countsByType: {}, revenueCents: 0 };
  const countsByType: Record<string, number> = {};
  for (const type of EVENT_TYPES) {
    countsByType[type] = Number(
      (await clickhouse(`SELECT count() FROM \`${database}\`.events_${type} FINAL`)).trim(),
    );
  }
  const revenueCents = Number(
    (
      await clickhouse(
        `SELECT sum(toInt64(round(revenue * 100))) FROM \`${database}\`.events_purchase FINAL`,
      )
    ).trim(),
  );
  return { total: sum(countsByType), countsByType, revenueCents };
}

async function postgresStored(schema: string): Promise<Stored> {
  return withPg(async (pg) => {
    const { rows: tables } = await pg.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)`,
      [schema, TABLES],
    );
    if (Number(tables[0]?.n) < EVENT_TYPES.length)
      return { total: 0, countsByType: {}, revenueCents: 0 };
    const countsByType: Record<string, number> = {};
    for (const type of EVENT_TYPES) {
      const { rows } = await pg.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}".events_${type}`,
      );
      countsByType[type] = Number(rows[0]?.n);
    }
    const { rows } = await pg.query<{ c: string | null }>(
      `SELECT sum(round(revenue::numeric * 100)) AS c FROM "${schema}".events_purchase`,
    );
    return { total: sum(countsByType), countsByType, revenueCents: Number(rows[0]?.c ?? 0) };
  });
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

async function withAdmin<T>(fn: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const config = await load({ environment: 'test' });
  const kafka = createKafka(config.kafka, { clientId: 'e2e', logger: silentSink });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(prefix: string): Promise<void> {
  const config = await load({ environment: 'test' });
  const admin = new TopicAdmin(createKafka(config.kafka, { clientId: 'e2e', logger: silentSink }));
  await admin.connect();
  try {
    await admin.deleteTopicsWithPrefix(prefix);
  } finally {
    await admin.disconnect();
  }
}
