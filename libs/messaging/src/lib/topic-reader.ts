import type { KafkaClient } from './kafka-port';
import { randomUUID } from 'node:crypto';
import { headerText } from './batch-consumer';
import { MessagingError, toMessagingError } from './messaging.error';
import { TopicAdmin } from './topic-admin';

/** One record as read back from a topic: coordinates, key, value and headers as text. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Every record of `topics` from the start of each partition up to its end offset at the time
 * of the call, in offset order per partition. Reads with a throwaway consumer group and never
 * commits, so it leaves no trace in the cluster and can be run any number of times.
 */
export async function readTopicsToEnd(
  kafka: Pick<KafkaClient, 'consumer' | 'admin'>,
  topics: readonly string[],
  options: { readonly timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const remaining = new Map<string, bigint>();
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  try {
    for (const topic of topics) {
      for (const p of await admin.topicOffsets(topic)) {
        if (p.high > p.low) remaining.set(`${topic}:${p.partition}`, p.high);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records: ReadRecord[] = [];
  if (remaining.size === 0) return records;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const consumer = kafka.consumer({ groupId: `topic-reader-${randomUUID()}` });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new MessagingError(
            'KAFKA_REQUEST_TIMEOUT',
            `reading ${topics.join(', ')} to the end took over ${timeoutMs} ms (${records.length} records read)`,
            { retriable: true },
          ),
        );
      }, timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const id = `${topic}:${partition}`;
            const end = remaining.get(id);
            if (end === undefined || BigInt(message.offset) >= end) return;
            records.push({
              topic,
              partition,
              offset: message.offset,
              timestamp: Number(message.timestamp),
              key: message.key,
              value: message.value,
              headers: headerText(message.headers),
            });
            if (BigInt(message.offset) + 1n >= end) remaining.delete(id);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((e: unknown) => {
          clearTimeout(timer);
          reject(e);
        });
    });
  } catch (e) {
    throw toMessagingError(e, `reading ${topics.join(', ')}`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}
