// Shared by this lib's *.int-spec.ts files only; not part of the public door.
import { randomUUID } from 'node:crypto';
import { load, type KafkaSettings } from '@platform/config';
import type { TopicSpec } from '@platform/contracts';
import type { ConsumedMessage, KafkaClient } from '../lib/kafka-port';
import { createKafka } from '../lib/kafka-client';
import { jsonLineSink } from '../lib/kafka-logger';

/** Kafka settings exactly as a service gets them: the `test` environment of config/. */
export async function intKafkaSettings(): Promise<KafkaSettings> {
  return (await load({ environment: 'test' })).kafka;
}

/** A name no other test (or earlier run) uses: `<prefix>.<uuid>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 12)}`;
}

export function intKafka(settings: KafkaSettings, clientId: string): KafkaClient {
  // Errors only: rebalance chatter at info level would drown the test output.
  return createKafka(settings, { clientId, logLevel: 'error', logger: jsonLineSink() });
}

export function eventsTopic(name: string, partitions?: number): TopicSpec {
  return {
    name,
    purpose: 'events',
    cleanupPolicy: 'delete',
    ...(partitions === undefined ? {} : { partitions }),
  };
}

/** A promise with its resolvers, for "done" conditions reached inside consumer callbacks. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Fails with `message` if `promise` has not settled within `ms`; the timer never outlives it. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The first `n` records of `topic` from its start, each with the partition it was read from,
 * through a throwaway group; fails after 60 s with how many arrived.
 */
export async function readFromStart(
  kafka: KafkaClient,
  topic: string,
  n: number,
): Promise<(ConsumedMessage & { partition: number })[]> {
  const got: (ConsumedMessage & { partition: number })[] = [];
  const done = deferred<void>();
  const consumer = kafka.consumer({ groupId: uniqueName('it.reader') });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) got.push({ ...m, partition: batch.partition });
      if (got.length >= n) done.resolve();
    },
  });
  try {
    await within(done.promise, 60_000, `read ${got.length}/${n} from ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** A group's committed offset and the end (high-water) offset of each partition of `topic`. */
export async function committedAndEnds(
  kafka: KafkaClient,
  groupId: string,
  topic: string,
): Promise<{ committed: { partition: number; offset: string }[]; ends: Map<number, string> }> {
  const raw = kafka.admin();
  await raw.connect();
  try {
    const [committed] = await raw.fetchOffsets({ groupId, topics: [topic] });
    const ends = await raw.fetchTopicOffsets(topic);
    return {
      committed: committed?.partitions ?? [],
      ends: new Map(ends.map((e) => [e.partition, e.high])),
    };
  } finally {
    await raw.disconnect();
  }
}
