// The aggregator's Kafka shell around @platform/windowing (why this shape:
// docs/adr/0006-aggregator-two-stage-exactly-once.md).
//
// Two stages in one consumer group (`appId`), one kafkajs consumer per process:
//  - source tasks, one per partition q of `events.<type>`: decode, re-key every event by
//    the group key of each aggregation into `<appId>.<agg>.repartition`, then a progress
//    record (max event time, offset) to every repartition partition;
//  - stateful tasks, one per partition r of a repartition topic: one WindowEngine, whose
//    watermark is the minimum over source partitions, writing aggregates, late events and
//    its changelog.
// Every batch of a task is one Kafka transaction (outputs + changelog + consumed offset), by
// a transactional producer whose id belongs to the input partition, so the next owner of the
// partition fences the previous one.
import { randomUUID } from 'node:crypto';
import {
  aggregateTopic,
  dlqTopic,
  eventTopic,
  lateTopic,
  type AggregationSpec,
  type TopicSpec,
} from '@platform/contracts';
import type { PlatformConfig } from '@platform/config';
import {
  backoffDelay,
  extractTraceContext,
  injectTraceContext,
  isSampledTraceparent,
} from '@platform/observability';
import { ROOT_CONTEXT, SpanKind, trace, type Link } from '@opentelemetry/api';
import {
  compressionCodec,
  createIdempotentProducer,
  createKafka,
  createTransactionalProducer,
  deadLetterHeaders,
  TopicAdmin,
  topicDefaults,
  withTransaction,
  type Admin,
  type Consumer,
  type IHeaders,
  type Kafka,
  type KafkaLogSink,
  type Producer,
} from '@platform/messaging';
import type * as avro from 'avsc';
import {
  AvroSerde,
  forSchema,
  generateAggregateSchema,
  toJson,
  type AvroRecordSchema,
} from '@platform/schema-registry';
import {
  Combiner,
  isLate,
  parsePartial,
  serializePartial,
  WindowEngine,
  type PartialAggregate,
  type ProcessResult,
  type WindowResult,
  type WindowEvent,
} from '@platform/windowing';
import {
  changelogKeyKind,
  changelogTopic,
  HEADERS,
  internalTopics,
  outputKey,
  partitionFor,
  repartitionKey,
  repartitionTopic,
  RESTORE_MARKER_KEY,
  sourcePartitionOf,
  transactionalIdOf,
} from './keys';
import {
  chunkRequests,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_MESSAGES,
  type TopicMessage,
} from './produce-requests';
import { changelogPartitionKey, readChangelog } from './changelog-reader';
import { canHeal } from './healing';
import { MAX_PACK_BYTES, packPartials } from './partial-packs';
import { resultToRecord, retractionToRecord, RecordMappingError } from './records';
import type { AggregatorSettings } from './settings';
import { SourceClock } from './source-clock';
import {
  encodeTraceLinks,
  linkHorizonMs,
  parseTraceLinks,
  TraceLinks,
  type TraceLink,
} from './trace-links';
import { combinable, eventProblem, restoredForwardedMax, sourceOffsetMetadata } from './routing';

export type RunMode = 'run' | 'run-once';

export interface RunnerLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** What the runner reports; the Nest shell turns it into Prometheus metrics. */
export interface RunnerMetrics {
  eventsProcessed(aggregation: string, n: number): void;
  lateEvents(aggregation: string, n: number): void;
  windowsEmitted(aggregation: string, n: number): void;
  transaction(seconds: number, ok: boolean): void;
}

export interface RunnerStats {
  /** Partial aggregates sent to the repartition topics. */
  readonly partials: number;
  /** The records that carried them. */
  readonly packs: number;
  /** Partials by aggregation: which source work this instance did. */
  readonly partialsByAggregation: Readonly<Record<string, number>>;
  /** Events forwarded whole (they may be late downstream). */
  readonly wholeEvents: number;
  /** packs + wholeEvents (progress records not counted). */
  readonly repartitionRecords: number;
  /** Kafka transactions (or, without transactions, sends + offset commits) that succeeded. */
  readonly transactions: number;
  /** From `start()` to the first batch handed over (topics, schemas, group join, restore). */
  readonly startupMs: number | null;
  readonly firstBatchAt: number | null;
  /** `process.cpuUsage()` (µs) when the first batch was handed over: steady-state CPU from there. */
  readonly firstBatchCpu: NodeJS.CpuUsage | null;
}

/** A row as printed by `--console`. */
export interface EmittedRow {
  readonly aggregation: string;
  readonly key: string;
  readonly record: Readonly<Record<string, unknown>>;
  readonly retracted: boolean;
}

export interface SchemaRegistryPort {
  register(subject: string, schema: string): Promise<number>;
  getById(id: number): Promise<string>;
}

export interface AggregatorRunnerOptions {
  readonly config: PlatformConfig;
  readonly settings: AggregatorSettings;
  readonly mode: RunMode;
  readonly registry: SchemaRegistryPort;
  readonly logger: RunnerLogger;
  readonly kafkaLogger?: KafkaLogSink;
  readonly metrics?: RunnerMetrics;
  /** Called with the rows of each committed batch (the console sink). */
  readonly onCommitted?: (rows: readonly EmittedRow[]) => void;
  /** `run` mode: an error no retry can heal (authorization, configuration). */
  readonly onFatal?: (error: unknown) => void;
}

interface Plan {
  readonly spec: AggregationSpec;
  readonly sourceTopic: string;
  readonly sourcePartitions: number;
  readonly repartitionTopic: string;
  readonly partitions: number;
  readonly changelogTopic: string;
  readonly outputTopic: string;
  readonly lateTopic: string;
  readonly schema: AvroRecordSchema;
  /** `schema` parsed once: encoding with it skips a parse (or a JSON key) per row. */
  readonly schemaType: avro.Type;
  schemaId: number;
  /** Decodes the fields this aggregation reads, for events forwarded whole. */
  readonly decode: EventDecoder;
}

/** Decodes a framed event (its writer schema loaded); throws when it cannot. */
type EventDecoder = (value: Buffer) => unknown;

interface TaskBase {
  readonly topic: string;
  readonly partition: number;
  producer: Producer | null;
  /** Records below the committed offset were processed by a previous owner: skipped. */
  minOffset: bigint;
  initialized: boolean;
  /** A failed batch left the in-memory state ahead of Kafka: re-initialize before the next. */
  dirty: boolean;
  chain: Promise<void>;
  /** Batches handed over by the consumer and not processed yet. */
  queued: number;
  /** Moves at every seek back to the committed offset: batches fetched before are stale. */
  generation: number;
  /** A recovery after a failure is running (`afterFailure`). */
  recovering: boolean;
  /** Input records processed into `pending`. */
  pendingRecords: number;
  /** Processed, not yet committed: sent in the next transaction, with every batch since. */
  pending: Outbox | null;
  /** The input offset the pending work reaches (exclusive). */
  pendingUpto: bigint | null;
  /** The transaction in flight, if any. */
  inflight: Promise<void> | null;
}

interface SourceTask extends TaskBase {
  readonly kind: 'source';
  readonly plans: readonly Plan[];
  /** Decodes the fields that any of `plans` reads. */
  readonly decode: EventDecoder;
  /** One per plan: this batch's partials. */
  readonly combiners: readonly Combiner[];
  /** Committed: everything before this offset has been forwarded. */
  upto: bigint;
  /** The largest event time this partition has forwarded (see `combinable`). */
  forwardedMax: number;
  /** Events to forward whole in the next transaction, after the partials. */
  raw: RawForward[];
  /** Sampled events combined since the last transaction: their traces ride on the packs. */
  traced: CombinedTrace[];
  /** Largest event time of the pending batches. */
  batchMax: number | null;
  /**
   * With an idle timeout, downstream watermarks may follow the wall clock, past what this
   * partition forwarded: events older than this floor (the wall clock when the task started
   * or resumed after idling, plus a margin) are forwarded whole rather than combined.
   */
  routingFloor: number;
  lastBatchAt: number;
}

