import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import { eventTopic, subscriptionTopic } from '@platform/contracts';
import {
  BatchConsumer,
  createIdempotentProducer,
  ensureTopicsExist,
  MessagingError,
  sendInRequests,
  type DeadLetterSink,
  type DecodedRecord,
  type KafkaClient,
  type KafkaProducer,
} from '@platform/messaging';
import { indicator, ReadinessRegistry } from '@platform/observability';
import { generateAllSchemas, type SchemaLookup } from '@platform/schema-registry';
import { randomBytes } from 'node:crypto';
import type { GatewaySettings } from '../config/gateway-settings';
import { GatewayMetrics } from '../core/gateway-metrics';
import { KafkaGatewayService } from '../core/kafka-gateway.service';
import { GATEWAY_SETTINGS } from '../core/tokens';
import { GatewayError } from '../http/gateway.error';
import { GatewayDatabase } from '../persistence/gateway-database.service';
import { matchesFilters, type SubscriptionSpec } from './subscription-request';
import type { SubscriptionRecord, SubscriptionStore } from './subscription.store';

/**
 * What the subscriptions need of Kafka: the client (their topics, the consumer group over the
 * event topics, the producer that delivers), the registry records are decoded with, and the
 * dead-letter topic.
 */
export interface SubscriptionsKafka {
  readonly kafka: Pick<KafkaClient, 'admin' | 'consumer' | 'producer'>;
  readonly registry: SchemaLookup;
  readonly deadLetters: DeadLetterSink;
}

/** What they need of PostgreSQL: the subscription store. */
export interface SubscriptionsDatabase {
  readonly subscriptions: Pick<SubscriptionStore, 'create' | 'get' | 'active' | 'delete'>;
}

export interface CreatedSubscription {
  readonly subscription_id: string;
  readonly topic: string;
  /** The Avro schema of the records on the topic: one record schema, or a union of them. */
  readonly schema: unknown;
  readonly event_types: readonly string[];
  readonly filters: SubscriptionSpec['filters'];
  readonly created_at: string;
  readonly value_format: 'avro-confluent';
}

/**
 * Subscriptions: stored in PostgreSQL, delivered by a consumer group over every
 * `events.<type>` topic. A record goes to `subscriptions.<id>` when its type is subscribed,
 * its filters match, and Kafka stamped it at or after the subscription's creation. The
 * record is forwarded byte for byte (Confluent framing, source schema id) with an
 * `event_type` header. Offsets are committed after delivery, so a restart resumes where
 * the group stopped: nothing is lost, a crash may deliver a record twice.
 */
