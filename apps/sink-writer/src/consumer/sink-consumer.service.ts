import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import type { TopicSpec } from '@platform/contracts';
import {
  createKafka,
  type BatchAccumulator,
  type BatchConsumer,
  DeadLetterPublisher,
  ensureTopicsExist,
  kafkaIndicator,
  nestLoggerSink,
  type KafkaAdmin,
  type DecodedRecord,
  type KafkaClient,
  consumerLag,
  endOffsets,
  partitionsBehind,
  type EndOffsets,
} from '@platform/messaging';
import {
  InFlightTracker,
  PlatformMetrics,
  ReadinessRegistry,
  indicator,
} from '@platform/observability';
import { SchemaRegistryClient } from '@platform/schema-registry';
import { SINKS, tableBindings, type Sink, type TableBinding } from '@platform/sink-adapters';
import type { Gauge, Counter } from 'prom-client';
import { SINK_WRITER_SETTINGS } from '../config/sink-writer-settings.provider';
import type { SinkWriterSettings } from '../config/sink-writer.config';
import type { WriteFailure } from '../writer/sink-writer';
import { sinkBatches } from './sink-batches';
import { SinkWriteTally } from './sink-write-tally';

export const SINK_WRITER_SERVICE = 'sink-writer';
/** `run-once`: capture the end offsets before consuming, for {@link SinkConsumerService.untilEnd}. */
export const SINK_WRITER_RUN_ONCE = Symbol('SINK_WRITER_RUN_ONCE');