/** An event a source task forwards whole: it may be late downstream. */
interface RawForward {
  readonly plan: Plan;
  readonly key: string;
  readonly value: Buffer;
  /** The largest event time its partition had forwarded before it. */
  readonly forwardedMax: number;
  /** `traceparent` of the source span, for an event of a sampled trace. */
  readonly traceparent?: string;
}

/** A sampled event a source task combined, bound for one repartition partition of one plan. */
interface CombinedTrace {
  readonly plan: Plan;
  readonly partition: number;
  readonly link: TraceLink;
}

interface StatefulTask extends TaskBase {
  readonly kind: 'stateful';
  readonly plan: Plan;
  engine: WindowEngine;
  clock: SourceClock;
  /** When each source partition last sent a record here (its create time); null: none yet. */
  heardAt: (number | null)[];
  /** When the first record since the task started was sent: until then nothing is idle. */
  firstHeardAt: number | null;
  /** The latest of `heardAt`: the sources' own clock, which a backlog does not stretch. */
  lastHeardAt: number | null;
  /** The last batch reached the end of the partition (no backlog behind it). */
  caughtUp: boolean;
  /** Wall-clock time of the last batch. */
  lastBatchAt: number;
  /** Wall-clock time the task was restored: every source gets the timeout from there. */
  restoredAt: number;
  /** Sampled inputs of windows not emitted yet: an emitted window's span links them. */
  traces: TraceLinks;
}

type Task = SourceTask | StatefulTask;

/** A record of an input partition, as kafkajs hands it over. */
interface InputRecord {
  readonly offset: string;
  /** Create time in epoch ms, as kafkajs gives it. */
  readonly timestamp?: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

/** A fetched batch of one partition, as kafkajs hands it over. */
interface InputBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly InputRecord[];
  lastOffset(): string;
  offsetLag(): string;
}

interface Outbox {
  readonly messages: Map<string, TopicMessage[]>;
  readonly rows: EmittedRow[];
  /** Holds a run-once final flush. */
  final: boolean;
}

/**
 * While a task's transaction is in flight, the batches processed meanwhile join the next
 * one, up to this many input records; then processing waits. Source tasks hold partials
 * (merged, so small) and the rare whole events; stateful ones their emitted rows.
 */
const MAX_PENDING_RECORDS = 200_000;

const taskKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

const DLQ_SERVICE = 'aggregator';

/**
 * How far ahead of its own wall clock a source task assumes a downstream clock may be
 * (instances' clocks differ): see `SourceTask.routingFloor`.
 */
const IDLE_CLOCK_MARGIN_MS = 60_000;

/** Between attempts to start a consumer again after a crash. */
const RESTART_BACKOFF = { initialMs: 500, maxMs: 30_000 };

/** run-once gives up when its completion checks have failed for this long without a success. */
const RUN_ONCE_GIVE_UP_MS = 120_000;

const tracer = trace.getTracer('@platform/aggregator');
const TRACEPARENT = 'traceparent';

function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function push(outbox: Outbox, topic: string, msg: TopicMessage): void {
  let list = outbox.messages.get(topic);
  if (list === undefined) outbox.messages.set(topic, (list = []));
  list.push(msg);
}

/** Runs every selected aggregation of the domain until stopped (`run`) or to the end of the input (`run-once`). */
export class AggregatorRunner {
  private readonly kafka: Kafka;
  private readonly serde: AvroSerde;
  private readonly plans: Plan[] = [];
  private readonly bySource = new Map<string, Plan[]>();
  private readonly sourceDecoders = new Map<string, EventDecoder>();
  private readonly byRepartition = new Map<string, Plan>();
  private admin: Admin | null = null;
  private consumer: Consumer | null = null;
  /** The crashed consumer being replaced, so two failures start one restart. */
  private restarting: Consumer | null = null;
  /** At-least-once mode only: one plain idempotent producer. */
  private plainProducer: Producer | null = null;
  private tasks = new Map<string, Task>();
  private ready: Promise<void> = Promise.resolve();
  private joined = false;
  private initializedOnce = false;
  private stopping = false;
  /** run-once: end offsets of every source partition at start, per source topic. */
  private readonly targets = new Map<string, bigint[]>();
  private finished: (() => void) | null = null;
  private failed: ((error: unknown) => void) | null = null;
  private poller: NodeJS.Timeout | null = null;
  private readonly dlq: string;
  private readonly counters = { partials: 0, packs: 0, wholeEvents: 0, transactions: 0 };
  private readonly partialsByAggregation: Record<string, number> = {};
  private startedAt = 0;
  private firstBatchAt: number | null = null;
  private firstBatchCpu: NodeJS.CpuUsage | null = null;

  constructor(private readonly options: AggregatorRunnerOptions) {
    const { config } = options;
    this.kafka = createKafka(config.kafka, {
      clientId: `${options.settings.appId}-${options.settings.instanceId}`,
      ...(options.kafkaLogger === undefined ? {} : { logger: options.kafkaLogger }),
      logLevel: 'warn',
    });
    this.serde = new AvroSerde({ getSchemaById: (id) => options.registry.getById(id) });
    this.dlq = dlqTopic(config.topics, DLQ_SERVICE);
  }

  get isReady(): boolean {
    return this.joined && this.initializedOnce && !this.stopping;
  }

  get appId(): string {
    return this.options.settings.appId;
  }

  /** What crossed the repartition topics, and when work began (for start-up vs steady state). */
  get stats(): RunnerStats {
    return {
      ...this.counters,
      partialsByAggregation: { ...this.partialsByAggregation },
      repartitionRecords: this.counters.packs + this.counters.wholeEvents,
      startupMs: this.firstBatchAt === null ? null : this.firstBatchAt - this.startedAt,
      firstBatchAt: this.firstBatchAt,
      firstBatchCpu: this.firstBatchCpu,
    };
  }

  /** Creates topics, registers schemas, joins the group. In `run-once`, resolves at the end. */
  async start(): Promise<void> {
    const { config, settings, logger } = this.options;
    this.startedAt = Date.now();
    const selected = config.model.aggregations.filter(
      (a) => settings.aggregations === null || settings.aggregations.includes(a.name),
    );
    const unknown = (settings.aggregations ?? []).filter(
      (n) => !config.model.aggregations.some((a) => a.name === n),
    );
    if (unknown.length > 0 || selected.length === 0) {
      throw new Error(
        `unknown aggregation(s) ${unknown.join(', ') || '(none selected)'}; known: ${config.model.aggregations
          .map((a) => a.name)
          .join(', ')}`,
      );
    }
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.ensureTopics(selected);
    for (const plan of this.plans) {
      plan.schemaId = await this.options.registry.register(
        `${plan.outputTopic}-value`,
        toJson(plan.schema),
      );
    }
    if (!settings.transactions) {
      this.plainProducer = createIdempotentProducer(this.kafka);
      await this.plainProducer.connect();
    }
    if (this.options.mode === 'run-once') await this.captureTargets();
    const done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
    await this.startConsumer();
    logger.info(
      {
        event: 'aggregator.started',
        mode: this.options.mode,
        aggregations: this.plans.map((p) => p.spec.name),
        transactions: settings.transactions,
        instance: settings.instanceId,
        idleTimeoutMs: settings.idleTimeoutMs,
      },
      'aggregator started',
    );
    if (this.options.mode === 'run-once') {
      this.poller = setInterval(() => void this.checkRunOnce(), 200);
      await done;
    } else if (settings.idleTimeoutMs !== null) {
      const every = Math.max(50, Math.min(1_000, Math.floor(settings.idleTimeoutMs / 10)));
      this.poller = setInterval(() => void this.advanceIdle(), every);
    }
  }

