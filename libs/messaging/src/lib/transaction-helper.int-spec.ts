import type { KafkaSettings } from '@platform/config';
import type { KafkaClient, KafkaProducer } from './kafka-port';
import {
  deferred,
  eventsTopic,
  intKafka,
  intKafkaSettings,
  uniqueName,
  within,
} from '../testing/kafka-int.helpers';
import { topicDefaults } from './domain-topics';
import { TopicAdmin } from './topic-admin';
import { createTransactionalProducer, withTransaction } from './transaction';

describe(withTransaction.name, () => {
  let settings: KafkaSettings;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let producer: KafkaProducer;
  const topic = uniqueName('it.txh');
  const groupId = uniqueName('it.txh.group');

  beforeAll(async () => {
    settings = await intKafkaSettings();
    kafka = intKafka(settings, uniqueName('it-txh'));
    admin = new TopicAdmin(kafka);
    await admin.connect();
    await admin.ensureTopics([eventsTopic(topic, 1)], topicDefaults(settings));
    producer = createTransactionalProducer(kafka, { transactionalId: uniqueName('it.txh.id') });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  async function readCommitted(last: string): Promise<string[]> {
    const seen: string[] = [];
    const done = deferred<void>();
    const consumer = kafka.consumer({
      groupId: uniqueName('it.txh.reader'),
      readUncommitted: false,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value?.toString() ?? '';
        seen.push(v);
        if (v === last) done.resolve();
      },
    });
    try {
      await within(done.promise, 60_000, `never saw ${last}; saw ${JSON.stringify(seen)}`);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  it('commits output and consumed offsets together, and an aborted transaction stays invisible', async () => {
    await withTransaction(producer, async (tx) => {
      await tx.send({ topic, acks: -1, messages: [{ key: 'k', value: 'committed-1' }] });
      await tx.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }],
      });
    });

    const boom = new Error('window engine failed');
    await expect(
      withTransaction(producer, async (tx) => {
        await tx.send({ topic, acks: -1, messages: [{ key: 'k', value: 'aborted-1' }] });
        throw boom;
      }),
    ).rejects.toBe(boom);

    await withTransaction(producer, async (tx) => {
      await tx.send({ topic, acks: -1, messages: [{ key: 'k', value: 'committed-2' }] });
    });

    expect(await readCommitted('committed-2')).toEqual(['committed-1', 'committed-2']);

    const raw = kafka.admin();
    await raw.connect();
    try {
      const [offsets] = await raw.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets?.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
    } finally {
      await raw.disconnect();
    }
  });
});
