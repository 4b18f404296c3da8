import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { aggregateTopic, dlqTopic, eventTopic } from '@platform/contracts';
import { DLQ_HEADERS, headerText, type EventProducer } from '@platform/messaging';
import { RETRACTED_HEADER } from '@platform/sink-adapters';
import { SyntheticGenerator } from '@platform/synthetic';
import {
  eventually,
  startSchemaRegistry,
  startTcpProxy,
  uniqueName,
  type RegistryProcess,
  type TcpProxy,
} from '@platform/testing';
import {
  AggregateProducer,
  caughtUp,
  chRows,
  createHarness,
  pgRows,
  startEventProducer,
  startSinkWriter,
  type Harness,
} from './testing/sink-writer-harness';

const N = 3_000;

interface SentEvent {
  readonly type: string;
  readonly event: Record<string, unknown>;
}

function generate(h: Harness, seed: number, count: number): SentEvent[] {
  const gen = new SyntheticGenerator(h.config.model, { seed });
  const out: SentEvent[] = [];
  while (out.length < count) {
    for (const e of gen.generateUserSession()) {
      if (out.length < count)
        out.push({ type: e.eventType, event: e.event as Record<string, unknown> });
    }
  }
  return out;
}

function countsBy(events: readonly SentEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.type] = (out[e.type] ?? 0) + 1;
  return out;
}

/**
 * The sink-writer in process against the real stack. Its PostgreSQL connections go through a
 * TCP proxy, so a test can cut them (a transient database failure).
 */
