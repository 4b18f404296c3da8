// The aggregator: topology, schemas, and the two kinds of task wired into the platform's
// transactional stream-task runtime (docs/adr/0006-aggregator-two-stage-exactly-once.md,
// docs/adr/0024-one-runtime-for-transactional-stream-tasks.md).
//
// Two stages in one consumer group (`appId`):
//  - source tasks, one per partition q of `events.<type>` (source-task.ts): fold each batch
//    into partials per group and pane, forward whole the events that may be late downstream,
//    then a progress record (max event time, offset) to every repartition partition;
//  - stateful tasks, one per partition r of a repartition topic (stateful-task.ts): one
//    WindowEngine, whose watermark is the minimum over source partitions, writing
//    aggregates, late events and its changelog.
// The runtime commits each task's outputs, changelog and consumed offset in one transaction,
// by a producer whose transactional id belongs to the input partition.
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
  canHeal,
  createKafka,
  StreamTaskRuntime,
  TopicAdmin,
  topicDefaults,
  type KafkaLogSink,
  type Outbox,
  type StreamTaskHandlers,
} from '@platform/messaging';
import { AvroSerde, forSchema, generateAggregateSchema, toJson } from '@platform/schema-registry';
import {
  changelogTopic,
  HEADERS,
  internalTopics,
  repartitionTopic,
  transactionalIdOf,
} from './keys';
import { fieldsRead, type EventDecoder, type Plan } from './plan';
import { header, message, Router } from './router';
import type { AggregatorSettings } from './settings';
import {
  newSourceCounters,
  newSourceState,
  processSource,
  restoreSource,
  closeSource,
  forwardsAllWhole,
  sealSource,
  type SourceEnv,
  type SourceState,
} from './source-task';
import {
  advanceIdle,
  flushIfComplete,
  newStatefulState,
  processStateful,
  restoreStateful,
  takeStatefulChangelog,
  type EmittedRow,
  type RunnerMetrics,
  type StatefulEnv,
  type StatefulState,
} from './stateful-task';

export type { EmittedRow, RunnerMetrics } from './stateful-task';

export type RunMode = 'run' | 'run-once';

export interface RunnerLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
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

type TaskState = SourceState | StatefulState;

const DLQ_SERVICE = 'aggregator';

/** run-once gives up when its completion checks have failed for this long without a success. */
const RUN_ONCE_GIVE_UP_MS = 120_000;

/** Runs every selected aggregation of the domain until stopped (`run`) or to the end of the input (`run-once`). */
export class AggregatorRunner {
  private readonly serde: AvroSerde;
  private readonly plans: Plan[] = [];
  private readonly bySource = new Map<string, Plan[]>();
  private readonly sourceDecoders = new Map<string, EventDecoder>();
  private readonly byRepartition = new Map<string, Plan>();
  private readonly router: Router;
  private readonly runtime: StreamTaskRuntime<TaskState, EmittedRow>;
  private readonly sourceEnv: SourceEnv;
  private readonly statefulEnv: StatefulEnv;
  private readonly counters = newSourceCounters();
  private stopping = false;
  /** run-once: end offsets of every source partition at start, per source topic. */
  private readonly targets = new Map<string, bigint[]>();
  private finished: (() => void) | null = null;
  private failed: ((error: unknown) => void) | null = null;
  private poller: NodeJS.Timeout | null = null;
  private startedAt = 0;

  constructor(private readonly options: AggregatorRunnerOptions) {
    const { config, settings, mode } = options;
    this.serde = new AvroSerde({ getSchemaById: (id) => options.registry.getById(id) });
    this.router = new Router(dlqTopic(config.topics, DLQ_SERVICE));
    const { router } = this;
    // Windows close on the wall clock only in `run` mode, with an idle timeout.
    const idleTimeoutMs = mode === 'run' ? settings.idleTimeoutMs : null;
    this.sourceEnv = { router, idleTimeoutMs, counters: this.counters };
    this.statefulEnv = {
      router,
      serde: this.serde,
      idleTimeoutMs,
      inputComplete: (state) =>
        mode === 'run-once' && state.clock.reached(this.targets.get(state.plan.sourceTopic) ?? []),
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    };
    this.runtime = new StreamTaskRuntime<TaskState, EmittedRow>({
      kafka: config.kafka,
      clientId: this.clientId,
      ...(options.kafkaLogger === undefined ? {} : { kafkaLogger: options.kafkaLogger }),
      groupId: settings.appId,
      transactions: settings.transactions,
      transactionalId: (topic, partition) => transactionalIdOf(settings.appId, topic, partition),
      transactionTimeoutMs: settings.transactionTimeoutMs,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      maxBytesPerPartition: settings.maxBytesPerPartition,
      concurrency: settings.concurrency,
      // run-once waits on fetches near its end (the last progress records), and leaving the
      // group waits for the fetch in flight: a short long-poll ends both sooner.
      ...(mode === 'run-once' ? { maxWaitTimeInMs: 500 } : {}),
      restoreTimeoutMs: settings.restoreTimeoutMs,
      endOffset: (topic, partition) =>
        mode === 'run-once' && this.bySource.has(topic)
          ? (this.targets.get(topic)?.[partition] ?? 0n)
          : null,
      logger: options.logger,
      logPrefix: 'aggregator',
      handlers: this.handlers(),
      onFatal: (error) => this.fail(error),
      onTransaction: (seconds, ok) => options.metrics?.transaction(seconds, ok),
      onCommitted: (_state, outbox) => {
        if (outbox.notes.length > 0) options.onCommitted?.(outbox.notes);
      },
      ...(settings.crashInFinalFlush
        ? {
            afterSend: (state: TaskState, outbox: Outbox<EmittedRow>) =>
              this.crashIfFinal(state, outbox),
          }
        : {}),
    });
  }

