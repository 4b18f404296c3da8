import type { KafkaSettings } from '@platform/config';
import type { KafkaClient, KafkaConsumer, KafkaProducer } from './kafka-port';
import {
  deferred,
  eventsTopic,
  intKafka,
  intKafkaSettings,
  uniqueName,
  within,
} from '../testing/kafka-int.helpers';
import { topicDefaults } from './domain-topics';
import { compressionCodec } from './kafka-client';
import { TopicAdmin } from './topic-admin';

const MESSAGES = 10_000;
const BATCH = 1_000;

describe(`${TopicAdmin.name} against the real broker`, () => {
  let settings: KafkaSettings;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let producer: KafkaProducer | undefined;
  let consumer: KafkaConsumer | undefined;
  const topics: string[] = [];

  beforeAll(async () => {
    settings = await intKafkaSettings();
    kafka = intKafka(settings, uniqueName('it-topic-admin'));
    admin = new TopicAdmin(kafka);
    await admin.connect();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin.deleteTopics(topics);
    await admin.disconnect();
  });

  it('creates topics once, then reports them as existing, and describes partitions and cleanup policy', async () => {
    const events = uniqueName('it.events');
    const changelog = uniqueName('it.changelog');
    topics.push(events, changelog);
    const specs = [
      eventsTopic(events, 3),
      { name: changelog, purpose: 'changelog' as const, cleanupPolicy: 'compact' as const },
    ];

    await expect(admin.ensureTopics(specs, topicDefaults(settings))).resolves.toEqual({
      created: [events, changelog],
      existing: [],
    });
    await expect(admin.ensureTopics(specs, topicDefaults(settings))).resolves.toEqual({
      created: [],
      existing: [events, changelog],
    });
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([events, changelog]));

    const [ev, cl] = await admin.describeTopics([events, changelog]);
    expect(ev?.name).toBe(events);
    expect(ev?.partitions.map((p) => p.id)).toEqual([0, 1, 2]);
    for (const p of ev?.partitions ?? []) {
      expect(p.leader).toBeGreaterThanOrEqual(0);
      expect(p.replicas).toHaveLength(settings.replication_factor);
      expect(p.isr).toEqual(p.replicas);
    }
    expect(ev?.configs['cleanup.policy']).toBe('delete');
    expect(cl?.partitions).toHaveLength(settings.default_partitions);
    expect(cl?.configs['cleanup.policy']).toBe('compact');
  });

  it('reads back each of 10,000 idempotently produced messages exactly once through a consumer group', async () => {
    const topic = uniqueName('it.roundtrip');
    topics.push(topic);
    await admin.ensureTopics([eventsTopic(topic, 3)], topicDefaults(settings));

    const expected = new Map<string, string>();
    for (let i = 0; i < MESSAGES; i++) expected.set(`key-${i}`, `value-${i}-${'x'.repeat(i % 50)}`);

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const entries = [...expected.entries()];
    for (let start = 0; start < entries.length; start += BATCH) {
      await producer.sendBatch({
        acks: -1,
        compression: compressionCodec(settings),
        topicMessages: [
          {
            topic,
            messages: entries.slice(start, start + BATCH).map(([key, value]) => ({ key, value })),
          },
        ],
      });
    }

    // The log itself holds exactly 10,000 records: the idempotent producer wrote no duplicates.
    const offsets = await admin.topicOffsets(topic);
    expect(offsets.reduce((sum, o) => sum + (o.high - o.low), 0n)).toBe(BigInt(MESSAGES));
    const end = new Map(offsets.map((o) => [o.partition, o.high]));

    const received: Array<{ key: string; value: string }> = [];
    const next = new Map<number, bigint>();
    const caughtUp = deferred<void>();
    consumer = kafka.consumer({ groupId: uniqueName('it.roundtrip.group') });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const m of batch.messages) {
          received.push({
            key: m.key?.toString() ?? '<null>',
            value: m.value?.toString() ?? '<null>',
          });
          next.set(batch.partition, BigInt(m.offset) + 1n);
          resolveOffset(m.offset);
        }
        await heartbeat();
        // Done when every partition's position reached the end offsets read above.
        if ([...end].every(([p, high]) => (next.get(p) ?? 0n) >= high)) caughtUp.resolve();
      },
    });
    await within(
      caughtUp.promise,
      90_000,
      `consumer did not reach the end offsets; got ${received.length}`,
    );

    expect(received).toHaveLength(MESSAGES);
    const seen = new Map<string, string>();
    for (const { key, value } of received) {
      expect(seen.has(key)).toBe(false);
      seen.set(key, value);
    }
    expect(seen).toEqual(expected);
  });
});
