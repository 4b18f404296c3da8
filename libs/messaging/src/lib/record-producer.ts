import {
  Compression,
  type KafkaClient,
  type KafkaProducer,
  type OutgoingMessage,
} from './kafka-port';
import { createIdempotentProducer } from './transaction';

/** One record as the producer port takes it: key, value and headers already encoded. */
export interface ProducerRecord {
  readonly key: string | Buffer | null;
  readonly value: Buffer;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * The producer port: an idempotent producer (acks=all) that sends batches of encoded records,
 * by topic. `EventProducer` writes through it; the adapters are kafkajs (the default, see
 * `kafkajsRecordProducer`) and librdkafka (`RdkafkaRecordProducer`).
 */
export interface RecordProducer {
  /** Which client it is (for logs and benchmarks). */
  readonly client: ProducerClient;
  /**
   * Messages per topic per `send` that suit this client (the `EventProducer` default for
   * `maxBatchSize`).
   */
  readonly preferredBatchSize: number;
  /**
   * How long a queued message waits for others before a `send` (the `EventProducer` default
   * for `lingerMs`): 0 where the client lingers by itself.
   */
  readonly preferredLingerMs: number;
  /**
   * How many `send`s may be in flight at once. 1 for kafkajs (a retried request could be
   * overtaken by a later one). More where `send` hands its records to the client before its
   * first await and the client keeps their order through retries.
   */
  readonly maxConcurrentSends: number;
  connect(): Promise<void>;
  /**
   * Sends the records, in order per topic; resolves when Kafka acknowledged every one of
   * them (acks=all), rejects when any failed (or may have: a failure is never missed).
   */
  send(batches: ReadonlyMap<string, readonly ProducerRecord[]>): Promise<void>;
  disconnect(): Promise<void>;
}

/** The Kafka clients a producer can run on. */
export type ProducerClient = 'kafkajs' | 'librdkafka';

export const PRODUCER_CLIENTS: readonly ProducerClient[] = ['kafkajs', 'librdkafka'];

/** The kafkajs adapter of the producer port: `createIdempotentProducer` and `sendBatch`. */
export function kafkajsRecordProducer(
  kafka: Pick<KafkaClient, 'producer'>,
  compression: Compression = Compression.None,
): RecordProducer {
  const producer: KafkaProducer = createIdempotentProducer(kafka);
  return {
    client: 'kafkajs',
    preferredBatchSize: 2000,
    preferredLingerMs: 5,
    maxConcurrentSends: 1,
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(batches) {
      const topicMessages = [...batches].map(([topic, messages]) => ({
        topic,
        // A ProducerRecord is an OutgoingMessage already: no copy per record.
        messages: messages as OutgoingMessage[],
      }));
      await producer.sendBatch({ topicMessages, acks: -1, compression });
    },
  };
}
