import { DEFAULT_TOPIC_PREFIXES } from '@platform/contracts';
import { ecommerceModel } from '../testing/ecommerce-model';
import { readPipelineStats, type OffsetReader, type PartitionOffsets } from './pipeline-stats';

const offsets = (...partitions: [number, number][]): PartitionOffsets =>
  new Map(partitions.map(([low, high], p) => [p, { low: BigInt(low), high: BigInt(high) }]));

describe(readPipelineStats.name, () => {
  const topics: Record<string, PartitionOffsets> = {
    'events.page_view': offsets([0, 100], [10, 60]),
    'events.purchase': offsets([0, 5]),
    'aggregates.page_views_per_minute': offsets([0, 7]),
    'late.page_view': offsets([0, 3]),
    'dlq.sink-writer': offsets([0, 2]),
    'aggregator.page_views_per_minute.repartition': offsets([0, 40]),
  };
  const committed: Record<string, Record<string, Record<number, bigint>>> = {
    'sink-writer': { 'events.page_view': { 0: 90n, 1: 60n }, 'events.purchase': {} },
    aggregator: {
      'events.page_view': { 0: 100n, 1: 60n },
      'aggregator.page_views_per_minute.repartition': { 0: 30n },
    },
  };
  const reader: OffsetReader = {
    topicOffsets: (topic) => Promise.resolve(topics[topic] ?? new Map()),
    committed: (group) =>
      Promise.resolve(
        new Map(
          Object.entries(committed[group] ?? {}).map(([topic, parts]) => [
            topic,
            new Map(Object.entries(parts).map(([p, o]) => [Number(p), o])),
          ]),
        ),
      ),
  };

  it('counts records in and out per type, per output topic, and lag per group', async () => {
    const stats = await readPipelineStats(
      ecommerceModel(),
      DEFAULT_TOPIC_PREFIXES,
      { sinkWriter: 'sink-writer', aggregator: 'aggregator', subscriptions: 'subs' },
      reader,
      () => 42,
    );
    expect(stats.at).toBe(42);
    expect(stats.event_types.find((e) => e.name === 'page_view')).toEqual({
      name: 'page_view',
      topic: 'events.page_view',
      in: 150,
      out: 140,
    });
    expect(stats.event_types.find((e) => e.name === 'purchase')).toMatchObject({ in: 5, out: 0 });
    expect(stats.aggregations.find((a) => a.name === 'page_views_per_minute')?.records).toBe(7);
    expect(stats.late.find((l) => l.topic === 'late.page_view')?.records).toBe(3);
    expect(stats.dead_letters.find((d) => d.topic === 'dlq.sink-writer')?.records).toBe(2);
    expect(stats.consumers).toEqual([
      { service: 'aggregator', group: 'aggregator', lag: 10 },
      // purchase: nothing committed yet, so all 5 records are behind.
      { service: 'sink-writer', group: 'sink-writer', lag: 15 },
      { service: 'ingestion-gateway (subscriptions)', group: 'subs', lag: 0 },
    ]);
  });
});
