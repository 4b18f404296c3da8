import type { INestMicroservice } from '@nestjs/common';
import { load, type PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import {
  createKafka,
  EventProducer,
  InMemorySchemaRegistrar,
  silentSink,
  TopicAdmin,
  topicDefaults,
} from '@platform/messaging';
import { randomUUID } from 'node:crypto';
import { startRevenueService } from './main';
import { RevenueTally } from './revenue.module';

// The example as its user runs it: the platform's config, its own module, real Kafka.
describe('the revenue example service', () => {
  let config: PlatformConfig;
  let app: INestMicroservice | undefined;
  const run = `ex${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const base = await load({ environment: 'test' });
    config = {
      ...base,
      topics: { ...base.topics, events: `${run}.events`, dlq: `${run}.dlq` },
    };
  });

  afterAll(async () => {
    await app?.close();
    const admin = new TopicAdmin(createKafka(config.kafka, { logger: silentSink }));
    await admin.connect();
    const existing = await admin.listTopics();
    await admin.deleteTopics(existing.filter((t) => t.startsWith(`${run}.`)));
    await admin.disconnect();
  });

  it('tallies every purchase through its @EventPattern handler and commits after handling', async () => {
    const kafka = createKafka(config.kafka, { logger: silentSink });
    const topic = eventTopic(config.topics, 'purchase');
    const admin = new TopicAdmin(kafka);
    await admin.connect();
    await admin.ensureTopics(
      [{ name: topic, purpose: 'events', cleanupPolicy: 'delete', partitions: 3 }],
      topicDefaults(config.kafka),
    );
    await admin.disconnect();

    const registry = new InMemorySchemaRegistrar();
    const producer = new EventProducer({
      kafka,
      model: config.model,
      prefixes: config.topics,
      registry,
    });
    await producer.start();
    const expected: Record<string, { orders: number; revenue: number }> = {};
    const purchases = Array.from({ length: 300 }, (_, i) => {
      const currency = ['USD', 'EUR', 'GBP'][i % 3] as string;
      const revenue = 10 + (i % 7) * 100;
      const total = expected[currency] ?? { orders: 0, revenue: 0 };
      expected[currency] = { orders: total.orders + 1, revenue: total.revenue + revenue };
      return {
        eventType: 'purchase',
        event: {
          event_id: `${run}-${i}`,
          timestamp: 1_735_689_600_000 + i,
          user_id: `user-${i % 17}`,
          order_id: `order-${i}`,
          revenue,
          currency,
          coupon_code: null,
          device_type: 'mobile',
        },
      };
    });
    await producer.sendMany(purchases);
    await producer.close();

    const groupId = `${run}.revenue`;
    app = await startRevenueService(config, { groupId, registry, logLevels: ['warn', 'error'] });
    const tally = app.get(RevenueTally);
    const deadline = Date.now() + 60_000;
    while (JSON.stringify(tally.snapshot()) !== JSON.stringify(expected) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tally.snapshot()).toEqual(expected);
    await app.close();
    app = undefined;

    // Every partition's committed offset is its end: the handled records are acknowledged.
    const raw = kafka.admin();
    await raw.connect();
    try {
      const [committed] = await raw.fetchOffsets({ groupId, topics: [topic] });
      const ends = await raw.fetchTopicOffsets(topic);
      expect((committed?.partitions ?? []).map((p) => [p.partition, p.offset]).sort()).toEqual(
        ends.map((e) => [e.partition, e.high]).sort(),
      );
    } finally {
      await raw.disconnect();
    }
  });
});