/** What a run handled: records read, those dead-lettered, rows written per sink and table. */
export interface SinkWriterTotals {
  readonly records: number;
  readonly deadLettered: number;
  /** `clickhouse` → `events_page_view` → rows written. */
  readonly rows: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Kafka → sinks. One consumer group over every bound topic (`<events>.<type>` and
 * `<aggregates>.<name>`, read_committed); partitions are handled concurrently and their
 * records written together by size and time; a partition's offsets are committed by
 * BatchConsumer only after the batch holding its records was written to every sink.
 */
@Injectable()
export class SinkConsumerService
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private readonly logger = new Logger(SinkConsumerService.name);
  private readonly kafka: KafkaClient;
  private readonly bindings: ReadonlyMap<string, TableBinding>;
  private consumer: BatchConsumer | undefined;
  private deadLetters: DeadLetterPublisher | undefined;
  private accumulator: BatchAccumulator<DecodedRecord, WriteFailure<DecodedRecord>> | undefined;
  private lagAdmin: KafkaAdmin | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private lastLag: number | undefined;
  private readonly lagGauge: Gauge;
  private readonly recordsCounter: Counter<'outcome'>;
  private consuming = false;
  private stopped: Promise<void> | undefined;
  private ends: EndOffsets | undefined;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(SINK_WRITER_SETTINGS) private readonly settings: SinkWriterSettings,
    @Inject(SINKS) private readonly sinks: readonly Sink[],
    private readonly tally: SinkWriteTally,
    metrics: PlatformMetrics,
    private readonly tracker: InFlightTracker,
    private readonly readiness: ReadinessRegistry,
    @Inject(SINK_WRITER_RUN_ONCE) private readonly runOnce: boolean,
  ) {
    this.kafka = createKafka(config.kafka, {
      clientId: `${config.kafka.client_id}-sink-writer`,
      logger: nestLoggerSink(),
      logLevel: 'warn',
    });
    this.bindings = tableBindings(config.model, config.topics, settings.streams);
    this.lagGauge = metrics.gauge({
      name: 'sink_writer_consumer_lag',
      help: 'Records of the bound topics not yet written and committed',
    });
    this.recordsCounter = metrics.counter({
      name: 'sink_writer_records_total',
      help: 'Records handled, by outcome (written, dead_lettered)',
      labelNames: ['outcome'],
    });
  }

  get topics(): string[] {
    return [...this.bindings.keys()];
  }

  async onApplicationBootstrap(): Promise<void> {
    this.readiness.register(kafkaIndicator(this.kafka));
    for (const sink of this.sinks) {
      this.readiness.register(
        indicator(sink.name, async () => {
          const health = await sink.healthCheck();
          if (!health.ok) throw new Error(health.error ?? `${sink.name} is down`);
          return { latency_ms: health.latencyMs, version: health.version };
        }),
      );
    }

    for (const sink of this.sinks) await sink.connect();
    for (const binding of this.bindings.values()) {
      for (const sink of this.sinks) await sink.createTable(binding.table, binding.schema);
    }
    await this.ensureTopics();

    this.deadLetters = new DeadLetterPublisher({
      kafka: this.kafka,
      service: SINK_WRITER_SERVICE,
      prefixes: this.config.topics,
      topicDefaults: { partitions: 1, replicationFactor: this.config.kafka.replication_factor },
    });
    await this.deadLetters.start();
    if (this.runOnce) this.ends = await endOffsets(await this.admin(), this.topics);

    const batches = sinkBatches(
      {
        kafka: this.kafka,
        registry: new SchemaRegistryClient({ url: this.config.schema_registry.url }),
        deadLetters: this.deadLetters,
      },
      {
        settings: this.settings,
        topics: this.topics,
        sinks: this.sinks,
        bindings: this.bindings,
        tracker: this.tracker,
        records: this.recordsCounter,
      },
    );
    this.accumulator = batches.accumulator;
    this.consumer = batches.consumer;
    await this.consumer.start();
    this.consuming = true;
    this.readiness.register(
      indicator('consumer', async () => {
        if (!this.consuming) throw new Error('consumer stopped');
        const crash = this.consumer?.lastCrash();
        return crash === undefined ? {} : { last_crash: crash.message };
      }),
    );
    this.logger.log({
      event: 'sink_writer.started',
      groupId: this.settings.groupId,
      topics: this.topics,
      sinks: this.sinks.map((s) => s.name),
      maxBatch: this.settings.maxBatch,
      maxBatchBytes: this.settings.maxBatchBytes,
      maxWaitMs: this.settings.maxWaitMs,
    });
    this.startLagMonitor();
    // Shutdown begins: stop fetching at once, so the drain waits only for the batch in hand.
    this.tracker.onDrain(() => void this.stopConsuming());
  }

  /**
   * `run-once`: resolves once the group has committed every partition up to the end offsets
   * captured at start (records produced later are left for the next run).
   */
  async untilEnd(pollMs = 250): Promise<void> {
    const ends = this.ends;
    if (ends === undefined) throw new Error('untilEnd needs the app created with runOnce');
    for (;;) {
      if ((await partitionsBehind(await this.admin(), this.settings.groupId, ends)).length === 0)
        return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Records written and dead-lettered so far, and rows per sink and table. */
  totals(): SinkWriterTotals {
    const stats = this.consumer?.getStats() ?? { records: 0, deadLettered: 0 };
    return { records: stats.records, deadLettered: stats.deadLettered, rows: this.tally.rows };
  }

  private async admin(): Promise<KafkaAdmin> {
    if (!this.lagAdmin) {
      this.lagAdmin = this.kafka.admin();
      await this.lagAdmin.connect();
    }
    return this.lagAdmin;
  }

  async onModuleDestroy(): Promise<void> {
    await this.stopConsuming();
  }

  /** Finishes, writes and commits the batch in hand, then leaves the group. Idempotent. */
  private stopConsuming(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopLagMonitor();
      this.consuming = false;
      const consumer = this.consumer;
      if (consumer === undefined) return;
      await consumer.stop();
      this.logger.log({ event: 'sink_writer.consumer_stopped', ...consumer.getStats() });
    })();
    return this.stopped;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.accumulator?.close();
    await this.deadLetters?.close().catch(() => undefined);
    await this.lagAdmin?.disconnect().catch(() => undefined);
    for (const sink of this.sinks) await sink.close().catch(() => undefined);
  }

  /** The bound topics must exist for the subscription; create missing ones (never alters). */
  private async ensureTopics(): Promise<void> {
    const specs: TopicSpec[] = [...this.bindings.values()].map((b) => ({
      name: b.topic,
      purpose: b.stream === 'events' ? 'events' : 'aggregates',
      cleanupPolicy: 'delete',
    }));
    await ensureTopicsExist(this.kafka, specs, this.config.kafka);
  }

  private startLagMonitor(): void {
    if (this.settings.lagIntervalMs <= 0) return;
    const tick = async (): Promise<void> => {
      try {
        const lag = await consumerLag(await this.admin(), this.settings.groupId, this.topics);
        this.lagGauge.set(lag);
        if (lag === 0 && this.lastLag !== 0) {
          this.logger.log({
            event: 'sink_writer.caught_up',
            lag,
            ...(this.consumer ? this.consumer.getStats() : {}),
          });
        }
        this.lastLag = lag;
      } catch (e) {
        this.logger.warn({ event: 'sink_writer.lag_failed', error: (e as Error).message });
      }
      if (this.consuming)
        this.lagTimer = setTimeout(() => void tick(), this.settings.lagIntervalMs);
    };
    this.lagTimer = setTimeout(() => void tick(), this.settings.lagIntervalMs);
  }

  private stopLagMonitor(): void {
    if (this.lagTimer !== undefined) clearTimeout(this.lagTimer);
    this.lagTimer = undefined;
  }
}
