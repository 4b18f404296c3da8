import { load } from '@platform/config';
import { eventTopic, type DomainModel, type TopicPrefixes } from '@platform/contracts';
import { restartBroker } from '@platform/testing';
import { jsonLineSink } from './kafka-logger';
import { createKafka } from './kafka-client';
import type { KafkaClient } from './kafka-port';
import {
  committedAndEnds,
  deferred,
  eventsTopic,
  intKafkaSettings,
  uniqueName,
  within,
} from '../testing/kafka-int.helpers';
import { BatchConsumer } from './batch-consumer';
import { topicDefaults } from './domain-topics';
import { EventProducer } from './event-producer';
import { InMemorySchemaRegistrar } from './in-memory-registrar';
import { TopicAdmin } from './topic-admin';

const PER_HALF = 1_000;

/**
 * A consumer whose Kafka client gives up during a broker crash, against the real broker: the
 * restart that `BatchConsumer` owns (kafkajs is told not to restart it itself, so that this
 * path runs every time rather than only after kafkajs' own retries run out).
 */
describe('BatchConsumer across a broker crash (SIGKILL)', () => {
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let model: DomainModel;
  let prefixes: TopicPrefixes;
  let topic: string;

  beforeAll(async () => {
    const settings = await intKafkaSettings();
    const config = await load({ environment: 'test' });
    model = config.model;
    const run = uniqueName('it').replace('.', '');
    prefixes = { ...config.topics, events: `${run}.events`, dlq: `${run}.dlq` };
    topic = eventTopic(prefixes, 'page_view');
    kafka = createKafka(settings, {
      clientId: uniqueName('it-restart'),
      logLevel: 'nothing',
      logger: jsonLineSink(),
      retry: {
        retries: 2,
        initialRetryTime: 100,
        maxRetryTime: 500,
        restartOnFailure: async () => false,
      },
    });
    admin = new TopicAdmin(kafka);
    await admin.connect();
    await admin.ensureTopics([eventsTopic(topic, 3)], topicDefaults(settings));
  });

  afterAll(async () => {
    await admin?.deleteTopics([topic]).catch(() => undefined);
    await admin?.disconnect();
  });

  async function sendHalf(registry: InMemorySchemaRegistrar, from: number): Promise<void> {
    const producer = new EventProducer({ kafka, model, prefixes, registry });
    await producer.start();
    try {
      await producer.sendMany(
        Array.from({ length: PER_HALF }, (_, i) => ({
          eventType: 'page_view',
          event: {
            event_id: `e-${from + i}`,
            timestamp: 1_735_689_600_000 + (from + i) * 1000,
            user_id: `user-${(from + i) % 31}`,
            page_url: `/p/${from + i}`,
            page_title: null,
            referrer: null,
            device_type: 'desktop',
            country: 'US',
          },
        })),
      );
    } finally {
      await producer.close();
    }
  }

  /** Resolves once the group's committed offset equals the end offset of every partition. */
  async function committedToEnd(groupId: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { committed, ends } = await committedAndEnds(kafka, groupId, topic);
      if (
        committed.length === ends.size &&
        committed.every((p) => p.offset === ends.get(p.partition))
      )
        return;
      if (Date.now() > deadline)
        throw new Error(`offsets not committed to the end: ${JSON.stringify(committed)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('starts a new consumer once the broker is back, which reads on from the committed offsets and misses nothing', async () => {
    const registry = new InMemorySchemaRegistrar();
    await sendHalf(registry, 0);
    const seen = new Set<string>();
    const groupId = uniqueName('it.restart');
    const firstHalf = deferred<void>();
    const all = deferred<void>();
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      fromBeginning: true,
      registry,
      deadLetters: { publish: async () => undefined },
      restartBackoff: { initialMs: 300, maxMs: 2_000 },
      handleBatch: async (records) => {
        for (const r of records) seen.add((r.value as { event_id: string }).event_id);
        if (seen.size >= PER_HALF) firstHalf.resolve();
        if (seen.size >= 2 * PER_HALF) all.resolve();
      },
    });
    await consumer.start();
    try {
      await within(firstHalf.promise, 60_000, `first half: ${seen.size}/${PER_HALF}`);
      expect(consumer.lastCrash()).toBeUndefined();

      await restartBroker('SIGKILL');
      await sendHalf(registry, PER_HALF);
      await within(all.promise, 120_000, `after the crash: ${seen.size}/${2 * PER_HALF}`);

      // The client crashed and left the restart to BatchConsumer, which started it again.
      expect(consumer.lastCrash()).toBeDefined();
      expect([...seen].sort()).toEqual(
        Array.from({ length: 2 * PER_HALF }, (_, i) => `e-${i}`).sort(),
      );
      // The new consumer commits what it handles: the group's offsets reach the end of the log.
      await committedToEnd(groupId, 30_000);
    } finally {
      await consumer.stop();
    }
  });
});
