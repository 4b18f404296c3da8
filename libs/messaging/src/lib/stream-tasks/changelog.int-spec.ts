import { load } from '@platform/config';
import type { KafkaAdmin, KafkaClient, KafkaProducer } from '../kafka-port';
import { createKafka } from '../kafka-client';
import { silentSink } from '../kafka-logger';
import { createTransactionalProducer, withTransaction } from '../transaction';
import { uniqueName } from '../../testing/kafka-int.helpers';
import { changelogPartitionKey, readChangelog, RESTORE_MARKER_KEY } from './changelog';

/** Restoring state: the changelog up to this restore's marker, committed writes only. */
describe('readChangelog', () => {
  const topic = uniqueName('it_changelog');
  let kafka: KafkaClient;
  let admin: KafkaAdmin;
  let producer: KafkaProducer;

  const write = (partition: number, records: [string, string | null][]): Promise<void> =>
    withTransaction(producer, async (tx) => {
      await tx.send({
        topic,
        messages: records.map(([key, value]) => ({ key, value, partition })),
      });
    });
  const marker = (value: string): [string, string] => [RESTORE_MARKER_KEY, value];

  beforeAll(async () => {
    kafka = createKafka((await load({ environment: 'test' })).kafka, {
      clientId: 'it-changelog',
      logger: silentSink,
      logLevel: 'nothing',
    });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    producer = createTransactionalProducer(kafka, { transactionalId: uniqueName('it-changelog') });
    await producer.connect();
    await write(0, [['a', '1'], ['b', '2'], marker('an earlier restore'), ['a', '3']]);
    // Aborted: none of it may be restored.
    await withTransaction(producer, async (tx) => {
      await tx.send({ topic, messages: [{ key: 'a', value: '999', partition: 0 }] });
      throw new Error('abort');
    }).catch(() => undefined);
    await write(0, [['b', null], marker('this restore'), ['c', 'after the marker']]);
    await write(1, [['x', '1'], marker('this restore')]);
    await write(2, [['y', '1']]); // never gets this restore's marker
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.deleteTopics({ topics: [topic] });
    await admin?.disconnect();
  });

  it("returns each partition's last committed value per key up to the marker, in order of last write", async () => {
    const groupId = uniqueName('it-changelog-restore');
    const read = await readChangelog(
      kafka,
      admin,
      [
        { topic, partition: 0 },
        { topic, partition: 1 },
      ],
      { marker: 'this restore', groupId, timeoutMs: 30_000 },
    );
    expect([...(read.get(changelogPartitionKey(topic, 0)) ?? [])]).toEqual([
      ['a', '3'],
      ['b', null],
    ]);
    expect([...(read.get(changelogPartitionKey(topic, 1)) ?? [])]).toEqual([['x', '1']]);
    // Its consumer group is gone again.
    const { groups } = await admin.listGroups();
    expect(groups.map((g) => g.groupId)).not.toContain(groupId);
  });

  it('fails, naming how far it got, when a partition never shows the marker', async () => {
    await expect(
      readChangelog(
        kafka,
        admin,
        [
          { topic, partition: 1 },
          { topic, partition: 2 },
        ],
        { marker: 'this restore', groupId: uniqueName('it-changelog-restore'), timeoutMs: 3_000 },
      ),
    ).rejects.toThrow('restore did not reach its marker within 3000 ms (1 of 2 partitions)');
  });
});
