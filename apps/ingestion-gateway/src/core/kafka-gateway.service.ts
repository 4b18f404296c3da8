import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import {
  compressionCodec,
  DeadLetterPublisher,
  ensureTopicsExist,
  EventProducer,
  kafkaIndicator,
  topicDefaults,
  type KafkaClient,
} from '@platform/messaging';
import { assertReachable, PlatformMetrics, ReadinessRegistry } from '@platform/observability';
import { SchemaRegistryClient } from '@platform/schema-registry';
import type { BadRow } from '../events/bad-row';
import { GATEWAY_KAFKA } from './tokens';

export const GATEWAY_SERVICE = 'ingestion-gateway';

/**
 * Owns the gateway's Kafka side: the schema registry client, the idempotent Avro
 * `EventProducer` (acks=all) and the dead-letter publisher of `dlq.ingestion-gateway`.
 * Connects at start-up (a broker or registry down fails the boot); closes after the drain.
 */
@Injectable()
export class KafkaGatewayService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaGatewayService.name);
  readonly registry: SchemaRegistryClient;
  readonly producer: EventProducer;
  readonly deadLetters: DeadLetterPublisher;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(GATEWAY_KAFKA) readonly kafka: KafkaClient,
    metrics: PlatformMetrics,
    private readonly readiness: ReadinessRegistry,
  ) {
    this.registry = new SchemaRegistryClient({ url: config.schema_registry.url });
    this.producer = new EventProducer({
      kafka,
      model: config.model,
      prefixes: config.topics,
      registry: this.registry,
      clientId: GATEWAY_SERVICE,
      compression: compressionCodec(config.kafka),
      metrics: {
        settled: (type, ok, seconds) => metrics.produceSettled(type, ok, seconds),
      },
    });
    this.deadLetters = new DeadLetterPublisher({
      kafka,
      service: GATEWAY_SERVICE,
      prefixes: config.topics,
      topicDefaults: topicDefaults(config.kafka),
    });
  }

  async onModuleInit(): Promise<void> {
    // Fail at once, naming the brokers and why, rather than after the client's retries.
    await assertReachable(
      'Kafka',
      this.config.kafka.brokers,
      this.config.kafka.connection_timeout_ms,
    );
    const { created } = await ensureTopicsExist(
      this.kafka,
      this.config.model.eventTypes.map((e) => ({
        name: eventTopic(this.config.topics, e.name),
        purpose: 'events' as const,
        cleanupPolicy: 'delete' as const,
      })),
      this.config.kafka,
    );
    if (created.length > 0) this.logger.log({ event: 'topics_created', topics: created });
    await this.producer.start();
    await this.deadLetters.start();
    this.readiness.register(kafkaIndicator(this.kafka));
    this.logger.log({ event: 'kafka_ready', dlq: this.deadLetters.topic });
  }

  /**
   * Writes bad rows to the dead-letter topic, keyed by event type, with `dlq.*` headers. Each
   * row is bounded (see `buildBadRow`), and the publisher sends them in requests the broker
   * takes however many there are.
   */
  async publishBadRows(rows: readonly BadRow[]): Promise<void> {
    const letters = rows.map((row) => ({
      key: row.data.event_type === null ? null : Buffer.from(row.data.event_type),
      value: Buffer.from(JSON.stringify(row)),
      headers: { 'content-type': 'application/json', 'bad_row.schema': row.schema },
      source: { topic: 'http', partition: -1, offset: '-1' },
      error: {
        code: 'SCHEMA_VIOLATION',
        message: row.data.failures
          .slice(0, 10)
          .map((f) => `${f.field}: ${f.reason}`)
          .join('; '),
        retriable: false,
      },
    }));
    await this.deadLetters.publish(letters);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer
      .close()
      .catch((e: unknown) =>
        this.logger.warn({ event: 'producer_close_failed', error: String(e) }),
      );
    await this.deadLetters.close().catch(() => undefined);
  }
}