describe('sink-writer (real Kafka, ClickHouse, PostgreSQL)', () => {
  let registry: RegistryProcess;
  let h: Harness;
  let pgProxy: TcpProxy;
  let app: NestFastifyApplication | undefined;
  let producer: EventProducer;
  let writerEnv: Record<string, string>;
  /** The consumer group of the running writer. */
  let group: string;
  let eventTopics: string[];
  const produced: SentEvent[] = [];

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    h = await createHarness(registry.url);
    pgProxy = await startTcpProxy(h.config.postgres.host, h.config.postgres.port);
    writerEnv = { PLATFORM__postgres__port: String(pgProxy.port) };
    eventTopics = h.config.model.eventTypes.map((t) => eventTopic(h.config.topics, t.name));
    producer = await startEventProducer(h);
    group = h.env['SINK_WRITER_GROUP_ID'] as string;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await producer?.close();
    await pgProxy?.close();
    await h?.cleanup();
    await registry?.stop();
  }, 60_000);

  async function produce(events: readonly SentEvent[]): Promise<void> {
    await Promise.all(events.map((e) => producer.send(e.type, e.event)));
    produced.push(...events);
  }

  async function tableCounts(): Promise<{
    ch: Record<string, number>;
    pg: Record<string, number>;
  }> {
    const ch: Record<string, number> = {};
    const pg: Record<string, number> = {};
    for (const type of h.config.model.eventTypes.map((t) => t.name)) {
      const c = await chRows(h, `SELECT count() AS n FROM $db.events_${type} FINAL`);
      ch[type] = Number(c[0]?.['n']);
      const p = await pgRows(h, `SELECT count(*)::int AS n FROM $schema.events_${type}`);
      pg[type] = Number(p[0]?.['n']);
    }
    return { ch, pg };
  }

  /**
   * Waits until both databases hold exactly the distinct events produced so far (plus, in
   * ClickHouse, the rows only ClickHouse accepted).
   */
  async function expectAllProducedStored({
    timeoutMs = 90_000,
    onlyInClickHouse = [] as SentEvent[],
  } = {}): Promise<void> {
    const distinct = [...new Map(produced.map((e) => [e.event['event_id'], e])).values()];
    const expected = { ch: countsBy([...distinct, ...onlyInClickHouse]), pg: countsBy(distinct) };
    const same = (a: object, b: object): boolean => JSON.stringify(a) === JSON.stringify(b);
    await eventually(async () => same(await tableCounts().catch(() => ({})), expected), {
      timeoutMs,
    });
    expect(await tableCounts()).toEqual(expected);
  }

  /** The dead letters so far, once at least `atLeast` are there, read by a fresh group. */
  async function deadLetters(atLeast: number): Promise<Record<string, string>[]> {
    const dlq = h.kafka.consumer({ groupId: uniqueName(`${h.id}-dlq-reader`) });
    await dlq.connect();
    await dlq.subscribe({
      topics: [dlqTopic(h.config.topics, 'sink-writer')],
      fromBeginning: true,
    });
    const letters: Record<string, string>[] = [];
    await dlq.run({
      eachMessage: async ({ message }) => void letters.push(headerText(message.headers)),
    });
    await eventually(async () => letters.length >= atLeast, { timeoutMs: 60_000 });
    await dlq.disconnect();
    return letters;
  }

  async function metricsText(): Promise<string> {
    return (await fetch(`${await app?.getUrl()}/metrics`)).text();
  }

  it('writes every produced event exactly once to both databases, with its values', async () => {
    const events = generate(h, 7, N);
    await produce(events);
    app = await startSinkWriter(h, writerEnv);
    await expectAllProducedStored();

    const revenue = events
      .filter((s) => s.type === 'purchase')
      .reduce((sum, s) => sum + Number(s.event['revenue']), 0);
    const chRevenue = await chRows(h, 'SELECT sum(revenue) AS r FROM $db.events_purchase FINAL');
    const pgRevenue = await pgRows(h, 'SELECT sum(revenue) AS r FROM $schema.events_purchase');
    expect(Number(chRevenue[0]?.['r'])).toBeCloseTo(revenue, 4);
    expect(Number(pgRevenue[0]?.['r'])).toBeCloseTo(revenue, 4);

    const one = events.find((s) => s.type === 'page_view');
    const id = String(one?.event['event_id']);
    const [chRow] = await chRows(
      h,
      `SELECT * FROM $db.events_page_view FINAL WHERE event_id = '${id}'`,
    );
    const [pgRow] = await pgRows(
      h,
      `SELECT * FROM $schema.events_page_view WHERE event_id = '${id}'`,
    );
    expect(chRow?.['page_url']).toBe(one?.event['page_url']);
    expect(Number(chRow?.['timestamp'])).toBe(one?.event['timestamp']);
    expect(pgRow?.['page_url']).toBe(one?.event['page_url']);
    expect((pgRow?.['timestamp'] as Date).getTime()).toBe(one?.event['timestamp']);

    expect(await metricsText()).toMatch(
      /sink_write_rows_total\{sink="postgres",table="events_page_view"\}/,
    );
    const ready = await fetch(`${await app.getUrl()}/readyz`);
    expect(ready.status).toBe(200);
    const details = ((await ready.json()) as { details: Record<string, Record<string, unknown>> })
      .details;
    expect(Object.keys(details)).toEqual(
      expect.arrayContaining(['kafka', 'clickhouse', 'postgres']),
    );
  });

  it('retries a batch through a PostgreSQL outage and loses none of it', async () => {
    const failedWrites = async (): Promise<boolean> =>
      /sink_write_total\{sink="postgres",table="[a-z_]+",success="false"\} [1-9]/.test(
        await metricsText(),
      );
    expect(await failedWrites()).toBe(false);
    pgProxy.cut();
    await produce(generate(h, 42, 500));
    const sawFailures = await eventually(failedWrites, { timeoutMs: 30_000 });
    pgProxy.restore();
    expect(sawFailures).toBe(true);

    await expectAllProducedStored();
    // Retried, not dead-lettered.
    expect(await metricsText()).not.toMatch(/sink_writer_records_total\{outcome="dead_lettered"\}/);
  });

  it('writes no duplicate row when the same events are delivered again', async () => {
    // The same events produced again, then a new consumer group reads everything from the
    // start: each event arrives twice or more.
    await produce(produced.slice(0, N));
    await app?.close();
    group = `${h.id}-replay`;
    app = await startSinkWriter(h, { ...writerEnv, SINK_WRITER_GROUP_ID: group });
    const done = await eventually(() => caughtUp(h, group, eventTopics), {
      timeoutMs: 90_000,
    });
    expect(done).toBe(true);
    await expectAllProducedStored({ timeoutMs: 10_000 });
  });

  it('sends an undecodable record to the dead-letter topic with the error in headers, and writes the rest', async () => {
    const topic = eventTopic(h.config.topics, 'page_view');
    const raw = h.kafka.producer();
    await raw.connect();
    await raw.send({
      topic,
      messages: [{ key: 'garbage', value: Buffer.from('not avro at all') }],
    });
    await raw.disconnect();
    await produce(generate(h, 99, 200));

    const letters = await deadLetters(1);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      [DLQ_HEADERS.sourceTopic]: topic,
      [DLQ_HEADERS.service]: 'sink-writer',
      [DLQ_HEADERS.errorRetriable]: 'false',
    });
    expect(letters[0]?.[DLQ_HEADERS.errorCode]).toBeTruthy();
    expect(letters[0]?.[DLQ_HEADERS.errorMessage]).toBeTruthy();

    await expectAllProducedStored();
  });

  it('dead-letters a record that PostgreSQL refuses, found by bisecting the write, and writes the rest of its batch', async () => {
    const good = generate(h, 123, 300);
    const bad = generate(h, 124, 50).find((e) => e.type === 'page_view');
    if (bad === undefined) throw new Error('no page_view generated');
    // Long before 4713 BC: an Int64 in ClickHouse, out of range for PostgreSQL's timestamptz.
    const refused = { ...bad.event, timestamp: -8e15 };
    await Promise.all([
      ...good.map((e) => producer.send(e.type, e.event)),
      producer.send('page_view', refused),
    ]);
    produced.push(...good);

    const letters = await deadLetters(2);
    expect(letters).toHaveLength(2);
    expect(letters[1]).toMatchObject({
      [DLQ_HEADERS.sourceTopic]: eventTopic(h.config.topics, 'page_view'),
      [DLQ_HEADERS.service]: 'sink-writer',
      [DLQ_HEADERS.errorRetriable]: 'false',
    });
    expect(letters[1]?.[DLQ_HEADERS.errorMessage]).toContain('postgres');

    // Each sink keeps what it accepted: ClickHouse holds the refused event too.
    await expectAllProducedStored({ onlyInClickHouse: [bad] });
  });

  it('keeps the newest version of an aggregate window whatever the order, through replays, and deletes retracted windows', async () => {
    const spec = h.config.model.aggregations.find((a) => a.name === 'page_views_per_minute');
    if (spec === undefined) throw new Error('no page_views_per_minute');
    const agg = new AggregateProducer(h, spec);
    await agg.start();
    const table = 'agg_page_views_per_minute';
    const win = (version: number, value: number, start = 60_000) => ({
      value: {
        window_start: start,
        window_end: start + 60_000,
        device_type: 'mobile',
        value,
        version,
        event_count: value,
      },
    });
    const stored = async (): Promise<{ ch: unknown[]; pg: unknown[] }> => {
      const shape = (rows: Record<string, unknown>[]) =>
        rows.map((r) => ({
          start:
            r['window_start'] instanceof Date
              ? r['window_start'].getTime()
              : Number(r['window_start']),
          value: Number(r['value']),
          version: Number(r['version']),
        }));
      return {
        ch: shape(await chRows(h, `SELECT * FROM $db.${table} FINAL ORDER BY window_start`)),
        pg: shape(await pgRows(h, `SELECT * FROM $schema.${table} ORDER BY window_start`)),
      };
    };
    const settle = async (): Promise<void> => {
      const topic = aggregateTopic(h.config.topics, spec.name);
      expect(await eventually(() => caughtUp(h, group, [topic]), { timeoutMs: 60_000 })).toBe(true);
    };
    const both = (rows: unknown[]) => ({ ch: rows, pg: rows });

    // Version 2, then the newer version 3 in a later write: 3 replaces 2.
    await agg.send([win(2, 20)]);
    await settle();
    expect(await stored()).toEqual(both([{ start: 60_000, value: 20, version: 2 }]));
    await agg.send([win(3, 30)]);
    await settle();
    expect(await stored()).toEqual(both([{ start: 60_000, value: 30, version: 3 }]));

    // An older version after the newer one, and a replay of everything: nothing changes.
    await agg.send([win(1, 10)]);
    await settle();
    await agg.send([win(2, 20), win(3, 30), win(1, 10)]);
    await settle();
    expect(await stored()).toEqual(both([{ start: 60_000, value: 30, version: 3 }]));

    // A retracted window goes away, whether its retraction shares a write or comes later.
    await agg.send([
      win(1, 5, 180_000),
      { ...win(1, 5, 180_000), headers: { [RETRACTED_HEADER]: 'true' } },
    ]);
    await agg.send([win(1, 7, 300_000)]);
    await settle();
    await agg.send([{ ...win(1, 7, 300_000), headers: { [RETRACTED_HEADER]: 'true' } }]);
    await settle();
    await agg.close();
    // ClickHouse deletes are mutations, applied shortly after they are accepted.
    await eventually(
      async () =>
        JSON.stringify(await stored()) ===
        JSON.stringify(both([{ start: 60_000, value: 30, version: 3 }])),
      { timeoutMs: 30_000 },
    );
    expect(await stored()).toEqual(both([{ start: 60_000, value: 30, version: 3 }]));
  });
});
