import type { KafkaAdmin } from './kafka-port';

// How far a consumer group has committed: its lag, and the ends a bounded run stops at.

/** Records not yet committed by `groupId` across `topics` (high watermark − committed offset). */
export async function consumerLag(
  admin: Pick<KafkaAdmin, 'fetchTopicOffsets' | 'fetchOffsets'>,
  groupId: string,
  topics: readonly string[],
): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const byTopic = new Map(
    committed.map((t) => [t.topic, new Map(t.partitions.map((p) => [p.partition, p.offset]))]),
  );
  let lag = 0n;
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const p of ends) {
      const done = byTopic.get(topic)?.get(p.partition);
      const from = done === undefined || done === '-1' ? BigInt(p.low) : BigInt(done);
      const left = BigInt(p.high) - from;
      if (left > 0n) lag += left;
    }
  }
  return Number(lag);
}

/** Topic → partition → high watermark: where `run-once` stops. */
export type EndOffsets = ReadonlyMap<string, ReadonlyMap<number, string>>;

/** The high watermark of every partition of `topics` that holds records now. */
export async function endOffsets(
  admin: Pick<KafkaAdmin, 'fetchTopicOffsets'>,
  topics: readonly string[],
): Promise<EndOffsets> {
  const ends = new Map<string, Map<number, string>>();
  for (const topic of topics) {
    const partitions = await admin.fetchTopicOffsets(topic);
    const holding = partitions.filter((p) => BigInt(p.high) > BigInt(p.low));
    ends.set(topic, new Map(holding.map((p) => [p.partition, p.high])));
  }
  return ends;
}

/** Partitions whose committed offset is still below the end captured at start, as `topic[p]`. */
export async function partitionsBehind(
  admin: Pick<KafkaAdmin, 'fetchOffsets'>,
  groupId: string,
  ends: EndOffsets,
): Promise<string[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...ends.keys()] });
  const byTopic = new Map(
    committed.map((t) => [t.topic, new Map(t.partitions.map((p) => [p.partition, p.offset]))]),
  );
  const behind: string[] = [];
  for (const [topic, partitions] of ends) {
    for (const [partition, end] of partitions) {
      const done = byTopic.get(topic)?.get(partition);
      if (done === undefined || done === '-1' || BigInt(done) < BigInt(end)) {
        behind.push(`${topic}[${partition}]`);
      }
    }
  }
  return behind;
}
