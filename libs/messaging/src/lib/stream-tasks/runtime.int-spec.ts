import type { KafkaSettings } from '@platform/config';
import {
  deferred,
  intKafka,
  intKafkaSettings,
  uniqueName,
  within,
} from '../../testing/kafka-int.helpers';
import type { KafkaAdmin, KafkaClient } from '../kafka-port';
import { silentSink } from '../kafka-logger';
import { createIdempotentProducer } from '../transaction';
import type { Outbox } from './outbox';
import {
  StreamTaskRuntime,
  type StreamRecord,
  type StreamTaskHandlers,
  type StreamTaskRuntimeOptions,
} from './runtime';

/**
 * The runtime against the broker, with the smallest stateful task there is: a running count
 * per key. Every input record emits `<key>=<count>` and the counts live in a changelog, so
 * exactly once shows as each count of each key in the output once, with none missing, across
 * a failed transaction, a restart and a restore.
 */
interface Counter {
  readonly partition: number;
  readonly counts: Map<string, number>;
  readonly changed: Set<string>;
}

const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('StreamTaskRuntime', () => {
  const input = uniqueName('it_tasks_in');
  const output = uniqueName('it_tasks_out');
  const changelog = uniqueName('it_tasks_changelog');
  const groupId = uniqueName('it-tasks');
  let settings: KafkaSettings;
  let kafka: KafkaClient;
  let admin: KafkaAdmin;

  const handlers = (
    failOnce: { armed: boolean },
    topics = { input, output, changelog },
  ): StreamTaskHandlers<Counter> => ({
    create: (topic, partition) =>
      topic === topics.input ? { partition, counts: new Map(), changed: new Set() } : null,
    changelogOf: (state) => ({ topic: topics.changelog, partition: state.partition }),
    restore: (state, _committed, entries) => {
      state.counts.clear();
      state.changed.clear();
      for (const [key, value] of entries ?? []) {
        if (value !== null) state.counts.set(key, Number(value));
      }
    },
    process: (state: Counter, records: readonly StreamRecord[], outbox: Outbox) => {
      for (const r of records) {
        // One failure, after some records of the batch were counted: the state is ahead of Kafka.
        if (failOnce.armed && state.partition === 0 && Number(r.offset) >= 50) {
          failOnce.armed = false;
          throw new Error('injected failure');
        }
        const key = r.key?.toString() ?? '';
        const count = (state.counts.get(key) ?? 0) + 1;
        state.counts.set(key, count);
        state.changed.add(key);
        outbox.push(topics.output, { key, value: `${key}=${count}` });
      }
    },
    seal: () => null,
    takeChangelog: (state) => {
      const entries = [...state.changed].map((key) => ({
        key,
        value: String(state.counts.get(key)),
      }));
      state.changed.clear();
      return entries;
    },
  });

  const runtime = (
    failOnce: { armed: boolean },
    overrides: Partial<StreamTaskRuntimeOptions<Counter, never>> = {},
    topics = { input, output, changelog },
  ) =>
    new StreamTaskRuntime<Counter>({
      kafka: settings,
      clientId: 'it-tasks',
      kafkaLogger: silentSink,
      groupId,
      handlers: handlers(failOnce, topics),
      transactions: true,
      transactionalId: (topic, partition) => `${groupId}-${topic}-${partition}`,
      transactionTimeoutMs: 30_000,
      sessionTimeoutMs: 10_000,
      maxBytesPerPartition: 4 * 1024,
      concurrency: 2,
      restoreTimeoutMs: 30_000,
      logger: silentLogger,
      logPrefix: 'it',
      onFatal: (error) => {
        throw error;
      },
      ...overrides,
    });

  /** Sends `n` records over keys k0..k4, numbered from `from`. */
  async function produce(from: number, n: number, topic = input): Promise<void> {
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      const messages = Array.from({ length: n }, (_, i) => ({
        key: `k${(from + i) % 5}`,
        value: String(from + i),
      }));
      await producer.send({ topic, messages, acks: -1 });
    } finally {
      await producer.disconnect();
    }
  }

  /** The committed output, once it holds `n` records. */
  async function readOutput(n: number, topic = output): Promise<string[]> {
    const seen: string[] = [];
    const done = deferred<void>();
    const consumer = kafka.consumer({
      groupId: uniqueName('it-tasks-reader'),
      readUncommitted: false,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          if (seen.length >= n) done.resolve();
        },
      });
      await within(done.promise, 60_000, `output reached ${seen.length} of ${n} records`);
      // Anything beyond n (a duplicate) would arrive with the same fetches: give it a moment.
      await new Promise((r) => setTimeout(r, 1_000));
      return seen;
    } finally {
      await consumer.disconnect();
    }
  }

  beforeAll(async () => {
    settings = await intKafkaSettings();
    kafka = intKafka(settings, 'it-tasks');
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: input, numPartitions: 2 },
        { topic: output, numPartitions: 1 },
        {
          topic: changelog,
          numPartitions: 2,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
      waitForLeaders: true,
    });
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [input, output, changelog] }).catch(() => undefined);
    await admin?.disconnect();
  });

  it('counts every record once across a failed batch, a restart and a restore', async () => {
    await produce(0, 300);
    const first = runtime({ armed: true });
    await first.connect();
    await first.join([input]);
    const afterFirst = await readOutput(300);
    await first.stop();

    // A new instance of the group: the counts come back from the changelog.
    await produce(300, 200);
    const second = runtime({ armed: false });
    await second.connect();
    await second.join([input]);
    const all = await readOutput(500);
    await second.stop();

    expect(afterFirst).toHaveLength(300);
    expect(all).toHaveLength(500);
    expectEachCountOnce(all, 100);
  });

  it('a member joining while the first one fences and restores: no fatal error, each count once', async () => {
    // A changelog long enough (about 2 s to restore here) that the second member's join
    // usually lands while the first member is still fencing or restoring.
    const changelogEntries = 400_000;
    const topics = {
      input: uniqueName('it_tasks_rb_in'),
      output: uniqueName('it_tasks_rb_out'),
      changelog: uniqueName('it_tasks_rb_changelog'),
    };
    const group = uniqueName('it-tasks-rb');
    await admin.createTopics({
      topics: [
        { topic: topics.input, numPartitions: 2 },
        { topic: topics.output, numPartitions: 1 },
        { topic: topics.changelog, numPartitions: 2 },
      ],
      waitForLeaders: true,
    });
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    for (let sent = 0; sent < changelogEntries; sent += 10_000) {
      await producer.send({
        topic: topics.changelog,
        acks: -1,
        messages: Array.from({ length: 10_000 }, (_, i) => ({
          key: `old${sent + i}`,
          value: '1',
          partition: i % 2,
        })),
      });
    }
    await producer.disconnect();

    const fatal: unknown[] = [];
    const events: string[] = [];
    const member = (name: string, onAssigned: () => void = () => undefined) =>
      runtime(
        { armed: false },
        {
          groupId: group,
          transactionalId: (topic, partition) => `${group}-${topic}-${partition}`,
          // Empty fetches return soon, so the member heartbeats, and hears of the rebalance,
          // while its initialization is still going.
          sessionTimeoutMs: 6_000,
          maxWaitTimeInMs: 100,
          logger: {
            ...silentLogger,
            info: (fields: { event?: string }) => {
              events.push(`${name} ${fields.event}`);
              if (fields.event === 'it.assigned') onAssigned();
            },
          },
          onFatal: (error) => fatal.push(error),
        },
        topics,
      );
    const second = member('second');
    const secondJoined = deferred<void>();
    let joining = false;
    const first = member('first', () => {
      if (joining) return;
      joining = true;
      second
        .connect()
        .then(() => second.join([topics.input]))
        .then(secondJoined.resolve, secondJoined.reject);
    });
    try {
      await first.connect();
      await first.join([topics.input]);
      await within(secondJoined.promise, 30_000, 'the second member joined');
      await produce(0, 300, topics.input);
      const out = await readOutput(300, topics.output);
      expect({ fatal: fatal.map(String), records: out.length }).toEqual({
        fatal: [],
        records: 300,
      });
      expectEachCountOnce(out, 60);
      // The first member took part in the rebalance the second one's join caused.
      expect(events.filter((e) => e === 'first it.assigned').length).toBeGreaterThan(1);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      await admin
        .deleteTopics({ topics: [topics.input, topics.output, topics.changelog] })
        .catch(() => undefined);
    }
  }, 120_000);
});

/** Each key k0..k4 counted 1..`perKey`, each count once: nothing lost, nothing twice. */
function expectEachCountOnce(lines: readonly string[], perKey: number): void {
  const byKey = new Map<string, number[]>();
  for (const line of lines) {
    const [key, count] = line.split('=');
    byKey.set(key, [...(byKey.get(key) ?? []), Number(count)]);
  }
  for (let k = 0; k < 5; k++) {
    const counts = (byKey.get(`k${k}`) ?? []).sort((a, b) => a - b);
    expect({ key: `k${k}`, counts }).toEqual({
      key: `k${k}`,
      counts: Array.from({ length: perKey }, (_, i) => i + 1),
    });
  }
}
