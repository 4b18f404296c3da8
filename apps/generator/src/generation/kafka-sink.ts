import type { PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import {
  compressionCodec,
  createKafka,
  ensureTopicsExist,
  EventProducer,
  silentSink,
  type Kafka,
  type KafkaLogSink,
  type ProduceMetrics,
} from '@platform/messaging';
import { SchemaRegistryClient } from '@platform/schema-registry';
import type { StreamedEvent } from '@platform/synthetic';
import type { EventSink } from './event-sink';

export interface KafkaSinkOptions {
  readonly config: PlatformConfig;
  /** Default `schema_registry.url` of the config. */
  readonly registryUrl?: string;
  readonly clientId?: string;
  readonly metrics?: ProduceMetrics;
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

  private constructor(
    readonly kafka: Kafka,
    private readonly producer: EventProducer,
    /** Event type → topic. */
    readonly topics: Readonly<Record<string, string>>,
  ) {}

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
    const producer = new EventProducer({
      kafka,
      model: config.model,
      prefixes: config.topics,
      registry,
      clientId: options.clientId ?? 'generator',
      compression: compressionCodec(config.kafka),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    });
    await producer.start();
    return new KafkaSink(kafka, producer, topics);
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
