import type { KafkaSettings } from '@platform/config';
import type { KafkaClient, KafkaConsumer, KafkaProducer, RecordMetadata } from './kafka-port';
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

const values = (label: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${label}-${i}`);

describe('kafkajs transactions through the messaging lib', () => {
  let settings: KafkaSettings;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let producer: KafkaProducer;
  const consumers: KafkaConsumer[] = [];
  // One partition, so log order is total and "after the last committed record" is well defined.
  const topic = uniqueName('it.txn');

  const firstCommitted = values('committed-a', 5);
  const aborted = values('aborted', 5);
  const secondCommitted = values('committed-b', 5);
  let abortedMeta: RecordMetadata[] = [];

  /** Reads `topic` from the start until a record with `last` as value arrives. */
  async function readUntil(
    readUncommitted: boolean,
    last: string,
  ): Promise<{ values: string[]; lastOffset: bigint }> {
    const seen: string[] = [];
    let lastOffset = -1n;
    const done = deferred<void>();
    const consumer = kafka.consumer({ groupId: uniqueName('it.txn.group'), readUncommitted });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const m of batch.messages) {
          seen.push(m.value?.toString() ?? '<null>');
          lastOffset = BigInt(m.offset);
          resolveOffset(m.offset);
          if (m.value?.toString() === last) done.resolve();
        }
      },
    });
    await within(done.promise, 60_000, `never saw ${last}; saw ${JSON.stringify(seen)}`);
    await consumer.stop();
    return { values: seen, lastOffset };
  }

  beforeAll(async () => {
    settings = await intKafkaSettings();
    kafka = intKafka(settings, uniqueName('it-txn'));
    admin = new TopicAdmin(kafka);
    await admin.connect();
    await admin.ensureTopics([eventsTopic(topic, 1)], topicDefaults(settings));

    producer = kafka.producer({
      transactionalId: uniqueName('it.txn.id'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();

    const commitA = await producer.transaction();
    await commitA.send({
      topic,
      acks: -1,
      messages: firstCommitted.map((value) => ({ key: 'k', value })),
    });
    await commitA.commit();

    const abort = await producer.transaction();
    abortedMeta = await abort.send({
      topic,
      acks: -1,
      messages: aborted.map((value) => ({ key: 'k', value })),
    });
    await abort.abort();

    // Committed after the abort: reading it proves the consumer has gone past the aborted records.
    const commitB = await producer.transaction();
    await commitB.send({
      topic,
      acks: -1,
      messages: secondCommitted.map((value) => ({ key: 'k', value })),
    });
    await commitB.commit();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect();
    await producer?.disconnect();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('shows a read_committed consumer only the committed records, in order', async () => {
    const last = secondCommitted[secondCommitted.length - 1] as string;
    const { values: seen, lastOffset } = await readUntil(false, last);

    expect(seen).toEqual([...firstCommitted, ...secondCommitted]);
    // The aborted batch sits before the last committed record in the log…
    expect(BigInt(abortedMeta[0]?.baseOffset ?? '-1')).toBeLessThan(lastOffset);
    // …and only the final commit marker follows it, so nothing is left that could still arrive.
    const [offsets] = await admin.topicOffsets(topic);
    expect(offsets?.high).toBe(lastOffset + 2n);
  });

  it('keeps the aborted records in the log, where a read_uncommitted consumer sees them', async () => {
    const last = secondCommitted[secondCommitted.length - 1] as string;
    const { values: seen } = await readUntil(true, last);
    expect(seen).toEqual([...firstCommitted, ...aborted, ...secondCommitted]);
  });
});