  /** Joins the group and starts consuming: at start, and again after a crash that can heal. */
  private async startConsumer(): Promise<void> {
    const { settings, logger } = this.options;
    const consumer = this.kafka.consumer({
      groupId: settings.appId,
      readUncommitted: false,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.floor(settings.sessionTimeoutMs / 5),
      rebalanceTimeout: Math.max(30_000, settings.sessionTimeoutMs * 3),
      maxBytesPerPartition: settings.maxBytesPerPartition,
      // Room for every source partition's full batch in one fetch.
      maxBytes: Math.max(10 * 1_048_576, settings.maxBytesPerPartition * 4),
      // run-once waits on fetches near its end (the last progress records), and leaving the
      // group waits for the fetch in flight: a short long-poll ends both sooner.
      ...(this.options.mode === 'run-once' ? { maxWaitTimeInMs: 500 } : {}),
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.onAssignment(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      const fatal = !restart && !canHeal(error);
      logger.error(
        {
          event: 'aggregator.consumer_crash',
          err: message(error),
          restart: restart ? 'by the client' : fatal ? 'none: fatal' : 'by the aggregator',
        },
        'consumer crashed',
      );
      if (restart || this.stopping) return;
      if (fatal) this.fail(error);
      else void this.restartConsumer(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.bySource.keys(), ...this.byRepartition.keys()],
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Tasks are independent (own producer, own state); in flight together they overlap
      // their transactions' round trips.
      partitionsConsumedConcurrently: settings.concurrency,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        // A failed initialization is handled where `ready` is made (a consumer restart): thrown
        // from here it would crash this consumer with an error of kafkajs' wrapping instead.
        const ready = await this.awaitWithHeartbeat(this.ready, heartbeat).then(
          () => true,
          () => false,
        );
        // Unresolved, the batch is fetched again by whoever holds the partition next.
        if (!ready || isStale()) return;
        this.firstBatchCpu ??= process.cpuUsage();
        this.firstBatchAt ??= Date.now();
        const task = this.tasks.get(taskKey(batch.topic, batch.partition));
        if (task === undefined) {
          throw new Error(`${batch.topic}[${batch.partition}] is not assigned to this instance`);
        }
        // The batch is processed in a later macrotask, after kafkajs has sent its next fetch,
        // so the broker's round trip overlaps our CPU instead of following it. kafkajs moves
        // on from the resolved offset; what counts is the offset our transaction commits, and
        // a failure seeks back to it (`recover`). A seek made between now and then makes this
        // batch stale: kafkajs' `isStale` only says so until the next fetch, so the task's
        // generation, which every seek moves, says it after that.
        const generation = task.generation;
        const previous = task.chain;
        task.queued++;
        void this.serialize(task, () =>
          this.handleBatch(task, batch, () => isStale() || generation !== task.generation),
        );
        resolveOffset(batch.lastOffset());
        // One batch waiting behind the one in hand, no more: memory stays bounded.
        if (task.queued > 1) await this.awaitWithHeartbeat(previous, heartbeat);
        await heartbeat();
      },
    });
  }