@Injectable()
export class SubscriptionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SubscriptionsService.name);
  private active = new Map<string, SubscriptionRecord>();
  private asOfMs = 0;
  private consumer: BatchConsumer | undefined;
  private producer: Pick<KafkaProducer, 'connect' | 'sendBatch' | 'disconnect'> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly topicToType = new Map<string, string>();

  constructor(
    @Inject(PLATFORM_CONFIG)
    private readonly config: Pick<PlatformConfig, 'model' | 'topics' | 'kafka'>,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    @Inject(GatewayDatabase) private readonly database: SubscriptionsDatabase,
    @Inject(KafkaGatewayService) private readonly kafka: SubscriptionsKafka,
    private readonly metrics: GatewayMetrics,
    @Inject(ReadinessRegistry) private readonly readiness: Pick<ReadinessRegistry, 'register'>,
  ) {
    for (const e of config.model.eventTypes)
      this.topicToType.set(eventTopic(config.topics, e.name), e.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    if (!this.settings.subscriptionsEnabled) return;
    this.producer = createIdempotentProducer(this.kafka.kafka);
    await this.producer.connect();
    this.consumer = new BatchConsumer({
      kafka: this.kafka.kafka,
      groupId: this.settings.subscriptionsGroupId,
      topics: [...this.topicToType.keys()],
      registry: this.kafka.registry,
      deadLetters: this.kafka.deadLetters,
      // A new group starts at the beginning: records older than every subscription are
      // skipped by the timestamp rule, and none produced after one is missed.
      fromBeginning: true,
      handleBatch: (records) => this.deliver(records),
    });
    await this.consumer.start();
    this.refreshTimer = setInterval(() => {
      void this.refresh().catch((e: unknown) =>
        this.logger.warn({ event: 'subscriptions_refresh_failed', error: String(e) }),
      );
    }, this.settings.subscriptionsRefreshMs);
    this.refreshTimer.unref();
    this.readiness.register(
      indicator('subscriptions', async () => {
        const crash = this.consumer?.lastCrash();
        if (crash !== undefined && !(crash as { retriable?: boolean }).retriable) throw crash;
      }),
    );
    this.logger.log({ event: 'subscriptions_consumer_started', active: this.active.size });
  }

  async create(spec: SubscriptionSpec, source: string | null): Promise<CreatedSubscription> {
    const id = randomBytes(10).toString('hex');
    const topic = subscriptionTopic(this.config.topics, id);
    try {
      await ensureTopicsExist(
        this.kafka.kafka,
        [{ name: topic, purpose: 'subscriptions', cleanupPolicy: 'delete' }],
        this.config.kafka,
      );
    } catch (e) {
      throw GatewayError.unavailable(
        `cannot create the subscription topic: ${e instanceof Error ? e.message : String(e)}`,
        2,
      );
    }
    const record = await this.database.subscriptions.create(
      id,
      topic,
      spec.eventTypes,
      spec.filters,
      source,
    );
    this.active.set(record.id, record);
    return this.describe(record);
  }

  async get(id: string): Promise<CreatedSubscription> {
    const record = await this.database.subscriptions.get(id);
    if (record === undefined)
      throw new GatewayError(404, 'NOT_FOUND', `no active subscription ${id}`);
    return this.describe(record);
  }

  async remove(id: string): Promise<void> {
    if (!/^[a-z0-9]{8,40}$/.test(id) || !(await this.database.subscriptions.delete(id))) {
      throw new GatewayError(404, 'NOT_FOUND', `no active subscription ${id}`);
    }
    this.active.delete(id);
  }

  describe(record: SubscriptionRecord): CreatedSubscription {
    const schemas = generateAllSchemas(this.config.model);
    const chosen = record.eventTypes.map((t) => schemas[t]).filter((s) => s !== undefined);
    return {
      subscription_id: record.id,
      topic: record.topic,
      schema: chosen.length === 1 ? chosen[0] : chosen,
      event_types: record.eventTypes,
      filters: record.filters,
      created_at: new Date(record.createdAtMs).toISOString(),
      value_format: 'avro-confluent',
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    await this.consumer
      ?.stop()
      .catch((e: unknown) => this.logger.warn({ event: 'consumer_stop_failed', error: String(e) }));
    await this.producer?.disconnect().catch(() => undefined);
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const { records, asOfMs } = await this.database.subscriptions.active();
        this.active = new Map(records.map((r) => [r.id, r]));
        this.asOfMs = asOfMs;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async deliver(records: readonly DecodedRecord[]): Promise<void> {
    // A subscription created on another instance must be known before records stamped
    // after its creation are passed over.
    const newest = Math.max(...records.map((r) => r.timestamp));
    if (newest >= this.asOfMs) {
      try {
        await this.refresh();
      } catch (e) {
        throw new MessagingError('HANDLER_FAILED', `subscriptions unavailable: ${String(e)}`, {
          retriable: true,
          cause: e,
        });
      }
    }
    const byTopic = new Map<
      string,
      { key: Buffer | null; value: Buffer | null; headers: Record<string, string | Buffer> }[]
    >();
    for (const record of records) {
      const type = this.topicToType.get(record.topic);
      if (type === undefined) continue;
      for (const sub of this.active.values()) {
        if (record.timestamp < sub.createdAtMs) continue;
        if (!sub.eventTypes.includes(type)) continue;
        if (!matchesFilters(sub.filters, record.value)) continue;
        const list = byTopic.get(sub.topic) ?? [];
        const headers: Record<string, string | Buffer> = {};
        for (const [name, value] of Object.entries(record.raw.headers)) {
          if (typeof value === 'string' || Buffer.isBuffer(value)) headers[name] = value;
        }
        headers['event_type'] = type;
        list.push({ key: record.raw.key, value: record.raw.value, headers });
        byTopic.set(sub.topic, list);
        this.metrics.delivered.inc({ subscription: sub.id });
      }
    }
    if (byTopic.size === 0 || this.producer === undefined) return;
    try {
      // A batch forwarded whole can pass the broker's 1 MiB record batch limit.
      await sendInRequests(this.producer, byTopic);
    } catch (e) {
      throw new MessagingError('HANDLER_FAILED', `subscription delivery failed: ${String(e)}`, {
        retriable: true,
        cause: e,
      });
    }
  }
}
