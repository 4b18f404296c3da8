import { dlqTopic, type TopicPrefixes } from '@platform/contracts';
import { MessagingError, toMessagingError } from './messaging.error';
import { TopicAdmin, type TopicDefaults } from './topic-admin';
import { createIdempotentProducer } from './transaction';
import { sendInRequests } from './produce-requests';
import type { KafkaClient, KafkaProducer, OutgoingMessage, RecordHeaders } from './kafka-port';

/** Header names a dead letter carries (documented in the README). */
export const DLQ_HEADERS = Object.freeze({
  errorCode: 'dlq.error.code',
  errorMessage: 'dlq.error.message',
  errorRetriable: 'dlq.error.retriable',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  timestamp: 'dlq.timestamp',
  service: 'dlq.service',
});

/** Header values are capped so one huge error message cannot make the record too large. */
export const DLQ_MESSAGE_MAX_CHARS = 4_000;

/** A record that could not be processed, with where it came from and why. */
export interface DeadLetter {
  /** The original key and value bytes, unchanged. */
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The original record's headers; kept, with the `dlq.*` headers added. */
  readonly headers?: RecordHeaders;
  readonly source: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
  };
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly retriable: boolean;
  };
}

/** Where a consumer puts what it cannot process. `DeadLetterPublisher` is the Kafka one. */
export interface DeadLetterSink {
  publish(letters: readonly DeadLetter[]): Promise<void>;
}

/** Original headers plus the `dlq.*` ones (which win over any of the same name). Pure. */
export function deadLetterHeaders(letter: DeadLetter, service: string, now: Date): RecordHeaders {
  const message =
    letter.error.message.length > DLQ_MESSAGE_MAX_CHARS
      ? `${letter.error.message.slice(0, DLQ_MESSAGE_MAX_CHARS - 1)}…`
      : letter.error.message;
  return {
    ...(letter.headers ?? {}),
    [DLQ_HEADERS.errorCode]: letter.error.code,
    [DLQ_HEADERS.errorMessage]: message,
    [DLQ_HEADERS.errorRetriable]: String(letter.error.retriable),
    [DLQ_HEADERS.sourceTopic]: letter.source.topic,
    [DLQ_HEADERS.sourcePartition]: String(letter.source.partition),
    [DLQ_HEADERS.sourceOffset]: letter.source.offset,
    [DLQ_HEADERS.timestamp]: now.toISOString(),
    [DLQ_HEADERS.service]: service,
  };
}

/** The Kafka message of a dead letter: original bytes, original key (so it lands beside its kin). */
export function toDeadLetterMessage(
  letter: DeadLetter,
  service: string,
  now: Date,
): OutgoingMessage {
  return {
    key: letter.key,
    value: letter.value,
    headers: deadLetterHeaders(letter, service, now),
  };
}

export interface DeadLetterPublisherOptions {
  readonly kafka: Pick<KafkaClient, 'producer' | 'admin'>;
  /** The service name: letters go to `<prefixes.dlq>.<service>`. */
  readonly service: string;
  readonly prefixes: TopicPrefixes;
  /** Used when the topic has to be created. Default 1 partition, replication factor 1. */
  readonly topicDefaults?: TopicDefaults;
  readonly clock?: () => Date;
}

/**
 * Writes dead letters to `dlq.<service>` through its own idempotent producer, acks=all.
 * `start()` creates the topic if it is missing; `publish` resolves once Kafka has them.
 */
export class DeadLetterPublisher implements DeadLetterSink {
  readonly topic: string;
  private readonly producer: KafkaProducer;
  private readonly options: DeadLetterPublisherOptions;
  private started = false;

  constructor(options: DeadLetterPublisherOptions) {
    this.options = options;
    this.topic = dlqTopic(options.prefixes, options.service);
    this.producer = createIdempotentProducer(options.kafka);
  }

  async start(): Promise<void> {
    const admin = new TopicAdmin(this.options.kafka);
    await admin.connect();
    try {
      await admin.ensureTopics(
        [{ name: this.topic, purpose: 'dlq', cleanupPolicy: 'delete' }],
        this.options.topicDefaults ?? { partitions: 1, replicationFactor: 1 },
      );
    } finally {
      await admin.disconnect();
    }
    try {
      await this.producer.connect();
    } catch (e) {
      throw toMessagingError(e, `dead-letter producer connect (${this.topic})`);
    }
    this.started = true;
  }

  async publish(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.started) {
      throw new MessagingError('NOT_STARTED', 'DeadLetterPublisher.publish before start()', {
        retriable: false,
      });
    }
    const now = (this.options.clock ?? (() => new Date()))();
    const messages = letters.map((l) => toDeadLetterMessage(l, this.options.service, now));
    try {
      // A whole batch of dead letters can pass the broker's 1 MiB record batch limit.
      await sendInRequests(this.producer, new Map([[this.topic, messages]]));
    } catch (e) {
      throw toMessagingError(e, `dead letters to ${this.topic}`);
    }
  }

  async close(): Promise<void> {
    this.started = false;
    await this.producer.disconnect();
  }
}
