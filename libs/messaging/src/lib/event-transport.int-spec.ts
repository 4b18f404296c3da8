import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { load, type PlatformConfig } from '@platform/config';
import { dlqTopic, eventTopic } from '@platform/contracts';
import type { ConsumedMessage, KafkaClient } from './kafka-port';
import { deferred, eventsTopic, intKafka, uniqueName, within } from '../testing/kafka-int.helpers';
import { DLQ_HEADERS } from './dead-letter';
import { topicDefaults } from './domain-topics';
import { EventProducer } from './event-producer';
import { KafkaEventContext, KafkaEventTransport, KeepHandlerErrors } from './event-transport';
import { InMemorySchemaRegistrar } from './in-memory-registrar';
import { TopicAdmin } from './topic-admin';

type PageView = { event_id: string; user_id: string };

/** What the handler saw, in order: event id and the try of its batch. */
const seen: Array<{ id: string; attempt: number }> = [];
/** The event type each context named (the topic carries the run's prefix). */
const types = new Set<string>();
const allHandled = deferred<void>();
let flakyFailures = 0;

@Controller()
class PageViewHandler {
  @EventPattern('page_view')
  onPageView(@Payload() view: PageView, @Ctx() context: KafkaEventContext): void {
    seen.push({ id: view.event_id, attempt: context.getAttempt() });
    types.add(context.getEventType());
    if (view.user_id === 'flaky' && flakyFailures++ === 0) {
      throw Object.assign(new Error('downstream busy'), { retriable: true });
    }
    if (view.user_id === 'refused') throw new Error(`refused by the handler: ${view.event_id}`);
    if (view.event_id.endsWith('-49')) allHandled.resolve();
  }
}

@Module({ controllers: [PageViewHandler] })
class PageViewModule {}

describe('KafkaEventTransport: @EventPattern handlers on the batch consumer, against Kafka', () => {
  let config: PlatformConfig;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let app: INestMicroservice | undefined;
  const run = uniqueName('it').replace('.', '');

  beforeAll(async () => {
    const base = await load({ environment: 'test' });
    config = { ...base, topics: { ...base.topics, events: `${run}.events`, dlq: `${run}.dlq` } };
    kafka = intKafka(config.kafka, uniqueName('it-transport'));
    admin = new TopicAdmin(kafka);
    await admin.connect();
  });

  afterAll(async () => {
    await app?.close();
    const existing = await admin.listTopics();
    await admin.deleteTopics(existing.filter((t) => t.startsWith(`${run}.`)));
    await admin.disconnect();
  });

  async function readDeadLetters(n: number): Promise<ConsumedMessage[]> {
    const got: ConsumedMessage[] = [];
    const done = deferred<void>();
    const consumer = kafka.consumer({ groupId: uniqueName('it.dlq-reader') });
    await consumer.connect();
    await consumer.subscribe({
      topics: [dlqTopic(config.topics, 'transport-test')],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message);
        if (got.length >= n) done.resolve();
      },
    });
    try {
      await within(done.promise, 30_000, `read ${got.length}/${n} dead letters`);
    } finally {
      await consumer.disconnect();
    }
    return got;
  }

  it('hands records over in order, resumes a retried batch after what it handled, and dead-letters refusals with their reason', async () => {
    const topic = eventTopic(config.topics, 'page_view');
    await admin.ensureTopics([eventsTopic(topic, 1)], topicDefaults(config.kafka));
    const registry = new InMemorySchemaRegistrar();
    const producer = new EventProducer({
      kafka,
      model: config.model,
      prefixes: config.topics,
      registry,
    });
    await producer.start();
    const users = (i: number): string => (i === 20 ? 'flaky' : i === 30 ? 'refused' : `user-${i}`);
    await producer.sendMany(
      Array.from({ length: 50 }, (_, i) => ({
        eventType: 'page_view',
        event: {
          event_id: `${run}-${i}`,
          timestamp: 1_735_689_600_000 + i,
          user_id: users(i),
          page_url: `/p/${i}`,
          page_title: null,
          referrer: null,
          device_type: 'desktop',
          country: 'US',
        },
      })),
    );
    await producer.close();
    // A record no schema decodes: a dead letter that never reaches the handler.
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic, messages: [{ key: 'junk', value: Buffer.from('not avro') }] });
    await raw.disconnect();

    const groupId = `${run}.transport`;
    app = await NestFactory.createMicroservice(PageViewModule, {
      logger: ['error'],
      strategy: new KafkaEventTransport({
        kafka: config.kafka,
        registry,
        topics: config.topics,
        groupId,
        service: 'transport-test',
        fromBeginning: true,
        retry: { initialMs: 10, maxMs: 50 },
      }),
    });
    app.useGlobalFilters(new KeepHandlerErrors());
    await app.listen();
    await within(allHandled.promise, 60_000, `handled ${seen.length} records`);
    const letters = await readDeadLetters(2);
    await app.close();
    app = undefined;

    // Each record once, in offset order; the flaky one twice, its second time a retry.
    const ids = Array.from({ length: 50 }, (_, i) => `${run}-${i}`);
    expect(seen.map((s) => s.id)).toEqual([...ids.slice(0, 21), ...ids.slice(20)]);
    expect(seen[21]).toEqual({ id: `${run}-20`, attempt: 2 });
    expect([...types]).toEqual(['page_view']);

    const reasons = letters.map((m) => m.headers?.[DLQ_HEADERS.errorMessage]?.toString());
    expect(reasons[0]).toBe(`refused by the handler: ${run}-30`);
    expect(letters[0]?.headers?.[DLQ_HEADERS.sourceOffset]?.toString()).toBe('30');
    expect(letters[1]?.value?.toString()).toBe('not avro');
    expect(letters[1]?.headers?.[DLQ_HEADERS.sourceOffset]?.toString()).toBe('50');

    const offsets = kafka.admin();
    await offsets.connect();
    try {
      const [committed] = await offsets.fetchOffsets({ groupId, topics: [topic] });
      expect(committed?.partitions).toEqual([
        expect.objectContaining({ partition: 0, offset: '51' }),
      ]);
    } finally {
      await offsets.disconnect();
    }
  });
});