  /**
   * Processes a batch and starts its transaction, or leaves the work pending for the next
   * one while a transaction is in flight; waits for that transaction only when the pending
   * work holds `MAX_PENDING_RECORDS` input records. A failure leaves the task dirty: it is
   * re-initialized (with backoff), which seeks the consumer back to the committed offset.
   */
  private async handleBatch(task: Task, batch: InputBatch, isStale: () => boolean): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      // A failed task has its recovery queued (`afterFailure`), which seeks back to the last
      // commit; a batch fetched before that seek comes again.
      if (task.dirty || isStale()) return;
      await this.processBatch(task, batch);
    } catch (error) {
      return this.afterFailure(task, error);
    } finally {
      task.queued--;
    }
    const committing = this.flush(task).catch((e: unknown) => this.afterFailure(task, e));
    if (task.pending !== null && task.pendingRecords >= MAX_PENDING_RECORDS) await committing;
  }

  /**
   * Not awaited by the task's chain: the recovery is queued on that chain, behind it, and
   * retried with backoff until it succeeds. The consumer has moved past the failed batch,
   * so no later batch may come to trigger it (an idle partition, a broker restart).
   */
  private afterFailure(task: Task, error: unknown): void {
    if (this.stopping) return;
    this.options.logger.warn(
      {
        event: 'aggregator.task_failed',
        topic: task.topic,
        partition: task.partition,
        err: message(error),
      },
      'batch or transaction failed; re-initializing the task',
    );
    if (task.recovering) return;
    task.recovering = true;
    void this.recoverWithBackoff(task).finally(() => (task.recovering = false));
  }

  private async recoverWithBackoff(task: Task): Promise<void> {
    const current = (): boolean =>
      !this.stopping && this.tasks.get(taskKey(task.topic, task.partition)) === task;
    for (let attempt = 1; task.dirty && current(); attempt++) {
      try {
        await this.serialize(task, async () => {
          if (task.dirty && current()) await this.recover(task);
        });
      } catch (e) {
        this.options.logger.warn(
          {
            event: 'aggregator.recover_failed',
            topic: task.topic,
            partition: task.partition,
            attempt,
            err: message(e),
          },
          're-initializing the task failed; retrying',
        );
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, RESTART_BACKOFF)));
      }
    }
  }

  /**
   * A consumer that kafkajs will not restart, after an error that can heal (a coordinator
   * that moved, a broker that restarted): a new one joins, with backoff, and every task is
   * fenced and restored as after a rebalance. Gives up only on an error that cannot heal.
   */
  private async restartConsumer(crashed: Consumer): Promise<void> {
    if (this.consumer !== crashed || this.restarting === crashed) return;
    this.restarting = crashed;
    this.joined = false;
    for (let attempt = 1; !this.stopping; attempt++) {
      await new Promise((r) => setTimeout(r, backoffDelay(attempt, RESTART_BACKOFF)));
      if (this.stopping) return;
      try {
        // The crashed consumer, or the one a failed attempt left half started.
        await this.consumer?.disconnect().catch(() => undefined);
        const old = [...this.tasks.values()];
        this.tasks = new Map();
        await Promise.all(old.map((t) => this.closeTask(t)));
        await this.startConsumer();
        this.options.logger.info(
          { event: 'aggregator.consumer_restarted', attempt },
          'consumer restarted',
        );
        return;
      } catch (error) {
        if (!canHeal(error)) {
          this.fail(error);
          return;
        }
        this.options.logger.warn(
          { event: 'aggregator.consumer_restart_failed', attempt, err: message(error) },
          'consumer restart failed; retrying',
        );
      }
    }
  }

  /** An error no retry can heal: run-once rejects; `run` hands it to `onFatal` (log, drain, exit non-zero). */
  private fail(error: unknown): void {
    if (this.options.mode === 'run-once') this.failed?.(error);
    else this.options.onFatal?.(error);
  }

  /** Leaves the group after the batch in hand (its transaction commits or aborts), then disconnects. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.poller !== null) clearInterval(this.poller);
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.all([...this.tasks.values()].map((t) => this.closeTask(t)));
    await this.plainProducer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.options.logger.info({ event: 'aggregator.stopped' }, 'aggregator stopped');
  }

  // ---- topology ------------------------------------------------------------------------

  private async ensureTopics(selected: readonly AggregationSpec[]): Promise<void> {
    const { config, settings } = this.options;
    const admin = new TopicAdmin(this.kafka);
    await admin.connect();
    try {
      const defaults = topicDefaults(config.kafka);
      const types = [...new Set(selected.map((a) => a.eventType))];
      const external: TopicSpec[] = [
        ...types.map((t) => ({
          name: eventTopic(config.topics, t),
          purpose: 'events' as const,
          cleanupPolicy: 'delete' as const,
        })),
        ...types.map((t) => ({
          name: lateTopic(config.topics, t),
          purpose: 'late' as const,
          cleanupPolicy: 'delete' as const,
        })),
        ...selected.map((a) => ({
          name: aggregateTopic(config.topics, a.name),
          purpose: 'aggregates' as const,
          cleanupPolicy: 'delete' as const,
        })),
        { name: this.dlq, purpose: 'dlq', cleanupPolicy: 'delete' },
      ];
      await admin.ensureTopics(external, defaults);
      const sourcePartitions = new Map<string, number>();
      for (const t of types) {
        const topic = eventTopic(config.topics, t);
        const [description] = await admin.describeTopics([topic]);
        sourcePartitions.set(topic, description?.partitions.length ?? defaults.partitions);
      }
      const internal: TopicSpec[] = [];
      for (const a of selected) {
        const q = sourcePartitions.get(eventTopic(config.topics, a.eventType)) ?? 1;
        internal.push(
          ...internalTopics(settings.appId, a.name, settings.repartitionPartitions ?? q),
        );
      }
      await admin.ensureTopics(internal, defaults);
      for (const a of selected) {
        const sourceTopic = eventTopic(config.topics, a.eventType);
        const rTopic = repartitionTopic(settings.appId, a.name);
        const [rDesc] = await admin.describeTopics([rTopic]);
        const schema = generateAggregateSchema(a, config.model);
        const plan: Plan = {
          spec: a,
          sourceTopic,
          sourcePartitions: sourcePartitions.get(sourceTopic) ?? 1,
          repartitionTopic: rTopic,
          partitions: rDesc?.partitions.length ?? 1,
          changelogTopic: changelogTopic(settings.appId, a.name),
          outputTopic: aggregateTopic(config.topics, a.name),
          lateTopic: lateTopic(config.topics, a.eventType),
          schema,
          schemaType: forSchema(schema),
          schemaId: -1,
          decode: this.serde.projection(fieldsRead([a])),
        };
        this.plans.push(plan);
        const list = this.bySource.get(sourceTopic) ?? [];
        list.push(plan);
        this.bySource.set(sourceTopic, list);
        this.byRepartition.set(rTopic, plan);
      }
      for (const [topic, plans] of this.bySource) {
        this.sourceDecoders.set(topic, this.serde.projection(fieldsRead(plans.map((p) => p.spec))));
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async captureTargets(): Promise<void> {
    const admin = this.requireAdmin();
    for (const topic of this.bySource.keys()) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const targets: bigint[] = [];
      for (const o of offsets) targets[o.partition] = BigInt(o.high);
      this.targets.set(topic, targets);
    }
    this.options.logger.info(
      {
        event: 'aggregator.run_once_targets',
        targets: Object.fromEntries(
          [...this.targets].map(([t, v]) => [t, v.map((x) => x.toString())]),
        ),
      },
      'run-once: consuming up to these end offsets',
    );
  }

  // ---- assignment, fencing and restore -----------------------------------------------------

  private onAssignment(assignment: Readonly<Record<string, readonly number[]>>): void {
    const old = [...this.tasks.values()];
    const tasks = new Map<string, Task>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const task = this.newTask(topic, partition);
        if (task !== null) tasks.set(taskKey(topic, partition), task);
      }
    }
    this.tasks = tasks;
    this.joined = true;
    this.options.logger.info(
      {
        event: 'aggregator.assigned',
        partitions: Object.fromEntries(Object.entries(assignment).map(([t, p]) => [t, [...p]])),
      },
      'partitions assigned: fencing and restoring',
    );
    // Everything is rebuilt on every rebalance: a partition kept across it may still have
    // been processed elsewhere if this member was expelled in between.
    this.ready = (async () => {
      await Promise.all(old.map((t) => this.closeTask(t)));
      await this.initTasks([...tasks.values()]);
      this.initializedOnce = true;
    })();
    this.ready.catch((error: unknown) => {
      const fatal = !canHeal(error);
      this.options.logger.error(
        { event: 'aggregator.init_failed', err: message(error), fatal },
        fatal ? 'initializing partitions failed; giving up' : 'initializing partitions failed',
      );
      if (this.stopping || this.consumer === null) return;
      if (fatal) this.fail(error);
      else void this.restartConsumer(this.consumer);
    });
  }

  private newTask(topic: string, partition: number): Task | null {
    const base = {
      topic,
      partition,
      producer: null,
      minOffset: 0n,
      initialized: false,
      dirty: false,
      chain: Promise.resolve(),
      queued: 0,
      generation: 0,
      recovering: false,
      pending: null,
      pendingUpto: null,
      pendingRecords: 0,
      inflight: null,
    };
    const plans = this.bySource.get(topic);
    if (plans !== undefined) {
      return {
        ...base,
        kind: 'source',
        plans,
        decode: this.sourceDecoders.get(topic) ?? ((value) => this.serde.decodeSync(value)),
        combiners: plans.map(combinerOf),
        upto: 0n,
        forwardedMax: -Infinity,
        raw: [],
        traced: [],
        batchMax: null,
        routingFloor: -Infinity,
        lastBatchAt: 0,
      };
    }
    const plan = this.byRepartition.get(topic);
    if (plan === undefined) return null;
    return {
      ...base,
      kind: 'stateful',
      plan,
      engine: new WindowEngine(plan.spec, { watermark: 'external' }),
      clock: new SourceClock(plan.sourcePartitions),
      heardAt: [],
      firstHeardAt: null,
      lastHeardAt: null,
      caughtUp: false,
      lastBatchAt: Date.now(),
      restoredAt: Date.now(),
      traces: new TraceLinks(),
    };
  }

  /**
   * Commits what the task has processed (if it still owns the partition; a new owner has
   * fenced it otherwise, and starts from the last commit), then drops its producer.
   */
  private async closeTask(task: Task): Promise<void> {
    await task.chain.catch(() => undefined);
    await this.flush(task).catch(() => undefined);
    const producer = task.producer;
    task.producer = null;
    await producer?.disconnect().catch(() => undefined);
  }

  /**
   * Fences the previous owner of each partition (InitProducerId on its transactional id
   * aborts its open transaction and bumps the epoch), then reads the committed offsets
   * (final now), then restores the stateful tasks from their changelog partitions.
   */
  private async initTasks(tasks: readonly Task[]): Promise<void> {
    if (tasks.length === 0) return;
    const started = Date.now();
    const nonce = randomUUID();
    await Promise.all(tasks.map((task) => this.fence(task, nonce)));
    const committed = await this.committedOffsets([...new Set(tasks.map((t) => t.topic))]);
    for (const task of tasks) {
      const { offset, metadata } = committed.get(taskKey(task.topic, task.partition)) ?? {
        offset: 0n,
        metadata: null,
      };
      task.minOffset = offset;
      if (task.kind !== 'source') continue;
      task.upto = offset;
      task.forwardedMax = restoredForwardedMax(offset, metadata);
      for (const combiner of task.combiners) combiner.drain();
      task.raw = [];
      task.traced = [];
      task.batchMax = null;
      task.lastBatchAt = Date.now();
      task.routingFloor = this.idleFloor(task.lastBatchAt);
      if (task.forwardedMax === Infinity) {
        this.options.logger.warn(
          {
            event: 'aggregator.source_bound_unknown',
            topic: task.topic,
            partition: task.partition,
          },
          'no forwarded maximum committed with this offset: its events are forwarded whole',
        );
      }
    }
    const stateful = tasks.filter((t): t is StatefulTask => t.kind === 'stateful');
    if (stateful.length > 0) await this.restore(stateful, nonce);
    for (const task of tasks) {
      task.initialized = true;
      task.dirty = false;
    }
    this.options.logger.info(
      {
        event: 'aggregator.partitions_ready',
        source: tasks.length - stateful.length,
        stateful: stateful.length,
        ms: Date.now() - started,
      },
      'partitions fenced and restored',
    );
  }

  private async fence(task: Task, nonce: string): Promise<void> {
    if (task.producer !== null) {
      await task.producer.disconnect().catch(() => undefined);
      task.producer = null;
    }
    const marker =
      task.kind === 'stateful'
        ? {
            topic: task.plan.changelogTopic,
            messages: [{ key: RESTORE_MARKER_KEY, value: nonce, partition: task.partition }],
          }
        : null;
    if (!this.options.settings.transactions) {
      if (marker !== null) await this.requirePlain().send({ ...marker, acks: -1 });
      return;
    }
    const producer = createTransactionalProducer(this.kafka, {
      transactionalId: transactionalIdOf(this.appId, task.topic, task.partition),
      transactionTimeoutMs: this.options.settings.transactionTimeoutMs,
    });
    await producer.connect();
    task.producer = producer;
    // The first transaction runs InitProducerId: this is the fencing point.
    await withTransaction(producer, async (tx) => {
      if (marker !== null) await tx.send(marker);
    });
  }

  private async committedOffsets(
    topics: readonly string[],
  ): Promise<Map<string, { offset: bigint; metadata: string | null }>> {
    const out = new Map<string, { offset: bigint; metadata: string | null }>();
    const result = await this.requireAdmin().fetchOffsets({
      groupId: this.appId,
      topics: [...topics],
    });
    for (const t of result) {
      for (const p of t.partitions) {
        const n = BigInt(p.offset);
        out.set(taskKey(t.topic, p.partition), {
          offset: n < 0n ? 0n : n,
          metadata: n < 0n ? null : (p.metadata ?? null),
        });
      }
    }
    return out;
  }

  /** Reads the changelog partitions of `tasks` up to this restore's marker, and rebuilds them. */
  private async restore(tasks: readonly StatefulTask[], nonce: string): Promise<void> {
    const entries = await readChangelog(
      this.kafka,
      this.requireAdmin(),
      tasks.map((t) => ({ topic: t.plan.changelogTopic, partition: t.partition })),
      {
        marker: nonce,
        groupId: `${this.appId}.restore.${nonce}`,
        timeoutMs: this.options.settings.restoreTimeoutMs,
      },
    );
    for (const task of tasks) {
      const map = entries.get(changelogPartitionKey(task.plan.changelogTopic, task.partition));
      if (map === undefined) throw new Error(`no changelog read for ${task.plan.changelogTopic}`);
      const engineEntries: { key: string; value: unknown }[] = [];
      const clock = new SourceClock(task.plan.sourcePartitions);
      for (const [key, raw] of map) {
        const value: unknown = raw === null ? null : JSON.parse(raw);
        const kind = changelogKeyKind(key);
        if (kind === 'engine') engineEntries.push({ key, value });
        else if (kind === 'source') clock.restore(sourcePartitionOf(key), value);
      }
      task.engine = WindowEngine.fromEntries(task.plan.spec, engineEntries, {
        watermark: 'external',
      });
      task.clock = clock;
      task.heardAt = Array.from({ length: task.plan.sourcePartitions }, () => null);
      task.firstHeardAt = null;
      task.lastHeardAt = null;
      task.caughtUp = false;
      task.lastBatchAt = Date.now();
      task.restoredAt = Date.now();
      this.options.logger.info(
        {
          event: 'aggregator.restored',
          topic: task.plan.changelogTopic,
          partition: task.partition,
          keys: map.size,
          watermark: task.engine.watermark,
        },
        'state restored from the changelog',
      );
    }
  }

  // ---- batches -------------------------------------------------------------------------

  /**
   * Processes a batch into the task's pending work; the caller starts the transaction. A
   * failure leaves the in-memory state ahead of Kafka: the task is re-initialized.
   */
  private async processBatch(task: Task, batch: InputBatch): Promise<void> {
    if (task.kind === 'stateful') {
      task.caughtUp = batch.offsetLag() === '0';
      task.lastBatchAt = Date.now();
    }
    let upto = BigInt(batch.lastOffset()) + 1n;
    if (upto <= task.minOffset) return; // all of it was committed by a previous owner
    const first = batch.messages[0];
    let messages =
      first !== undefined && BigInt(first.offset) < task.minOffset
        ? batch.messages.filter((m) => BigInt(m.offset) >= task.minOffset)
        : batch.messages;
    if (task.kind === 'source' && this.options.mode === 'run-once') {
      // run-once ends at the offsets it captured at start; later records are the next run's.
      const target = this.targets.get(task.topic)?.[task.partition] ?? 0n;
      if (upto > target) {
        upto = target;
        messages = messages.filter((m) => BigInt(m.offset) < target);
      }
      if (upto <= (task.pendingUpto ?? task.upto)) return;
    }
    try {
      // The only await: from here on the batch is processed in one synchronous step, so a
      // transaction starting meanwhile never takes half of it.
      await this.serde.loadWriterSchemas(
        task.kind === 'source'
          ? messages.map((m) => m.value)
          : messages.map((m) => (headerText(m.headers, HEADERS.kind) === 'event' ? m.value : null)),
      );
      const outbox = pendingOutbox(task);
      if (task.kind === 'source') this.processSource(task, messages, outbox);
      else this.processStateful(task, messages, outbox);
      task.pendingUpto = upto;
      task.pendingRecords += messages.length;
    } catch (error) {
      task.dirty = true;
      throw error;
    }
  }

  /**
   * Commits the task's pending work, and then whatever was processed meanwhile, one
   * transaction at a time: processing overlaps the broker's round trips, and under load one
   * transaction spans several batches. Resolves when nothing is pending; a failure marks the
   * task dirty (re-initialized before its next batch) and rejects.
   */
  private flush(task: Task): Promise<void> {
    if (task.inflight === null) {
      // `finally` runs after this assignment, even when nothing was pending.
      const run: Promise<void> = this.commitPending(task).finally(() => {
        if (task.inflight === run) task.inflight = null;
      });
      task.inflight = run;
    }
    return task.inflight;
  }

  private async commitPending(task: Task): Promise<void> {
    try {
      while (task.pending !== null && !task.dirty) {
        const outbox = task.pending;
        const upto = task.pendingUpto;
        task.pending = null;
        task.pendingUpto = null;
        task.pendingRecords = 0;
        let metadata: string | null = null;
        if (task.kind === 'source' && upto !== null) {
          this.sourceTail(task, outbox, upto);
          metadata = sourceOffsetMetadata(task.forwardedMax);
        }
        if (task.kind === 'stateful') this.statefulTail(task, outbox);
        await this.commit(task, outbox, upto, metadata);
        if (task.kind === 'source' && upto !== null) task.upto = upto;
      }
    } catch (error) {
      task.dirty = true;
      task.pending = null;
      task.pendingUpto = null;
      task.pendingRecords = 0;
      throw error;
    }
  }

  /** The changelog of a stateful task: the state as it stands when the transaction starts. */
  private statefulTail(task: StatefulTask, outbox: Outbox): void {
    const changelog = [...task.engine.takeChangelog(), ...task.clock.takeChangelog()];
    for (const entry of changelog) {
      push(outbox, task.plan.changelogTopic, {
        key: entry.key,
        value: entry.value === null ? null : JSON.stringify(entry.value),
        partition: task.partition,
      });
    }
  }

  /** Decodes and routes a batch: into the combiners, the whole-event list, or a dead letter. */
  private processSource(task: SourceTask, messages: readonly InputRecord[], outbox: Outbox): void {
    const now = Date.now();
    const idle = this.options.settings.idleTimeoutMs;
    if (idle !== null && now - task.lastBatchAt >= idle) {
      task.routingFloor = Math.max(task.routingFloor, this.idleFloor(now));
    }
    task.lastBatchAt = now;
    let forwardedMax = task.forwardedMax;
    let batchMax = task.batchMax;
    for (const m of messages) {
      const event = this.decodeOrDeadLetter(outbox, task, m);
      if (event === null) continue;
      const value = m.value as Buffer; // not null: decoded
      const t = event.timestamp;
      const traceparent = this.sourceSpan(task, m);
      for (let i = 0; i < task.plans.length; i++) {
        const plan = task.plans[i];
        if (combinable(plan.spec.window, t, Math.max(forwardedMax, task.routingFloor))) {
          task.combiners[i].add(event);
          if (traceparent !== undefined) {
            const group = repartitionKey(plan.spec, event);
            const partition = partitionFor(group, plan.partitions);
            task.traced.push({ plan, partition, link: { group, time: t, traceparent } });
          }
        } else {
          const key = repartitionKey(plan.spec, event);
          task.raw.push({ plan, key, value, forwardedMax, traceparent });
        }
      }
      if (t > forwardedMax) forwardedMax = t;
      if (batchMax === null || t > batchMax) batchMax = t;
    }
    task.forwardedMax = forwardedMax;
    task.batchMax = batchMax;
  }

  /**
   * What a source task adds to its transaction, in this order per repartition partition:
   * - the partials: downstream merges them while this partition's clock still stands where
   *   the previous transaction left it, below every event they hold (see `combinable`);
   * - the events that might be late downstream, whole, each with the largest event time its
   *   partition had forwarded before it: downstream judges it as if every event had come;
   * - a progress record to every repartition partition, so that its watermark moves even if
   *   nothing else went there.
   */
  private sourceTail(task: SourceTask, outbox: Outbox, upto: bigint): void {
    const source = String(task.partition);
    task.plans.forEach((plan, i) => {
      // The partials bound for one repartition partition travel in a few records (packs):
      // fewer records to encode, send, fetch and decode than one per partial.
      const byPartition = new Map<number, string[]>();
      const drained = task.combiners[i].drain();
      this.counters.partials += drained.length;
      this.partialsByAggregation[plan.spec.name] =
        (this.partialsByAggregation[plan.spec.name] ?? 0) + drained.length;
      for (const partial of drained) {
        const r = partitionFor(partial.groupKey, plan.partitions);
        let list = byPartition.get(r);
        if (list === undefined) byPartition.set(r, (list = []));
        list.push(JSON.stringify(serializePartial(partial)));
      }
      for (const [partition, partials] of byPartition) {
        // On the first pack only: the stateful stage keeps them by group and time, not by pack.
        let links = task.traced.filter((c) => c.plan === plan && c.partition === partition);
        for (const value of packPartials(partials, MAX_PACK_BYTES)) {
          this.counters.packs++;
          const headers: IHeaders = { [HEADERS.kind]: 'partial', [HEADERS.source]: source };
          if (links.length > 0) {
            headers[HEADERS.trace] = encodeTraceLinks(links.map((c) => c.link));
            links = [];
          }
          push(outbox, plan.repartitionTopic, { key: null, value, partition, headers });
        }
      }
    });
    task.traced = [];
    for (const r of task.raw) {
      const headers: IHeaders = { [HEADERS.kind]: 'event', [HEADERS.source]: source };
      if (Number.isFinite(r.forwardedMax)) headers[HEADERS.maxTime] = String(r.forwardedMax);
      if (r.traceparent !== undefined) headers[TRACEPARENT] = r.traceparent;
      push(outbox, r.plan.repartitionTopic, {
        key: r.key,
        value: r.value,
        partition: partitionFor(r.key, r.plan.partitions),
        headers,
      });
    }
    this.counters.wholeEvents += task.raw.length;
    task.raw = [];
    for (const plan of task.plans) {
      for (let r = 0; r < plan.partitions; r++) {
        const headers: IHeaders = {
          [HEADERS.kind]: 'progress',
          [HEADERS.source]: source,
          [HEADERS.upto]: upto.toString(),
        };
        if (task.batchMax !== null) headers[HEADERS.maxTime] = String(task.batchMax);
        push(outbox, plan.repartitionTopic, { key: null, value: null, partition: r, headers });
      }
    }
    task.batchMax = null;
  }

  /** Merges partials, judges whole events, advances the watermark; outputs go to `outbox`. */
  private processStateful(
    task: StatefulTask,
    messages: readonly InputRecord[],
    outbox: Outbox,
  ): void {
    const { spec } = task.plan;
    const now = Date.now();
    const partials: PartialAggregate[] = [];
    const pending: WindowEvent[] = [];
    const inputs = new Map<object, InputRecord>();
    let late = 0;
    let combined = 0;
    for (const m of messages) {
      const kind = headerText(m.headers, HEADERS.kind);
      const source = Number(headerText(m.headers, HEADERS.source));
      if (!Number.isSafeInteger(source) || source < 0 || source >= task.plan.sourcePartitions) {
        this.deadLetter(outbox, task, m, `bad ${HEADERS.source} header`);
        continue;
      }
      // When the source sent it (its create time), so the hop to here does not count as input.
      const sentAt = Number(m.timestamp);
      const heard = Number.isFinite(sentAt) ? Math.min(sentAt, now) : now;
      task.heardAt[source] = Math.max(task.heardAt[source] ?? heard, heard);
      task.firstHeardAt ??= heard;
      task.lastHeardAt = Math.max(task.lastHeardAt ?? heard, heard);
      if (kind === 'progress') {
        const max = headerText(m.headers, HEADERS.maxTime);
        task.clock.progress(
          source,
          max === undefined ? null : Number(max),
          BigInt(headerText(m.headers, HEADERS.upto) ?? '0'),
        );
        continue;
      }
      if (kind === 'partial') {
        try {
          // A pack of partials (a JSON array), or one partial.
          const parsed: unknown = JSON.parse(m.value?.toString() ?? 'null');
          const pack = (Array.isArray(parsed) ? parsed : [parsed]).map((p) =>
            parsePartial(p, [spec.type], spec.groupBy.length),
          );
          for (const partial of pack) {
            partials.push(partial);
            inputs.set(partial, m);
            combined += partial.eventCount;
          }
          const links = headerText(m.headers, HEADERS.trace);
          if (links !== undefined) for (const l of parseTraceLinks(links)) task.traces.add(l);
        } catch (error) {
          this.deadLetter(outbox, task, m, `malformed partial: ${message(error)}`);
        }
        continue;
      }
      const event = this.decodeOrDeadLetter(outbox, task, m);
      if (event === null) continue;
      const value = m.value as Buffer; // not null: decoded
      const t = event.timestamp;
      if (task.engine.watermark === Infinity) {
        // After a run-once flush the windows are final: anything new is late.
        late++;
        this.lateEvent(outbox, task.plan, value, 'closed: the input ended (run-once)', Infinity);
        continue;
      }
      // What its source partition had forwarded before it counts, as if every event had come.
      const before = headerText(m.headers, HEADERS.maxTime);
      if (before !== undefined) task.clock.observe(source, Number(before));
      const w = this.watermarkOf(task, now);
      task.clock.observe(source, t);
      if (isLate(spec.window, t, w)) {
        late++;
        this.lateEvent(outbox, task.plan, value, lateReason(spec, t, w), w);
        continue;
      }
      pending.push(event);
      inputs.set(event, m);
      const traceparent = headerText(m.headers, TRACEPARENT);
      if (isSampledTraceparent(traceparent) && m.key !== null) {
        task.traces.add({ group: m.key.toString(), time: t, traceparent: traceparent as string });
      }
    }
    const results: ProcessResult[] = [];
    if (partials.length > 0) results.push(task.engine.mergePartials(partials));
    if (pending.length > 0) results.push(task.engine.process(pending));
    const w = this.watermarkOf(task, now);
    if (w > task.engine.watermark) results.push(task.engine.advanceWatermark(w));
    if (this.completeForRunOnce(task)) {
      results.push(task.engine.flush());
      outbox.final = true;
    }
    late += this.emit(outbox, task, results, inputs);
    this.options.metrics?.eventsProcessed(spec.name, pending.length + combined);
    if (late > 0) this.options.metrics?.lateEvents(spec.name, late);
  }

  /**
   * Turns engine results into output records, late events and dead letters (the changelog
   * is taken when the transaction starts); returns the events the engine found late. `inputs` maps the events and partials given to the engine back to
   * the records they came from, so that late and dead letters carry the original bytes.
   */
  private emit(
    outbox: Outbox,
    task: StatefulTask,
    results: readonly ProcessResult[],
    inputs: ReadonlyMap<object, InputRecord> = new Map(),
  ): number {
    const { plan } = task;
    let late = 0;
    let emitted = 0;
    const recordOf = (item: object): InputRecord => {
      const record = inputs.get(item);
      if (record === undefined) throw new Error('an engine result names an input it was not given');
      return record;
    };
    for (const result of results) {
      for (const gone of result.retracted) {
        const record = retractionToRecord(plan.spec, gone);
        const key = outputKey(plan.spec, gone.windowStart, gone.group);
        push(outbox, plan.outputTopic, {
          key,
          value: this.serde.encode(plan.schemaId, plan.schemaType, record),
          headers: { [HEADERS.retracted]: 'true', [HEADERS.aggregation]: plan.spec.name },
        });
        outbox.rows.push({ aggregation: plan.spec.name, key, record, retracted: true });
      }
      for (const row of result.updates) {
        const key = outputKey(plan.spec, row.windowStart, row.group);
        let record;
        try {
          record = resultToRecord(plan.spec, row);
        } catch (error) {
          if (!(error instanceof RecordMappingError)) throw error;
          this.deadLetter(
            outbox,
            task,
            { offset: '-1', key: Buffer.from(key), value: Buffer.from(JSON.stringify(row)) },
            error.message,
          );
          continue;
        }
        const headers: IHeaders = { [HEADERS.aggregation]: plan.spec.name };
        if (task.traces.size > 0) this.windowSpan(task, row, headers);
        push(outbox, plan.outputTopic, {
          key,
          value: this.serde.encode(plan.schemaId, plan.schemaType, record),
          headers,
        });
        outbox.rows.push({ aggregation: plan.spec.name, key, record, retracted: false });
        emitted++;
      }
      for (const l of result.late) {
        late++;
        this.lateEvent(outbox, plan, recordOf(l.event).value, l.reason, l.watermark);
      }
      for (const bad of result.invalid)
        this.deadLetter(outbox, task, recordOf(bad.event), bad.reason);
      for (const refused of result.refused) {
        // The record is the pack that held it: its other partials were merged.
        this.deadLetter(
          outbox,
          task,
          recordOf(refused.partial),
          `${refused.reason}; partial ${partialJson(refused.partial)}`,
        );
      }
    }
    if (emitted > 0) this.options.metrics?.windowsEmitted(plan.spec.name, emitted);
    if (task.traces.size > 0) {
      task.traces.forgetBefore(task.engine.watermark - linkHorizonMs(plan.spec.window));
    }
    return late;
  }

  /**
   * The source task's span for an event of a sampled trace: a child of the producer's
   * context in its headers. Returns the `traceparent` that carries the trace on, through the
   * repartition topic, to the window that emits the event. Others cost a header lookup.
   */
  private sourceSpan(task: SourceTask, m: InputRecord): string | undefined {
    if (!isSampledTraceparent(headerText(m.headers, TRACEPARENT))) return undefined;
    const span = tracer.startSpan(
      `aggregate ${task.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': task.topic,
          'messaging.destination.partition.id': String(task.partition),
          'messaging.kafka.offset': Number(m.offset),
        },
      },
      extractTraceContext(m.headers, ROOT_CONTEXT),
    );
    span.end();
    const headers: Record<string, string> = {};
    return injectTraceContext(headers, trace.setSpan(ROOT_CONTEXT, span))[TRACEPARENT];
  }

  /**
   * A window emitted with sampled inputs: its span links every one of them (a window has many
   * parents, a span one), and continues the first one's trace, so that a traced event's trace
   * runs on to the sinks. The output record carries this span's context.
   */
  private windowSpan(task: StatefulTask, row: WindowResult, headers: IHeaders): void {
    const { spec } = task.plan;
    const inputs = task.traces.within(
      repartitionKey(spec, row.group),
      row.windowStart,
      row.windowEnd,
    );
    if (inputs.length === 0) return;
    const links: Link[] = [];
    for (const traceparent of inputs) {
      const context = trace.getSpanContext(extractTraceContext({ traceparent }, ROOT_CONTEXT));
      if (context !== undefined) links.push({ context });
    }
    const span = tracer.startSpan(
      `emit ${spec.name}`,
      {
        kind: SpanKind.PRODUCER,
        links,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': task.plan.outputTopic,
          'aggregator.window.start': row.windowStart,
          'aggregator.window.end': row.windowEnd,
          'aggregator.window.events': row.eventCount,
        },
      },
      extractTraceContext({ traceparent: inputs[0] }, ROOT_CONTEXT),
    );
    span.end();
    injectTraceContext(headers as Record<string, string>, trace.setSpan(ROOT_CONTEXT, span));
  }

  private lateEvent(
    outbox: Outbox,
    plan: Plan,
    value: Buffer | null,
    reason: string,
    w: number,
  ): void {
    push(outbox, plan.lateTopic, {
      key: null,
      value,
      headers: {
        [HEADERS.reason]: reason,
        [HEADERS.aggregation]: plan.spec.name,
        [HEADERS.watermark]: String(w),
      },
    });
  }

  /**
   * The event a record holds, or null once it went to the dead-letter topic.
   * The writer schemas of the batch must have been loaded (`loadWriterSchemas`).
   */
  private decodeOrDeadLetter(outbox: Outbox, task: Task, m: InputRecord): WindowEvent | null {
    if (m.value === null) {
      this.deadLetter(outbox, task, m, 'null value');
      return null;
    }
    let event: unknown;
    try {
      event = task.kind === 'source' ? task.decode(m.value) : task.plan.decode(m.value);
    } catch (error) {
      this.deadLetter(outbox, task, m, `undecodable: ${message(error)}`);
      return null;
    }
    const problem = eventProblem(event);
    if (problem !== null) {
      this.deadLetter(outbox, task, m, problem);
      return null;
    }
    return event as WindowEvent;
  }

  /** The platform's `dlq.*` headers (as DeadLetterPublisher writes them) plus our reason. */
  private deadLetter(outbox: Outbox, task: Task, m: InputRecord, reason: string): void {
    const headers = deadLetterHeaders(
      {
        key: m.key,
        value: m.value,
        ...(m.headers === undefined ? {} : { headers: m.headers }),
        source: { topic: task.topic, partition: task.partition, offset: m.offset },
        error: { code: 'UNPROCESSABLE_RECORD', message: reason, retriable: false },
      },
      DLQ_SERVICE,
      new Date(),
    );
    push(outbox, this.dlq, {
      key: m.key,
      value: m.value,
      headers: { ...headers, [HEADERS.reason]: reason },
    });
  }

  /**
   * One transaction: the outbox, and (when `upto` is given) the consumed offset. Without
   * transactions: send, then commit the offset through the consumer (at-least-once).
   */
  private async commit(
    task: Task,
    outbox: Outbox,
    upto: bigint | null,
    metadata: string | null,
  ): Promise<void> {
    const requests = chunkRequests(outbox.messages, MAX_REQUEST_BYTES, MAX_REQUEST_MESSAGES);
    const offsets =
      upto === null
        ? null
        : {
            topic: task.topic,
            partitions: [{ partition: task.partition, offset: upto.toString(), metadata }],
          };
    const started = process.hrtime.bigint();
    let ok = false;
    const compression = compressionCodec(this.options.config.kafka);
    try {
      if (this.options.settings.transactions) {
        const producer = task.producer;
        if (producer === null) throw new Error(`${task.topic}[${task.partition}] has no producer`);
        await withTransaction(producer, async (tx) => {
          for (const topicMessages of requests) {
            await tx.sendBatch({ topicMessages, compression });
            if (outbox.final && this.options.settings.crashInFinalFlush) this.crashNow(task);
          }
          if (offsets !== null) {
            await tx.sendOffsets({ consumerGroupId: this.appId, topics: [offsets] });
          }
        });
      } else {
        for (const topicMessages of requests) {
          await this.requirePlain().sendBatch({ topicMessages, acks: -1, compression });
        }
        if (offsets !== null) {
          await this.consumer?.commitOffsets([
            {
              topic: task.topic,
              partition: task.partition,
              offset: upto?.toString() ?? '0',
              metadata,
            },
          ]);
        }
      }
      ok = true;
      this.counters.transactions++;
    } finally {
      this.options.metrics?.transaction(Number(process.hrtime.bigint() - started) / 1e9, ok);
    }
    if (outbox.rows.length > 0) this.options.onCommitted?.(outbox.rows);
  }

  /** Fault injection (`AGGREGATOR_CRASH_IN_FINAL_FLUSH`): dies as a crash would, mid-transaction. */
  private crashNow(task: Task): never {
    this.options.logger.warn(
      { event: 'aggregator.crash_injected', topic: task.topic, partition: task.partition },
      'fault injection: SIGKILL in the middle of a final flush',
    );
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable: SIGKILL was sent');
  }

  // ---- idleness (`run` mode) -------------------------------------------------------------

  /**
   * A stateful task's watermark: the minimum over its source partitions (see SourceClock).
   * With an idle timeout:
   * - a partition that sent nothing for that long while another sent is left out; both are
   *   judged by when the sources sent (create times), so a backlog here (after a restart, or
   *   when this task lags) makes no source look idle;
   * - when none has sent for that long by the wall clock and this task has read everything
   *   there is, the watermark follows the wall clock minus out-of-orderness.
   * Never moves back.
   */
  private watermarkOf(task: StatefulTask, now: number): number {
    const ooo = task.plan.spec.window.outOfOrdernessMs;
    const timeout = this.options.settings.idleTimeoutMs;
    // Restored with sources already heard from: they count as heard at the restore, or an
    // input that ended before a restart would never close its last windows.
    const restored = task.clock.heardAny ? task.restoredAt : null;
    const since = task.firstHeardAt ?? restored;
    const last = task.lastHeardAt ?? restored;
    if (timeout === null || this.options.mode !== 'run' || since === null || last === null) {
      return task.clock.watermark(ooo);
    }
    // Nothing fetched for a while: no backlog either, even if an aborted transaction left
    // the last batch short of the end.
    const drained = task.caughtUp || now - task.lastBatchAt >= timeout;
    if (drained && now - Math.max(last, task.restoredAt) >= timeout) {
      return Math.max(task.clock.watermark(ooo), now - ooo, task.engine.watermark);
    }
    // A partition not heard from yet counts from the first record of any partition, and none
    // counts from before the task was restored: sources resume with it after a restart.
    const idle = Array.from(
      { length: task.plan.sourcePartitions },
      (_, q) => last - Math.max(task.heardAt[q] ?? since, task.restoredAt) >= timeout,
    );
    const w = task.clock.activeWatermark(ooo, idle) ?? task.clock.watermark(ooo);
    return Math.max(w, task.engine.watermark);
  }

  /** The routing floor of a source task that starts or resumes at `now` (see SourceTask). */
  private idleFloor(now: number): number {
    const { idleTimeoutMs } = this.options.settings;
    return idleTimeoutMs === null || this.options.mode !== 'run'
      ? -Infinity
      : now + IDLE_CLOCK_MARGIN_MS;
  }

  private idleChecking = false;

  /** Emits the windows that idleness closed, for tasks whose input went quiet. */
  private async advanceIdle(): Promise<void> {
    if (this.idleChecking || this.stopping || !this.joined) return;
    this.idleChecking = true;
    try {
      for (const task of this.tasks.values()) {
        if (task.kind !== 'stateful' || !task.initialized || task.dirty) continue;
        await this.serialize(task, async () => {
          if (task.dirty || !task.initialized) return;
          const w = this.watermarkOf(task, Date.now());
          if (w <= task.engine.watermark) return;
          this.emit(pendingOutbox(task), task, [task.engine.advanceWatermark(w)]);
        });
        if (task.pending !== null) {
          await this.flush(task).catch((e: unknown) => this.afterFailure(task, e));
        }
      }
    } finally {
      this.idleChecking = false;
    }
  }

  // ---- run-once -------------------------------------------------------------------------

  private completeForRunOnce(task: StatefulTask): boolean {
    if (this.options.mode !== 'run-once') return false;
    if (task.engine.watermark === Infinity) return false;
    const targets = this.targets.get(task.plan.sourceTopic) ?? [];
    return task.clock.reached(targets);
  }

  private checking = false;
  /** When the completion checks started failing (null: the last one succeeded). */
  private failingSince: number | null = null;

  /** Flushes stateful tasks whose inputs are complete; resolves `start()` once all assigned tasks are done. */
  private async checkRunOnce(): Promise<void> {
    if (this.checking || this.stopping || !this.joined) return;
    this.checking = true;
    try {
      await this.ready;
      let allDone = true;
      for (const task of this.tasks.values()) {
        if (!task.initialized) {
          allDone = false;
          continue;
        }
        await this.serialize(task, async () => {
          if (task.dirty) await this.recover(task);
          else if (task.kind === 'stateful' && this.completeForRunOnce(task)) {
            const outbox = pendingOutbox(task);
            this.emit(outbox, task, [task.engine.flush()]);
            outbox.final = true;
          }
        });
        await this.flush(task);
        if (task.kind === 'source') {
          const target = this.targets.get(task.topic)?.[task.partition] ?? 0n;
          if (task.upto < target) allDone = false;
        } else if (task.engine.watermark !== Infinity) {
          allDone = false;
        }
      }
      this.failingSince = null;
      if (allDone) this.finished?.();
    } catch (error) {
      // A transient failure heals on a later check; one that persists ends the run.
      this.failingSince ??= Date.now();
      const fatal = !canHeal(error) || Date.now() - this.failingSince >= RUN_ONCE_GIVE_UP_MS;
      this.options.logger.warn(
        {
          event: 'aggregator.run_once_check_failed',
          err: message(error),
          failingForMs: Date.now() - this.failingSince,
          fatal,
        },
        fatal ? 'run-once check failed; giving up' : 'run-once check failed; retrying',
      );
      if (fatal) this.failed?.(error);
    } finally {
      this.checking = false;
    }
  }

  // ---- helpers --------------------------------------------------------------------------

  private serialize<T>(task: Task, work: () => Promise<T>): Promise<T> {
    const next = task.chain.then(work);
    task.chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /**
   * After a failed batch or transaction: the state in memory is ahead of Kafka. Waits for
   * the transaction in flight, re-initializes the task (fence, committed offset, restore),
   * and moves the consumer back to the committed offset: batches after it were handed over
   * already and must come again.
   */
  private async recover(task: Task): Promise<void> {
    await task.inflight?.catch(() => undefined);
    await this.initTasks([task]);
    task.generation++;
    this.consumer?.seek({
      topic: task.topic,
      partition: task.partition,
      offset: task.minOffset.toString(),
    });
    this.options.logger.warn(
      {
        event: 'aggregator.task_recovered',
        topic: task.topic,
        partition: task.partition,
        offset: task.minOffset.toString(),
      },
      'task re-initialized after a failure; consuming again from its committed offset',
    );
  }

  private async awaitWithHeartbeat(
    promise: Promise<void>,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    while (!settled) {
      await Promise.race([watched, new Promise((r) => setTimeout(r, 1_000))]);
      if (!settled) await heartbeat().catch(() => undefined);
    }
    await watched;
  }

  private requireAdmin(): Admin {
    if (this.admin === null) throw new Error('aggregator not started');
    return this.admin;
  }

  private requirePlain(): Producer {
    if (this.plainProducer === null) throw new Error('no at-least-once producer');
    return this.plainProducer;
  }
}

/**
 * The event fields that aggregations read: identity and time (validity, first/last order),
 * their group-by fields and their field. Events are decoded to these alone.
 */
function fieldsRead(specs: readonly AggregationSpec[]): string[] {
  const fields = new Set(['event_id', 'timestamp']);
  for (const spec of specs) {
    for (const field of spec.groupBy) fields.add(field);
    if (spec.field !== undefined) fields.add(spec.field);
  }
  return [...fields];
}

/** Names a partial in a reason header: its bounds and group (its state may be large). */
const partialJson = (partial: PartialAggregate): string =>
  JSON.stringify({ start: partial.start, end: partial.end, group: partial.group });

/** The outbox of the task's next transaction. */
const pendingOutbox = (task: Task): Outbox =>
  (task.pending ??= { messages: new Map(), rows: [], final: false });

const combinerOf = (plan: Plan): Combiner =>
  new Combiner(plan.spec.window, plan.spec.groupBy, [
    { name: plan.spec.name, type: plan.spec.type, field: plan.spec.field },
  ]);

function lateReason(spec: AggregationSpec, t: number, w: number): string {
  const l = spec.window.allowedLatenessMs;
  return spec.window.type === 'session'
    ? `session: event time ${t} + allowed lateness ${l} < watermark ${w}`
    : `${spec.window.type}: the oldest window holding ${t} closed (end + allowed lateness ${l} <= watermark ${w})`;
}
