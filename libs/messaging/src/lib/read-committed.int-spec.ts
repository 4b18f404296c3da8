import type { KafkaSettings } from '@platform/config';
import type { KafkaClient, KafkaProducer, KafkaTransaction } from './kafka-port';
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

/**
 * What a killed transactional writer leaves behind: several transactions interleaved in one
 * partition, aborted once the writers are fenced, beside one that commits. A read_committed
 * consumer whose fetches start inside them (small fetches here; large transactions in real
 * life) must see the committed records only. kafkajs' own filter hands it most of the records
 * of all but the first aborted transaction (30 of 90 with these figures).
 */
describe('read_committed across interleaved aborted transactions', () => {
  const topic = uniqueName('it.read-committed');
  const ROUNDS = 30;
  let settings: KafkaSettings;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  const producers: KafkaProducer[] = [];

  beforeAll(async () => {
    settings = await intKafkaSettings();
    kafka = intKafka(settings, uniqueName('it-read-committed'));
    admin = new TopicAdmin(kafka);
    await admin.connect();
    await admin.ensureTopics([eventsTopic(topic, 1)], topicDefaults(settings));
    for (let i = 0; i < 4; i++) {
      const producer = kafka.producer({
        transactionalId: uniqueName(`it.read-committed.tx${i}`),
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      producers.push(producer);
    }
    const transactions: KafkaTransaction[] = [];
    for (const producer of producers) transactions.push(await producer.transaction());
    // One record per request: each is its own record batch, interleaved with the others.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, tx] of transactions.entries()) {
        const value = i === 3 ? `committed-${round}` : `aborted-${i}-${round}`;
        await tx.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
      }
    }
    for (const [i, tx] of transactions.entries()) await (i === 3 ? tx.commit() : tx.abort());
  });

  afterAll(async () => {
    for (const producer of producers) await producer.disconnect();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it.each([
    ['fetches far smaller than the transactions', 300],
    ['one fetch for everything', 1_048_576],
  ])('delivers exactly the committed records, in order (%s)', async (_, maxBytes) => {
    const seen: string[] = [];
    const done = deferred<void>();
    const last = `committed-${ROUNDS - 1}`;
    const consumer = kafka.consumer({
      groupId: uniqueName('it.read-committed.group'),
      readUncommitted: false,
      maxBytesPerPartition: maxBytes,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            seen.push(m.value?.toString() ?? '<null>');
            if (m.value?.toString() === last) done.resolve();
          }
        },
      });
      await within(done.promise, 60_000, `never saw ${last}; saw ${JSON.stringify(seen)}`);
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(Array.from({ length: ROUNDS }, (_, round) => `committed-${round}`));
  });
});
