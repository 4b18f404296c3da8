import { groupMessagesPerPartition } from './group-messages';

// kafkajs' own, read from its source file: the replacement must group exactly as it does.
const original =
  require('kafkajs/src/producer/groupMessagesPerPartition.js') as typeof groupMessagesPerPartition;

describe('groupMessagesPerPartition', () => {
  const partitionMetadata = [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }];
  const messages = Array.from({ length: 500 }, (_, i) => ({
    key: `k${(i * 7919) % 13}`,
    value: String(i),
  }));
  const partitioner = ({ message }: { message: { key: string } }) =>
    Number(message.key.slice(1)) % 3;

  it('groups as kafkajs does: the same partitions, each in send order', () => {
    const args = { topic: 't', partitionMetadata, messages, partitioner };
    const ours = groupMessagesPerPartition(args);
    expect(ours).toEqual(original(args));
    expect(Object.keys(ours).sort()).toEqual(['0', '1', '2']);
    expect(ours[1]?.map((m) => Number(m.value))).toEqual(
      messages.filter((m) => partitioner({ message: m }) === 1).map((m) => Number(m.value)),
    );
  });

  it('groups nothing when the topic has no partition metadata yet', () => {
    const args = { topic: 't', partitionMetadata: [], messages, partitioner };
    expect(groupMessagesPerPartition(args)).toEqual({});
    expect(original(args)).toEqual({});
  });
});
