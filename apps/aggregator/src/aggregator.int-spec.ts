// The aggregator as a child process on the real stack (Kafka, apps/schema-registry): its
// modes, options and endpoints. Expected rows come from @platform/windowing's `finalResults`;
// the end-to-end test (tools/e2e/src/pipeline/aggregates.int-spec.ts) checks the results
// against the independent oracle, with crashes and several instances.
import type { AggregationSpec } from '@platform/contracts';
import { TopicAdmin } from '@platform/messaging';
import { AvroSerde, SchemaRegistryClient } from '@platform/schema-registry';
import {
  eventually,
  runTs,
  startSchemaRegistry,
  startService,
  uniqueName,
  type RegistryProcess,
} from '@platform/testing';
import type { WindowEvent } from '@platform/windowing';
import {
  actualRows,
  configFor,
  envFor,
  expectedRows,
  generatedEvents,
  kafkaFor,
  prefixesFor,
  produce,
  readAll,
  type Rows,
} from './testing/harness';

jest.setTimeout(240_000);

const BASE = uniqueName('it_agg');
const CLI = 'apps/aggregator/src/cli.ts';

function sorted(rows: Rows): [string, Record<string, unknown>][] {
  return [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

type Typed = { eventType: string; event: WindowEvent };

const view = (id: string, t: number, device: string): Typed => ({
  eventType: 'page_view',
  event: {
    event_id: id,
    timestamp: t,
    user_id: 'u1',
    page_url: 'https://x/',
    page_title: null,
    referrer: null,
    device_type: device,
    country: 'US',
  },
});

describe('aggregator', () => {
  let registry: RegistryProcess;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
  });

  afterAll(async () => {
    await registry?.stop();
    const config = await configFor(envFor(prefixesFor(BASE, 'x'), 'http://127.0.0.1:1', BASE));
    const admin = new TopicAdmin(kafkaFor(config));
    await admin.connect();
    await admin.deleteTopicsWithPrefix(BASE);
    await admin.disconnect();
  });

  /** One partition per topic, so that the arrival order is the produce order. */
  async function onePartitionRun(run: string): Promise<{
    env: NodeJS.ProcessEnv;
    config: Awaited<ReturnType<typeof configFor>>;
    spec: AggregationSpec;
  }> {
    const env = {
      ...envFor(prefixesFor(`${BASE}_${run}`, run), registry.url, `${BASE}_${run}`),
      PLATFORM__kafka__default_partitions: '1',
    };
    const config = await configFor(env);
    const spec = config.model.aggregations.find(
      (a) => a.name === 'page_views_per_minute',
    ) as AggregationSpec;
    return { env, config, spec };
  }

  it('run-once --console: late events go to late.<type>, bad records to the DLQ, the rest is counted and printed', async () => {
    const { env, config, spec } = await onePartitionRun('late');
    const onTime = [
      view('a', 10_000, 'mobile'),
      view('b', 50_000, 'desktop'),
      view('c', 61_000, 'mobile'),
      view('d', 59_000, 'mobile'), // within lateness: [0,60000) closes at W >= 90000
      view('e', 95_000, 'desktop'),
      view('g', 130_000, 'tablet'),
    ];
    const lateOne = view('f', 30_000, 'mobile'); // W = 95000: window [0,60000) closed
    await produce(config, [...onTime.slice(0, 5), lateOne, onTime[5] as Typed]);
    // A record that is not Avro: dead-lettered with the reason, and the rest goes on.
    const raw = kafkaFor(config).producer();
    await raw.connect();
    await raw.send({
      topic: `${config.topics.events}.page_view`,
      messages: [{ key: 'u1', value: 'not avro' }],
    });
    await raw.disconnect();
    const run = await runTs(
      CLI,
      ['run-once', '--env', 'test', '--aggregation', spec.name, '--console'],
      env,
    );
    expect({ code: run.code, err: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, err: '' });

    const records = await readAll(config, [
      `${config.topics.aggregates}.${spec.name}`,
      `${config.topics.late}.page_view`,
      `${config.topics.dlq}.aggregator`,
    ]);
    const dead = records.filter((r) => r.topic === `${config.topics.dlq}.aggregator`);
    expect(
      dead.map((r) => [r.value?.toString(), r.headers['aggregator.reason']?.split(':')[0]]),
    ).toEqual([['not avro', 'undecodable']]);
    const late = records.filter((r) => r.topic === `${config.topics.late}.page_view`);
    expect(late).toHaveLength(1);
    expect(late[0]?.headers['aggregator.reason']).toContain('watermark 95000');
    expect(late[0]?.headers['aggregator.aggregation']).toBe(spec.name);
    expect(late[0]?.key).toBe('u1'); // the event's own key, as the producer keyed it
    const { rows, versionsIncrease } = await actualRows(config, spec, records);
    expect(sorted(rows)).toEqual(sorted(expectedRows(spec, onTime)));
    expect(versionsIncrease).toBe(true);

    // The console table: one line per final window, readable times.
    expect(run.stdout).toContain(`${spec.name} (5 rows)`);
    expect(run.stdout).toMatch(/1970-01-01T00:00:00\.000Z \| 1970-01-01T00:01:00\.000Z \| desktop/);
    expect(run.stderr).toContain('transactions on (exactly-once)');
  });

  it('run-once again with the same app id: what came since goes whole to late.<type> in that run, none left behind', async () => {
    // Three partitions, events of two users: one source partition gets nothing in the first
    // run, and is closed all the same.
    const env = envFor(prefixesFor(`${BASE}_again`, 'again'), registry.url, `${BASE}_again`);
    const config = await configFor(env);
    const spec = config.model.aggregations.find(
      (a) => a.name === 'page_views_per_minute',
    ) as AggregationSpec;
    const byUser = (n: number, t: number): Typed => {
      const v = view(`e${n}`, t, 'mobile');
      return { ...v, event: { ...v.event, user_id: `u${n % 6}` } };
    };
    await produce(config, [byUser(1, 10_000), byUser(2, 70_000)]);
    const first = await runTs(CLI, ['run-once', '--env', 'test', '--aggregation', spec.name], env);
    expect({ code: first.code, err: first.code === 0 ? '' : first.stderr }).toEqual({
      code: 0,
      err: '',
    });
    // The first run closed every window for good: these are late for this app id, and would
    // have been on time (and folded into partials at the source) for a new one.
    const later = Array.from({ length: 12 }, (_, i) => byUser(10 + i, 200_000 + i * 10_000));
    await produce(config, later);
    const second = await runTs(CLI, ['run-once', '--env', 'test', '--aggregation', spec.name], env);
    expect({ code: second.code, err: second.code === 0 ? '' : second.stderr }).toEqual({
      code: 0,
      err: '',
    });
    const records = await readAll(config, [
      `${config.topics.late}.page_view`,
      `${config.topics.dlq}.aggregator`,
    ]);
    // Each new event is refused by the second run itself, as the event its producer sent.
    expect(records.filter((r) => r.topic === `${config.topics.dlq}.aggregator`)).toEqual([]);
    const late = records.filter((r) => r.topic === `${config.topics.late}.page_view`);
    const serde = new AvroSerde(new SchemaRegistryClient({ url: registry.url }));
    const ids = await Promise.all(
      late.map(async (r) => ((await serde.decode(r.value as Buffer)) as WindowEvent).event_id),
    );
    expect(ids.sort()).toEqual(later.map((e) => e.event.event_id).sort());
    expect(late.every((r) => r.headers['aggregator.aggregation'] === spec.name)).toBe(true);
  });

  it('run-once --no-transactions gives the same rows as windowing over the same events', async () => {
    const env = envFor(prefixesFor(`${BASE}_alo`, 'alo'), registry.url, `${BASE}_alo`);
    const config = await configFor(env);
    const events = await generatedEvents(3_000, 5);
    await produce(config, events);
    const run = await runTs(CLI, ['run-once', '--env', 'test', '--no-transactions'], env);
    expect({ code: run.code, err: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, err: '' });
    expect(run.stderr).toContain('transactions OFF (at-least-once)');
    const topics = config.model.aggregations.map((a) => `${config.topics.aggregates}.${a.name}`);
    const records = await readAll(config, topics);
    for (const spec of config.model.aggregations) {
      const { rows } = await actualRows(config, spec, records);
      expect({ aggregation: spec.name, rows: sorted(rows) }).toEqual({
        aggregation: spec.name,
        rows: sorted(expectedRows(spec, events)),
      });
    }
  });

  it('run: /healthz, /readyz and /metrics; emits closed windows continuously; SIGTERM exits 0', async () => {
    const { env, config, spec } = await onePartitionRun('svc');
    await produce(config, [view('a', 10_000, 'mobile')]); // the topics exist before the start
    const service = await startService({
      entry: CLI,
      args: ['run', '--env', 'test', '--aggregation', spec.name],
      env,
    });
    try {
      const ready = await eventually(
        async () => (await fetch(`${service.url}/readyz`)).status === 200,
        { timeoutMs: 60_000 },
      );
      expect({ ready, output: ready ? '' : service.output() }).toEqual({ ready: true, output: '' });

      // 100 s closes [0,60000) (no allowed lateness left at W = 100000 - 0 >= 60000 + 30000).
      await produce(config, [view('b', 20_000, 'mobile'), view('c', 100_000, 'tablet')]);
      const topic = `${config.topics.aggregates}.${spec.name}`;
      let rows: Rows = new Map();
      const emitted = await eventually(
        async () => {
          rows = (await actualRows(config, spec, await readAll(config, [topic], 1_500))).rows;
          return rows.size > 0;
        },
        { timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect(emitted).toBe(true);
      expect(sorted(rows)).toEqual(
        sorted(expectedRows(spec, [view('a', 10_000, 'mobile'), view('b', 20_000, 'mobile')])),
      );

      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(`aggregator_events_processed_total\\{aggregation="${spec.name}"\\} 3`),
      );
      expect(metrics).toContain('aggregator_transaction_seconds_bucket');
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await service.stop(20_000);
    }
    expect({ code: await service.exited, output: '' }).toEqual({ code: 0, output: '' });
  });
});