  get isReady(): boolean {
    return this.runtime.isReady && !this.stopping;
  }

  get appId(): string {
    return this.options.settings.appId;
  }

  private get clientId(): string {
    return `${this.options.settings.appId}-${this.options.settings.instanceId}`;
  }

  /** What crossed the repartition topics, and when work began (for start-up vs steady state). */
  get stats(): RunnerStats {
    const first = this.runtime.firstBatchAt;
    return {
      partials: this.counters.partials,
      packs: this.counters.packs,
      wholeEvents: this.counters.wholeEvents,
      transactions: this.runtime.transactions,
      partialsByAggregation: { ...this.counters.partialsByAggregation },
      repartitionRecords: this.counters.packs + this.counters.wholeEvents,
      startupMs: first === null ? null : first.at - this.startedAt,
      firstBatchAt: first?.at ?? null,
      firstBatchCpu: first?.cpu ?? null,
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
    await this.ensureTopics(selected);
    for (const plan of this.plans) {
      plan.schemaId = await this.options.registry.register(
        `${plan.outputTopic}-value`,
        toJson(plan.schema),
      );
    }
    const done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
    await this.runtime.connect();
    if (this.options.mode === 'run-once') await this.captureTargets();
    await this.runtime.join([...this.bySource.keys(), ...this.byRepartition.keys()]);
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
    await this.runtime.stop();
    this.options.logger.info({ event: 'aggregator.stopped' }, 'aggregator stopped');
  }

  // ---- topology ------------------------------------------------------------------------

  private async ensureTopics(selected: readonly AggregationSpec[]): Promise<void> {
    const { config, settings } = this.options;
    const admin = new TopicAdmin(
      createKafka(config.kafka, {
        clientId: this.clientId,
        ...(this.options.kafkaLogger === undefined ? {} : { logger: this.options.kafkaLogger }),
        logLevel: 'warn',
      }),
    );
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
        { name: this.router.dlq, purpose: 'dlq', cleanupPolicy: 'delete' },
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

  /** The source and stateful steps, as the runtime calls them. */
  private handlers(): StreamTaskHandlers<TaskState, EmittedRow> {
    const { logger } = this.options;
    return {
      create: (topic, partition) => this.newTask(topic, partition),
      changelogOf: (state) =>
        state.kind === 'stateful'
          ? { topic: state.plan.changelogTopic, partition: state.partition }
          : null,
      restore: (state, committed, changelog) => {
        const now = Date.now();
        if (state.kind === 'stateful') return restoreStateful(state, changelog ?? new Map(), now);
        if (!restoreSource(state, committed, this.sourceEnv, now)) {
          logger.warn(
            {
              event: 'aggregator.source_bound_unknown',
              topic: state.topic,
              partition: state.partition,
            },
            'no forwarded maximum committed with this offset: its events are forwarded whole',
          );
        }
      },
      prepare: (state, records) =>
        this.serde.loadWriterSchemas(
          state.kind === 'source'
            ? records.map((m) => m.value)
            : records.map((m) => (header(m.headers, HEADERS.kind) === 'event' ? m.value : null)),
        ),
      fetched: (state, batch) => {
        if (state.kind !== 'stateful') return;
        state.caughtUp = batch.caughtUp;
        state.lastBatchAt = Date.now();
      },
      process: (state, records, outbox) =>
        state.kind === 'source'
          ? processSource(state, records, outbox, this.sourceEnv, Date.now())
          : processStateful(state, records, outbox, this.statefulEnv, Date.now()),
      seal: (state, outbox, upto) =>
        state.kind === 'source' ? sealSource(state, outbox, upto, this.counters) : null,
      takeChangelog: (state) => (state.kind === 'stateful' ? takeStatefulChangelog(state) : []),
    };
  }

  private async captureTargets(): Promise<void> {
    for (const topic of this.bySource.keys()) {
      this.targets.set(topic, await this.runtime.endOffsets(topic));
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

  private newTask(topic: string, partition: number): TaskState | null {
    const plans = this.bySource.get(topic);
    if (plans !== undefined) {
      const decode = this.sourceDecoders.get(topic) ?? ((value) => this.serde.decodeSync(value));
      return newSourceState(topic, partition, plans, decode);
    }
    const plan = this.byRepartition.get(topic);
    return plan === undefined ? null : newStatefulState(topic, partition, plan, Date.now());
  }

  /** Fault injection (`AGGREGATOR_CRASH_IN_FINAL_FLUSH`): dies as a crash would, mid-transaction. */
  private crashIfFinal(state: TaskState, outbox: Outbox<EmittedRow>): void {
    if (!outbox.final) return;
    this.options.logger.warn(
      { event: 'aggregator.crash_injected', topic: state.topic, partition: state.partition },
      'fault injection: SIGKILL in the middle of a final flush',
    );
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable: SIGKILL was sent');
  }

  // ---- idleness (`run` mode) -------------------------------------------------------------

  private idleChecking = false;

  /** Emits the windows that idleness closed, for tasks whose input went quiet. */
  private async advanceIdle(): Promise<void> {
    if (this.idleChecking || this.stopping || !this.runtime.hasJoined) return;
    this.idleChecking = true;
    try {
      for (const task of this.runtime.tasks) {
        const { state } = task;
        if (state.kind !== 'stateful' || !task.initialized || task.dirty) continue;
        let emitted = false;
        await this.runtime.update(task, (outbox) => {
          emitted = advanceIdle(state, outbox, this.statefulEnv, Date.now());
        });
        if (emitted) await this.runtime.flushOrRecover(task);
      }
    } finally {
      this.idleChecking = false;
    }
  }

  // ---- run-once -------------------------------------------------------------------------

  private checking = false;
  /** When the completion checks started failing (null: the last one succeeded). */
  private failingSince: number | null = null;

  /** How long the run-once checks have been failing, this one included. */
  private failingForMs(): number {
    this.failingSince ??= Date.now();
    return Date.now() - this.failingSince;
  }

  /** Flushes stateful tasks whose inputs are complete; resolves `start()` once all assigned tasks are done. */
  private async checkRunOnce(): Promise<void> {
    if (this.checking || this.stopping || !this.runtime.hasJoined) return;
    this.checking = true;
    try {
      if (!(await this.runtime.ready)) {
        // The runtime handles a failed initialization itself (a restart, or `onFatal`), and
        // logs it; one that lasts ends the run as failing checks do.
        if (this.failingForMs() >= RUN_ONCE_GIVE_UP_MS) {
          this.failed?.(new Error(`partitions not initialized for ${RUN_ONCE_GIVE_UP_MS} ms`));
        }
        return;
      }
      let allDone = true;
      for (const task of this.runtime.tasks) {
        if (!task.initialized) {
          allDone = false;
          continue;
        }
        const { state } = task;
        const target = this.targets.get(task.topic)?.[task.partition] ?? 0n;
        // Read to its end: the source is closed, and its offset committed again to say so.
        const closing =
          state.kind === 'source' && task.committedUpto >= target && !forwardsAllWhole(state);
        await this.runtime.update(
          task,
          (outbox) => {
            if (state.kind === 'stateful') flushIfComplete(state, outbox, this.statefulEnv);
            else if (closing) closeSource(state);
          },
          { recover: true, commitOffset: closing },
        );
        await this.runtime.flush(task);
        if (state.kind === 'source') {
          if (task.committedUpto < target || !forwardsAllWhole(state)) allDone = false;
        } else if (state.engine.watermark !== Infinity || !this.statefulEnv.inputComplete(state)) {
          // Closed by an earlier run-once, a task still reads what this run's sources sent it
          // (refused as late), so that nothing is left behind for a later run.
          allDone = false;
        }
      }
      this.failingSince = null;
      if (allDone) this.finished?.();
    } catch (error) {
      // A transient failure heals on a later check; one that persists ends the run.
      const failingForMs = this.failingForMs();
      const fatal = !canHeal(error) || failingForMs >= RUN_ONCE_GIVE_UP_MS;
      this.options.logger.warn(
        { event: 'aggregator.run_once_check_failed', err: message(error), failingForMs, fatal },
        fatal ? 'run-once check failed; giving up' : 'run-once check failed; retrying',
      );
      if (fatal) this.failed?.(error);
    } finally {
      this.checking = false;
    }
  }
}
