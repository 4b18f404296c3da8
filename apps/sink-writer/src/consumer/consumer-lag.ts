import type { Admin } from '@platform/messaging';

/** Records not yet committed by `groupId` across `topics` (high watermark − committed offset). */
export async function consumerLag(
  admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>,
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
