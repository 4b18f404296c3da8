import { load, type KafkaSettings } from '@platform/config';
import type { DomainModel, TopicPrefixes } from '@platform/contracts';
import { AvroSerde } from '@platform/schema-registry';
import type { KafkaClient } from './kafka-port';
import { eventsTopic, intKafka, readFromStart, uniqueName } from '../testing/kafka-int.helpers';
import { topicDefaults } from './domain-topics';
import { EventProducer } from './event-producer';
import { InMemorySchemaRegistrar } from './in-memory-registrar';
import { MessagingError } from './messaging.error';
import { RdkafkaRecordProducer } from './rdkafka-producer';
import { TopicAdmin } from './topic-admin';

function pageView(i: number): Record<string, unknown> {
  return {
    event_id: `pv-${i}`,
    timestamp: 1_735_689_600_000 + i,
    user_id: `user-${i % 101}`,
    page_url: `/p/${i}`,
    page_title: null,
    referrer: null,
    device_type: ['desktop', 'mobile', 'tablet'][i % 3],
    country: 'US',
  };
}

describe('EventProducer on librdkafka against Kafka', () => {
  let settings: KafkaSettings;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let model: DomainModel;
  let base: TopicPrefixes;
  const topics: string[] = [];

  beforeAll(async () => {
    ({ kafka: settings, model, topics: base } = await load({ environment: 'test' }));
    kafka = intKafka(settings, uniqueName('it-rdkafka'));
    admin = new TopicAdmin(kafka);
    await admin.connect();
  });

  afterAll(async () => {
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics(topics.filter((t) => existing.has(t)));
    await admin.disconnect();
  });

  async function prefixesWithTopics(): Promise<TopicPrefixes> {
    const prefixes = { ...base, events: `${uniqueName('it').replace('.', '')}.events` };
    const names = model.eventTypes.map((t) => `${prefixes.events}.${t.name}`);
    topics.push(...names);
    await admin.ensureTopics(
      names.map((n) => eventsTopic(n, 3)),
      topicDefaults(settings),
    );
    return prefixes;
  }

  it('sends every event once, in order per key, on the partitions kafkajs picks', async () => {
    const registry = new InMemorySchemaRegistrar();
    const n = 20_000;
    const events = Array.from({ length: n }, (_, i) => pageView(i));

    const rdPrefixes = await prefixesWithTopics();
    const rd = new EventProducer({
      kafka,
      model,
      prefixes: rdPrefixes,
      registry,
      recordProducer: new RdkafkaRecordProducer(settings, { clientId: 'it-rdkafka' }),
    });
    await rd.start();
    // Many sends in flight at once, as the generator sends, plus single sends.
    const sends: Promise<void>[] = [];
    for (let i = 0; i < n - 10; i += 500) {
      sends.push(
        rd.sendMany(
          events.slice(i, Math.min(i + 500, n - 10)).map((event) => ({
            eventType: 'page_view',
            event,
          })),
        ),
      );
    }
    for (let i = n - 10; i < n; i++) sends.push(rd.send('page_view', events[i]));
    await Promise.all(sends);
    expect(rd.getStats()).toMatchObject({ sent: n, errors: 0, pending: 0 });
    // Acknowledged means stored: the topic holds every event before the producer closes.
    const rdTopic = `${rdPrefixes.events}.page_view`;
    const offsets = await admin.topicOffsets(rdTopic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(n);
    await rd.close();

    const kjPrefixes = await prefixesWithTopics();
    const kj = new EventProducer({ kafka, model, prefixes: kjPrefixes, registry });
    await kj.start();
    await kj.sendBatch('page_view', events.slice(0, 3000));
    await kj.close();

    const serde = new AvroSerde(registry);
    const read = await readFromStart(kafka, rdTopic, n);
    const ids = new Set<string>();
    const lastByUser = new Map<string, number>();
    for (const m of read) {
      const event = (await serde.decode(m.value as Buffer)) as { event_id: string };
      ids.add(event.event_id);
      const i = Number(event.event_id.slice(3));
      const user = m.key?.toString() ?? '';
      expect(i).toBeGreaterThan(lastByUser.get(user) ?? -1);
      lastByUser.set(user, i);
    }
    expect(ids.size).toBe(n);

    // The same keys on the same partitions as kafkajs's murmur2 partitioner.
    const partitionOf = async (topic: string, count: number) => {
      const byKey = new Map<string, number>();
      const messages = await readFromStart(kafka, topic, count);
      for (const { key, partition } of messages) byKey.set(key?.toString() ?? '', partition);
      return byKey;
    };
    const kjPartitions = await partitionOf(`${kjPrefixes.events}.page_view`, 3000);
    const rdPartitions = await partitionOf(rdTopic, n);
    for (const [key, partition] of kjPartitions) expect(rdPartitions.get(key)).toBe(partition);
  }, 120_000);

  it('rejects the sends whose records failed, and sends what comes after', async () => {
    const good = await prefixesWithTopics();
    // The same prefixes, but page_view's topic is missing: its records fail in librdkafka.
    await admin.deleteTopics([`${good.events}.page_view`]);
    const producer = new EventProducer({
      kafka,
      model,
      prefixes: good,
      registry: new InMemorySchemaRegistrar(),
      recordProducer: new RdkafkaRecordProducer(settings, {
        extra: { 'message.timeout.ms': 3000, 'topic.metadata.propagation.max.ms': 500 },
      }),
    });
    await producer.start();
    try {
      const lost = producer.sendMany(
        Array.from({ length: 50 }, (_, i) => ({ eventType: 'page_view', event: pageView(i) })),
      );
      await expect(lost).rejects.toBeInstanceOf(MessagingError);
      expect(producer.getStats().errors).toBe(50);

      await producer.send('add_to_cart', {
        event_id: 'c-1',
        timestamp: 1_735_689_600_000,
        user_id: 'user-1',
        price: 2.5,
        product_id: 'sku-1',
        quantity: 1,
        device_type: 'mobile',
      });
      expect(producer.getStats()).toMatchObject({ sent: 1, errors: 50, pending: 0 });
    } finally {
      await producer.close();
    }
  }, 60_000);
});
