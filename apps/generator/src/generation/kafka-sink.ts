import type { PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import {
  compressionCodec,
  createKafka,
  ensureTopicsExist,
  EventProducer,
  RdkafkaRecordProducer,
  silentSink,
  type KafkaClient,
  type KafkaLogSink,
  type ProduceMetrics,
  type ProducerClient,
} from '@platform/messaging';
import { SchemaRegistryClient } from '@platform/schema-registry';
import type { StreamedEvent } from '@platform/synthetic';
import type { EventSink } from './event-sink';

/** Unacknowledged events the generator keeps on librdkafka. */
export const LIBRDKAFKA_MAX_IN_FLIGHT = 5_000;

export interface KafkaSinkOptions {
  readonly config: PlatformConfig;
  /** Default `schema_registry.url` of the config. */
  readonly registryUrl?: string;
  readonly clientId?: string;
  readonly metrics?: ProduceMetrics;
  /**
   * The producer's Kafka client: kafkajs (default) or librdkafka, which sends several times
   * faster (docs/adr/0015-librdkafka-producer.md). Topics are created through kafkajs either way.
   */
  readonly client?: ProducerClient;
  /** kafkajs log records; default silent (the CLI owns the terminal). */
  readonly logger?: KafkaLogSink;
}

/**
 * Events to `<topics.events>.<type>` through `EventProducer` (Avro, Confluent wire format,
 * schemas registered at start). Creates the event topics it writes to if they are missing,
 * with `kafka.default_partitions` and `kafka.replication_factor`.
 */
export class KafkaSink implements EventSink {
  readonly name = 'kafka';
  /**
   * librdkafka sends what it is handed at once, so a few flush round trips' worth keeps it
   * busy; kafkajs sends one request at a time and wants the loop's default.
   */
  readonly maxInFlight: number | undefined;

  private constructor(
    readonly kafka: KafkaClient,
    private readonly producer: EventProducer,
    /** Event type → topic. */
    readonly topics: Readonly<Record<string, string>>,
    client: ProducerClient,
  ) {
    this.maxInFlight = client === 'librdkafka' ? LIBRDKAFKA_MAX_IN_FLIGHT : undefined;
  }

  static async open(options: KafkaSinkOptions): Promise<KafkaSink> {
    const { config } = options;
    const kafka = createKafka(config.kafka, {
      clientId: options.clientId ?? 'generator',
      logLevel: 'error',
      logger: options.logger ?? silentSink,
    });
    const topics = Object.fromEntries(
      config.model.eventTypes.map((t) => [t.name, eventTopic(config.topics, t.name)]),
    );
    await ensureTopicsExist(
      kafka,
      Object.values(topics).map((name) => ({ name, purpose: 'events', cleanupPolicy: 'delete' })),
      config.kafka,
    );
    const registry = new SchemaRegistryClient({
      url: options.registryUrl ?? config.schema_registry.url,
    });
    const clientId = options.clientId ?? 'generator';
    const producer = new EventProducer({
      kafka,
      ...(options.client === 'librdkafka'
        ? { recordProducer: new RdkafkaRecordProducer(config.kafka, { clientId }) }
        : {}),
      model: config.model,
      prefixes: config.topics,
      registry,
      clientId,
      compression: compressionCodec(config.kafka),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    });
    await producer.start();
    return new KafkaSink(kafka, producer, topics, options.client ?? 'kafkajs');
  }

  send(item: StreamedEvent): Promise<void> {
    return this.producer.send(item.eventType, item.event);
  }

  sendMany(items: readonly StreamedEvent[]): Promise<void> {
    return this.producer.sendMany(items);
  }

  flush(timeoutMs: number): Promise<void> {
    return this.producer.flush(timeoutMs);
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  stats(): { readonly sent: number; readonly errors: number } {
    const { sent, errors } = this.producer.getStats();
    return { sent, errors };
  }
}
