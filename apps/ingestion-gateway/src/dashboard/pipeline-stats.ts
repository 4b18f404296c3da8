import {
  aggregateTopic,
  dlqTopic,
  eventTopic,
  lateTopic,
  type DomainModel,
} from '@platform/contracts';
import type { TopicPrefixes } from '@platform/config';

/** What `GET /v1/stats` answers: counts the dashboard turns into rates, and lag per service. */
export interface PipelineStats {
  /** When the offsets were read, epoch ms. */
  readonly at: number;
  /** Per event type: records on its topic (in) and records the sink writer committed (out). */
  readonly event_types: readonly {
    readonly name: string;
    readonly topic: string;
    readonly in: number;
    readonly out: number;
  }[];
  /** Per aggregation: result records on its topic. */
  readonly aggregations: readonly {
    readonly name: string;
    readonly topic: string;
    readonly records: number;
  }[];
  /** Events that came after their window closed, per late topic. */
  readonly late: readonly { readonly topic: string; readonly records: number }[];
  /** Records a service could not process, per dead-letter topic. */
  readonly dead_letters: readonly { readonly topic: string; readonly records: number }[];
  /** Records not yet committed, per service's consumer group. */
  readonly consumers: readonly {
    readonly service: string;
    readonly group: string;
    readonly lag: number;
  }[];
}

/** Partition → offset, of one topic. */
export type PartitionOffsets = ReadonlyMap<number, { readonly low: bigint; readonly high: bigint }>;

/** The reads the stats need; the gateway's Kafka admin provides them. */
export interface OffsetReader {
  /** Low and high watermark per partition; an empty map for a topic that does not exist. */
  topicOffsets(topic: string): Promise<PartitionOffsets>;
  /** Committed offsets of a group, topic → partition → offset (absent: none committed). */
  committed(groupId: string): Promise<ReadonlyMap<string, ReadonlyMap<number, bigint>>>;
}

/** The consumer groups of the run's services, from its namespace. */
export interface ServiceGroups {
  readonly sinkWriter: string;
  readonly aggregator: string;
  readonly subscriptions: string;
}

const DEAD_LETTER_SERVICES = ['ingestion-gateway', 'aggregator', 'sink-writer'] as const;

/** Reads every figure of {@link PipelineStats} through `reader`. */
export async function readPipelineStats(
  model: DomainModel,
  prefixes: TopicPrefixes,
  groups: ServiceGroups,
  reader: OffsetReader,
  now: () => number = Date.now,
): Promise<PipelineStats> {
  const cache = new Map<string, Promise<PartitionOffsets>>();
  const offsets = (topic: string): Promise<PartitionOffsets> => {
    let found = cache.get(topic);
    if (found === undefined) {
      found = reader.topicOffsets(topic);
      cache.set(topic, found);
    }
    return found;
  };
  const records = async (topic: string): Promise<number> => {
    let total = 0n;
    for (const { low, high } of (await offsets(topic)).values()) total += high - low;
    return Number(total);
  };
  const [sinkWriter, aggregator, subscriptions] = await Promise.all([
    reader.committed(groups.sinkWriter),
    reader.committed(groups.aggregator),
    reader.committed(groups.subscriptions),
  ]);
  /** Records of `topic` committed by a group: from each partition's start to its offset. */
  const done = async (
    committed: ReadonlyMap<string, ReadonlyMap<number, bigint>>,
    topic: string,
  ): Promise<number> => {
    let total = 0n;
    for (const [partition, { low, high }] of await offsets(topic)) {
      const at = committed.get(topic)?.get(partition);
      if (at !== undefined && at > low) total += (at < high ? at : high) - low;
    }
    return Number(total);
  };
  const lag = async (
    committed: ReadonlyMap<string, ReadonlyMap<number, bigint>>,
  ): Promise<number> => {
    let total = 0n;
    for (const [topic, partitions] of committed) {
      for (const [partition, { low, high }] of await offsets(topic)) {
        const at = partitions.get(partition);
        const from = at === undefined || at < low ? low : at;
        if (high > from) total += high - from;
      }
    }
    return Number(total);
  };

  const eventTypes = await Promise.all(
    model.eventTypes.map(async (e) => {
      const topic = eventTopic(prefixes, e.name);
      return { name: e.name, topic, in: await records(topic), out: await done(sinkWriter, topic) };
    }),
  );
  const aggregations = await Promise.all(
    model.aggregations.map(async (a) => {
      const topic = aggregateTopic(prefixes, a.name);
      return { name: a.name, topic, records: await records(topic) };
    }),
  );
  const late = await Promise.all(
    model.eventTypes.map(async (e) => {
      const topic = lateTopic(prefixes, e.name);
      return { topic, records: await records(topic) };
    }),
  );
  const deadLetters = await Promise.all(
    DEAD_LETTER_SERVICES.map(async (service) => {
      const topic = dlqTopic(prefixes, service);
      return { topic, records: await records(topic) };
    }),
  );
  const consumers = [
    { service: 'aggregator', group: groups.aggregator, lag: await lag(aggregator) },
    { service: 'sink-writer', group: groups.sinkWriter, lag: await lag(sinkWriter) },
    {
      service: 'ingestion-gateway (subscriptions)',
      group: groups.subscriptions,
      lag: await lag(subscriptions),
    },
  ];
  return {
    at: now(),
    event_types: eventTypes,
    aggregations,
    late,
    dead_letters: deadLetters,
    consumers,
  };
}
