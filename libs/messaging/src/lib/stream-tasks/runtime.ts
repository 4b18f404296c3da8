// One runtime for transactional stream tasks: a task per assigned input partition, whose
// outputs, changelog and consumed offset commit in one Kafka transaction, by a producer whose
// transactional id belongs to the partition, so that the partition's next owner fences the
// previous one. The caller's handlers hold the logic and do no I/O; this does all of it.
// Why this shape: docs/adr/0006-aggregator-two-stage-exactly-once.md and
// docs/adr/0024-one-runtime-for-transactional-stream-tasks.md.
import { randomUUID } from 'node:crypto';
import type { KafkaSettings } from '@platform/config';
import { backoffDelay } from '@platform/observability';
import { changelogPartitionKey, readChangelog, RESTORE_MARKER_KEY } from './changelog';
import { Outbox } from './outbox';
import { chunkRequests, MAX_REQUEST_BYTES, MAX_REQUEST_MESSAGES } from '../produce-requests';
import {
  createIdempotentProducer,
  createTransactionalProducer,
  withTransaction,
} from '../transaction';
import { canHeal, CONSUMER_RESTART_BACKOFF, restartWithBackoff } from '../consumer-restart';
import { compressionCodec, createKafka } from '../kafka-client';
import type { KafkaLogSink } from '../kafka-logger';
import type {
  KafkaAdmin,
  KafkaClient,
  KafkaConsumer,
  KafkaProducer,
  RecordHeaders,
} from '../kafka-port';

/** A record of an input partition. */
export interface StreamRecord {
  readonly offset: string;
  /** Create time in epoch ms. */
  readonly timestamp?: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: RecordHeaders;
}

/** Where the previous owner of a partition left it. */
export interface CommittedOffset {
  /** The next offset to process (0 when nothing was committed). */
  readonly offset: bigint;
  /** Committed with it (`StreamTaskHandlers.seal`); null when none or nothing was committed. */
  readonly metadata: string | null;
}

export interface ChangelogPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A changelog entry: the latest value of `key` (`null` deletes it). */
export interface ChangelogEntry {
  readonly key: string;
  readonly value: string | null;
}

/**
 * The logic of one kind of task; none of it does I/O. `S` is a task's state, `N` what its
 * outbox notes for `committed`.
 */
export interface StreamTaskHandlers<S, N = never> {
  /** The state of a new task for an assigned partition; null when the topic is not an input. */
  create(topic: string, partition: number): S | null;
  /** The changelog partition a task's state is kept in, or null when it keeps none. */
  changelogOf(state: S): ChangelogPartition | null;
  /**
   * After fencing: where the previous owner committed, and (with a changelog) the latest
   * value per key, in the order of those last writes, up to this restore's marker.
   */
  restore(
    state: S,
    committed: CommittedOffset,
    changelog: ReadonlyMap<string, string | null> | null,
  ): void;
  /** The one asynchronous step before a batch is processed (e.g. loading writer schemas). */
  prepare?(state: S, records: readonly StreamRecord[]): Promise<void>;
  /** Every fetched batch, before any of it is skipped as already committed. */
  fetched?(state: S, batch: { readonly caughtUp: boolean }): void;
  /** Processes records into `outbox`, synchronously: a transaction never takes half a batch. */
  process(state: S, records: readonly StreamRecord[], outbox: Outbox<N>): void;
  /**
   * When a transaction starts: last records for it, and the metadata committed with the
   * offset `upto` (null when the transaction commits no offset).
   */
  seal(state: S, outbox: Outbox<N>, upto: bigint | null): string | null;
  /** The state's changes since the last call: written to its changelog partition in the same transaction. */
  takeChangelog?(state: S): readonly ChangelogEntry[];
}

export interface StreamTaskLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export interface StreamTaskRuntimeOptions<S, N> {
  /** The cluster; the runtime makes its own client, consumer, producers and admin. */
  readonly kafka: KafkaSettings;
  /** The client id (e.g. `<appId>-<instance>`). */
  readonly clientId: string;
  readonly kafkaLogger?: KafkaLogSink;
  /** The consumer group; transactions commit offsets for it. */
  readonly groupId: string;
  readonly handlers: StreamTaskHandlers<S, N>;
  /** Off: outputs are sent, then offsets committed (at-least-once). */
  readonly transactions: boolean;
  /** Stable per input partition, so that its next owner fences the previous one. */
  transactionalId(topic: string, partition: number): string;
  readonly transactionTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly maxBytesPerPartition: number;
  /** Tasks whose batches are processed concurrently. */
  readonly concurrency: number;
  /** The consumer's long-poll; kafkajs' 5 s when unset. */
  readonly maxWaitTimeInMs?: number;
  readonly restoreTimeoutMs: number;
  /** A bounded input: records at or past this offset are left to the next run. */
  endOffset?(topic: string, partition: number): bigint | null;
  /** While a transaction is in flight, later batches join the next one, up to this many records. */
  readonly maxPendingRecords?: number;
  readonly logger: StreamTaskLogger;
  /** Prefix of the `event` field of log lines (`aggregator` gives `aggregator.task_failed`). */
  readonly logPrefix: string;
  /** An error no retry can heal (authorization, a configuration the broker refuses). */
  onFatal(error: unknown): void;
  /** Every transaction, with its duration. */
  onTransaction?(seconds: number, ok: boolean): void;
  /** After a transaction committed: its outbox (notes included). */
  onCommitted?(state: S, outbox: Outbox<N>): void;
  /** Fault injection: called after each produce request of a transaction. */
  afterSend?(state: S, outbox: Outbox<N>): void;
}

/** A task as its callers see it. */
export interface StreamTask<S> {
  readonly topic: string;
  readonly partition: number;
  readonly state: S;
  /**
   * Fenced and restored (its state stands where its committed offset does), and not closed:
   * a rebalance replaces every task with a new one.
   */
  readonly initialized: boolean;
  /** A failure left its state ahead of Kafka: it is being re-initialized. */
  readonly dirty: boolean;
  /** Everything before this offset is committed. */
  readonly committedUpto: bigint;
}

interface Task<S, N> extends StreamTask<S> {
  producer: KafkaProducer | null;
  /** Records below the committed offset were processed by a previous owner: skipped. */
  minOffset: bigint;
  committedUpto: bigint;
  initialized: boolean;
  /** Replaced after a rebalance or restart: its producer is closed, nothing more commits. */
  closed: boolean;
  dirty: boolean;
  chain: Promise<void>;
  /** Batches handed over by the consumer and not processed yet. */
  queued: number;
  /** Moves at every seek back to the committed offset: batches fetched before are stale. */
  generation: number;
  recovering: boolean;
  pendingRecords: number;
  /** Processed, not yet committed: sent in the next transaction, with every batch since. */
  pending: Outbox<N> | null;
  /** The input offset the pending work reaches (exclusive). */
  pendingUpto: bigint | null;
  inflight: Promise<void> | null;
}

interface FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly StreamRecord[];
  lastOffset(): string;
  offsetLag(): string;
}

const DEFAULT_MAX_PENDING_RECORDS = 200_000;

const taskKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Consumes `topics` in one group and runs a task per assigned partition:
 * - on assignment, every task is fenced (its transactional id initialized, which aborts the
 *   previous owner's open transaction), its committed offset read, and its state restored
 *   from its changelog up to a marker written in the fencing transaction;
 * - batches are processed in order per task, one at a time, and committed in transactions
 *   that carry the outputs, the changelog and the consumed offset; while one is in flight,
 *   later batches join the next, so processing overlaps the broker's round trips;
 * - a failed batch or transaction re-initializes the task (with backoff) and seeks back to
 *   its committed offset; a crashed consumer is replaced; an error no retry can heal goes to
 *   `onFatal`.
 */
export class StreamTaskRuntime<S, N = never> {
  private readonly kafka: KafkaClient;
  private topics: readonly string[] = [];
  private admin: KafkaAdmin | null = null;
  private consumer: KafkaConsumer | null = null;
  /** The crashed consumer being replaced, so two failures start one restart. */
  private restarting: KafkaConsumer | null = null;
  /** Without transactions: one idempotent producer. */
  private plainProducer: KafkaProducer | null = null;
  private taskMap = new Map<string, Task<S, N>>();
  private readyPromise: Promise<boolean> = Promise.resolve(true);
  /** Moves with every assignment and consumer restart: an initialization of an older one is superseded. */
  private initGeneration = 0;
  private joined = false;
  private initializedOnce = false;
  private stopping = false;
  private transactionCount = 0;
  private firstBatch: { at: number; cpu: NodeJS.CpuUsage } | null = null;

  constructor(private readonly options: StreamTaskRuntimeOptions<S, N>) {
    this.kafka = createKafka(options.kafka, {
      clientId: options.clientId,
      ...(options.kafkaLogger === undefined ? {} : { logger: options.kafkaLogger }),
      logLevel: 'warn',
    });
  }

  /** Joined, and every assigned task initialized once. */
  get isReady(): boolean {
    return this.joined && this.initializedOnce && !this.stopping;
  }

  /** Whether the consumer has joined its group (a restart leaves it until it joins again). */
  get hasJoined(): boolean {
    return this.joined;
  }

  /**
   * Resolves once the tasks of the latest assignment are initialized: true, or false when that
   * failed. It never rejects: a failed initialization is the runtime's to handle (a consumer
   * restart, or `onFatal`), and to a caller it means not ready yet.
   */
  get ready(): Promise<boolean> {
    return this.readyPromise;
  }

  get tasks(): readonly StreamTask<S>[] {
    return [...this.taskMap.values()];
  }

  /** Transactions (or, without transactions, sends and offset commits) that succeeded. */
  get transactions(): number {
    return this.transactionCount;
  }

  /** When the first batch was handed over, and the process's CPU time then. */
  get firstBatchAt(): { readonly at: number; readonly cpu: NodeJS.CpuUsage } | null {
    return this.firstBatch;
  }

  /** Connects the admin client (and, without transactions, the producer). */
  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    if (!this.options.transactions) {
      this.plainProducer = createIdempotentProducer(this.kafka);
      await this.plainProducer.connect();
    }
  }

  /** Joins the group on `topics`; batches flow from here until `stop()`. */
  async join(topics: readonly string[]): Promise<void> {
    this.topics = [...topics];
    await this.startConsumer();
  }

  /** The end offset of each partition of `topic`, by partition. */
  async endOffsets(topic: string): Promise<bigint[]> {
    const offsets = await this.requireAdmin().fetchTopicOffsets(topic);
    const ends: bigint[] = [];
    for (const o of offsets) ends[o.partition] = BigInt(o.high);
    return ends;
  }

  /** Leaves the group after the batch in hand (its transaction commits or aborts), then disconnects. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.all([...this.taskMap.values()].map((t) => this.closeTask(t)));
    await this.plainProducer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }

  /**
   * Runs `work` in the task's order (after the batches before it). `work` writes to the
   * outbox of the task's next transaction (made on first use). A task not initialized yet,
   * or closed by a rebalance, is left alone; so is a dirty one, unless `recover` re-initializes
   * it (and `work` is not run). With `commitOffset`, that transaction also commits the task's
   * offset, with the metadata `seal` gives, even if no record came since the last commit.
   */
  async update(
    handle: StreamTask<S>,
    work: (outbox: () => Outbox<N>) => void,
    options: { readonly recover?: boolean; readonly commitOffset?: boolean } = {},
  ): Promise<void> {
    const task = handle as Task<S, N>;
    await this.serialize(task, async () => {
      // Not restored yet, or closed by a rebalance (a new task owns the partition now).
      if (!task.initialized) return;
      if (task.dirty) {
        if (options.recover === true) await this.recover(task);
        return;
      }
      work(() => pendingOutbox(task));
      if (options.commitOffset === true) {
        pendingOutbox(task);
        task.pendingUpto ??= task.committedUpto;
      }
    });
  }

  /** Commits the task's pending work; rejects if a transaction fails (the task is then dirty). */
  flush(handle: StreamTask<S>): Promise<void> {
    const task = handle as Task<S, N>;
    // Its producer is gone: work processed since is not committed, and the partition's new
    // owner processes it again from the committed offset.
    if (task.closed) return Promise.resolve();
    if (task.inflight === null) {
      // `finally` runs after this assignment, even when nothing was pending.
      const run: Promise<void> = this.commitPending(task).finally(() => {
        if (task.inflight === run) task.inflight = null;
      });
      task.inflight = run;
    }
    return task.inflight;
  }

  /** `flush`, and on failure the task's recovery (with backoff) instead of a rejection. */
  flushOrRecover(handle: StreamTask<S>): Promise<void> {
    const task = handle as Task<S, N>;
    return this.flush(task).catch((e: unknown) => this.afterFailure(task, e));
  }

  // ---- the consumer --------------------------------------------------------------------

  /** Joins the group and starts consuming: at start, and again after a crash that can heal. */
  private async startConsumer(): Promise<void> {
    const { options } = this;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.floor(options.sessionTimeoutMs / 5),
      rebalanceTimeout: Math.max(30_000, options.sessionTimeoutMs * 3),
      maxBytesPerPartition: options.maxBytesPerPartition,
      // Room for every task's full batch in one fetch.
      maxBytes: Math.max(10 * 1_048_576, options.maxBytesPerPartition * 4),
      ...(options.maxWaitTimeInMs === undefined
        ? {}
        : { maxWaitTimeInMs: options.maxWaitTimeInMs }),
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.onAssignment(event.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      const fatal = !restart && !canHeal(error);
      this.log('error', 'consumer_crash', 'consumer crashed', {
        err: message(error),
        restart: restart ? 'by the client' : fatal ? 'none: fatal' : 'by the runtime',
      });
      if (restart || this.stopping) return;
      if (fatal) this.options.onFatal(error);
      else void this.restartConsumer(consumer);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Tasks are independent (own producer, own state); in flight together they overlap
      // their transactions' round trips.
      partitionsConsumedConcurrently: options.concurrency,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        const ready = await this.awaitWithHeartbeat(this.readyPromise, heartbeat);
        // Unresolved, the batch is fetched again by whoever holds the partition next.
        if (!ready || isStale()) return;
        this.firstBatch ??= { at: Date.now(), cpu: process.cpuUsage() };
        const task = this.taskMap.get(taskKey(batch.topic, batch.partition));
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
   * A consumer that kafkajs will not restart, after an error that can heal (a coordinator
   * that moved, a broker that restarted): a new one joins, with backoff, and every task is
   * fenced and restored as after a rebalance. Gives up only on an error that cannot heal.
   */
  private async restartConsumer(crashed: KafkaConsumer): Promise<void> {
    if (this.consumer !== crashed || this.restarting === crashed) return;
    this.restarting = crashed;
    this.joined = false;
    const attempt = await restartWithBackoff({
      stopped: () => this.stopping,
      attempt: async () => {
        // The crashed consumer, or the one a failed attempt left half started.
        await this.consumer?.disconnect().catch(() => undefined);
        await this.supersedeInitialization();
        const old = [...this.taskMap.values()];
        this.taskMap = new Map();
        await Promise.all(old.map((t) => this.closeTask(t)));
        await this.startConsumer();
      },
      failed: (error, attempt) => {
        if (!canHeal(error)) {
          this.options.onFatal(error);
          return false;
        }
        this.log('warn', 'consumer_restart_failed', 'consumer restart failed; retrying', {
          attempt,
          err: message(error),
        });
        return true;
      },
    });
    if (attempt !== undefined)
      this.log('info', 'consumer_restarted', 'consumer restarted', { attempt });
  }

  // ---- assignment, fencing and restore ---------------------------------------------------

  private onAssignment(assignment: Readonly<Record<string, readonly number[]>>): void {
    // A join that completes while leaving the group: nothing to initialize.
    if (this.stopping) return;
    const old = [...this.taskMap.values()];
    const tasks = new Map<string, Task<S, N>>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const state = this.options.handlers.create(topic, partition);
        if (state !== null) tasks.set(taskKey(topic, partition), newTask(topic, partition, state));
      }
    }
    this.taskMap = tasks;
    this.joined = true;
    this.log('info', 'assigned', 'partitions assigned: fencing and restoring', {
      partitions: Object.fromEntries(Object.entries(assignment).map(([t, p]) => [t, [...p]])),
    });
    // Everything is rebuilt on every rebalance: a partition kept across it may still have
    // been processed elsewhere if this member was expelled in between.
    const superseded = this.supersedeInitialization();
    const generation = this.initGeneration;
    this.readyPromise = (async () => {
      await superseded;
      await Promise.all(old.map((t) => this.closeTask(t)));
      await this.initTasks([...tasks.values()]);
      this.initializedOnce = true;
      return true;
    })().catch((error: unknown) => {
      this.afterInitFailure(error, generation);
      return false;
    });
  }

  /** A failed initialization: a consumer restart, or `onFatal` for an error no retry can heal. */
  private afterInitFailure(error: unknown, generation: number): void {
    // A later assignment or restart has closed these tasks and initializes its own.
    if (generation !== this.initGeneration) return;
    const fatal = !canHeal(error);
    this.log(
      'error',
      'init_failed',
      fatal ? 'initializing partitions failed; giving up' : 'initializing partitions failed',
      { err: message(error), fatal },
    );
    if (this.stopping || this.consumer === null) return;
    if (fatal) this.options.onFatal(error);
    else void this.restartConsumer(this.consumer);
  }

  /**
   * Makes the initialization in progress (if any) an older one, and settles when it has: a
   * task is closed only once its fencing and restore are over, never under them (its producer
   * would be disconnected under its fencing transaction).
   */
  private supersedeInitialization(): Promise<boolean> {
    this.initGeneration++;
    return this.readyPromise;
  }

  /**
   * Commits what the task has processed (if it still owns the partition; a new owner has
   * fenced it otherwise, and starts from the last commit), then drops its producer.
   */
  private async closeTask(task: Task<S, N>): Promise<void> {
    // No more work from `update` (a caller may still hold the task): what is pending commits
    // below, with the producer that is about to close.
    task.initialized = false;
    await task.chain.catch(() => undefined);
    await this.flush(task).catch(() => undefined);
    task.closed = true;
    const producer = task.producer;
    task.producer = null;
    await producer?.disconnect().catch(() => undefined);
  }

  /**
   * Fences the previous owner of each partition (InitProducerId on its transactional id
   * aborts its open transaction and bumps the epoch), then reads the committed offsets
   * (final now), then the changelogs up to this restore's marker, and restores each task.
   */
  private async initTasks(tasks: readonly Task<S, N>[]): Promise<void> {
    if (tasks.length === 0) return;
    const started = Date.now();
    const nonce = randomUUID();
    const { handlers } = this.options;
    await Promise.all(tasks.map((task) => this.fence(task, nonce)));
    const committed = await this.committedOffsets([...new Set(tasks.map((t) => t.topic))]);
    const changelogs = tasks
      .map((task) => handlers.changelogOf(task.state))
      .filter((c): c is ChangelogPartition => c !== null);
    const entries =
      changelogs.length === 0
        ? new Map<string, Map<string, string | null>>()
        : await readChangelog(this.kafka, this.requireAdmin(), changelogs, {
            marker: nonce,
            groupId: `${this.options.groupId}.restore.${nonce}`,
            timeoutMs: this.options.restoreTimeoutMs,
          });
    for (const task of tasks) {
      const offset = committed.get(taskKey(task.topic, task.partition)) ?? {
        offset: 0n,
        metadata: null,
      };
      task.minOffset = offset.offset;
      task.committedUpto = offset.offset;
      // Work processed and not committed came from the state being discarded: it comes again.
      task.pending = null;
      task.pendingUpto = null;
      task.pendingRecords = 0;
      const changelog = handlers.changelogOf(task.state);
      const restored =
        changelog === null
          ? null
          : entries.get(changelogPartitionKey(changelog.topic, changelog.partition));
      if (restored === undefined) throw new Error(`no changelog read for ${changelog?.topic}`);
      handlers.restore(task.state, offset, restored);
      if (changelog !== null) {
        this.log('info', 'restored', 'state restored from the changelog', {
          topic: changelog.topic,
          partition: changelog.partition,
          keys: restored?.size ?? 0,
        });
      }
    }
    for (const task of tasks) {
      task.initialized = true;
      task.dirty = false;
    }
    this.log('info', 'partitions_ready', 'partitions fenced and restored', {
      tasks: tasks.length,
      changelogs: changelogs.length,
      ms: Date.now() - started,
    });
  }

  private async fence(task: Task<S, N>, nonce: string): Promise<void> {
    if (task.producer !== null) {
      await task.producer.disconnect().catch(() => undefined);
      task.producer = null;
    }
    const changelog = this.options.handlers.changelogOf(task.state);
    const marker =
      changelog === null
        ? null
        : {
            topic: changelog.topic,
            messages: [{ key: RESTORE_MARKER_KEY, value: nonce, partition: changelog.partition }],
          };
    if (!this.options.transactions) {
      if (marker !== null) await this.requirePlain().send({ ...marker, acks: -1 });
      return;
    }
    const producer = createTransactionalProducer(this.kafka, {
      transactionalId: this.options.transactionalId(task.topic, task.partition),
      transactionTimeoutMs: this.options.transactionTimeoutMs,
    });
    await producer.connect();
    task.producer = producer;
    // The first transaction runs InitProducerId: this is the fencing point.
    await withTransaction(producer, async (tx) => {
      if (marker !== null) await tx.send(marker);
    });
  }

  private async committedOffsets(topics: readonly string[]): Promise<Map<string, CommittedOffset>> {
    const out = new Map<string, CommittedOffset>();
    const result = await this.requireAdmin().fetchOffsets({
      groupId: this.options.groupId,
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

  // ---- batches and transactions ----------------------------------------------------------

  /**
   * Processes a batch and starts its transaction, or leaves the work pending for the next
   * one while a transaction is in flight; waits for that transaction only when the pending
   * work holds `maxPendingRecords` input records. A failure leaves the task dirty: it is
   * re-initialized (with backoff), which seeks the consumer back to the committed offset.
   */
  private async handleBatch(
    task: Task<S, N>,
    batch: FetchedBatch,
    isStale: () => boolean,
  ): Promise<void> {
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
    const committing = this.flushOrRecover(task);
    const limit = this.options.maxPendingRecords ?? DEFAULT_MAX_PENDING_RECORDS;
    if (task.pending !== null && task.pendingRecords >= limit) await committing;
  }

  private async processBatch(task: Task<S, N>, batch: FetchedBatch): Promise<void> {
    const { handlers } = this.options;
    handlers.fetched?.(task.state, { caughtUp: batch.offsetLag() === '0' });
    let upto = BigInt(batch.lastOffset()) + 1n;
    if (upto <= task.minOffset) return; // all of it was committed by a previous owner
    const first = batch.messages[0];
    let records =
      first !== undefined && BigInt(first.offset) < task.minOffset
        ? batch.messages.filter((m) => BigInt(m.offset) >= task.minOffset)
        : batch.messages;
    const end = this.options.endOffset?.(task.topic, task.partition) ?? null;
    if (end !== null) {
      // A bounded input ends at `end`; later records are the next run's.
      if (upto > end) {
        upto = end;
        records = records.filter((m) => BigInt(m.offset) < end);
      }
      if (upto <= (task.pendingUpto ?? task.committedUpto)) return;
    }
    try {
      // The only await: from here on the batch is processed in one synchronous step, so a
      // transaction starting meanwhile never takes half of it.
      await handlers.prepare?.(task.state, records);
      handlers.process(task.state, records, pendingOutbox(task));
      task.pendingUpto = upto;
      task.pendingRecords += records.length;
    } catch (error) {
      task.dirty = true;
      throw error;
    }
  }

  /**
   * Commits the task's pending work, and then whatever was processed meanwhile, one
   * transaction at a time. A failure marks the task dirty and rejects.
   */
  private async commitPending(task: Task<S, N>): Promise<void> {
    try {
      while (task.pending !== null && !task.dirty) {
        const outbox = task.pending;
        const upto = task.pendingUpto;
        task.pending = null;
        task.pendingUpto = null;
        task.pendingRecords = 0;
        const metadata = this.options.handlers.seal(task.state, outbox, upto);
        this.writeChangelog(task, outbox);
        await this.commit(task, outbox, upto, metadata);
        if (upto !== null) task.committedUpto = upto;
        this.options.onCommitted?.(task.state, outbox);
      }
    } catch (error) {
      task.dirty = true;
      task.pending = null;
      task.pendingUpto = null;
      task.pendingRecords = 0;
      throw error;
    }
  }

  /** The state's changes as they stand when the transaction starts. */
  private writeChangelog(task: Task<S, N>, outbox: Outbox<N>): void {
    const changelog = this.options.handlers.changelogOf(task.state);
    if (changelog === null) return;
    for (const entry of this.options.handlers.takeChangelog?.(task.state) ?? []) {
      outbox.push(changelog.topic, {
        key: entry.key,
        value: entry.value,
        partition: changelog.partition,
      });
    }
  }

  /**
   * One transaction: the outbox, and (when `upto` is given) the consumed offset. Without
   * transactions: send, then commit the offset through the consumer (at-least-once).
   */
  private async commit(
    task: Task<S, N>,
    outbox: Outbox<N>,
    upto: bigint | null,
    metadata: string | null,
  ): Promise<void> {
    const requests = chunkRequests(outbox.messages, MAX_REQUEST_BYTES, MAX_REQUEST_MESSAGES);
    const offset =
      upto === null ? null : { partition: task.partition, offset: upto.toString(), metadata };
    const compression = compressionCodec(this.options.kafka);
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      if (this.options.transactions) {
        const producer = task.producer;
        if (producer === null) throw new Error(`${task.topic}[${task.partition}] has no producer`);
        await withTransaction(producer, async (tx) => {
          for (const topicMessages of requests) {
            await tx.sendBatch({ topicMessages, compression });
            this.options.afterSend?.(task.state, outbox);
          }
          if (offset !== null) {
            await tx.sendOffsets({
              consumerGroupId: this.options.groupId,
              topics: [{ topic: task.topic, partitions: [offset] }],
            });
          }
        });
      } else {
        for (const topicMessages of requests) {
          await this.requirePlain().sendBatch({ topicMessages, acks: -1, compression });
        }
        if (offset !== null) await this.consumer?.commitOffsets([{ topic: task.topic, ...offset }]);
      }
      ok = true;
      this.transactionCount++;
    } finally {
      this.options.onTransaction?.(Number(process.hrtime.bigint() - started) / 1e9, ok);
    }
  }

  // ---- failures --------------------------------------------------------------------------

  /**
   * Not awaited by the task's chain: the recovery is queued on that chain, behind it, and
   * retried with backoff until it succeeds. The consumer has moved past the failed batch,
   * so no later batch may come to trigger it (an idle partition, a broker restart).
   */
  private afterFailure(task: Task<S, N>, error: unknown): void {
    if (this.stopping) return;
    this.log('warn', 'task_failed', 'batch or transaction failed; re-initializing the task', {
      topic: task.topic,
      partition: task.partition,
      err: message(error),
    });
    if (task.recovering) return;
    task.recovering = true;
    void this.recoverWithBackoff(task).finally(() => (task.recovering = false));
  }

  private async recoverWithBackoff(task: Task<S, N>): Promise<void> {
    const current = (): boolean =>
      !this.stopping && this.taskMap.get(taskKey(task.topic, task.partition)) === task;
    for (let attempt = 1; task.dirty && current(); attempt++) {
      try {
        await this.serialize(task, async () => {
          if (task.dirty && current()) await this.recover(task);
        });
      } catch (e) {
        this.log('warn', 'recover_failed', 're-initializing the task failed; retrying', {
          topic: task.topic,
          partition: task.partition,
          attempt,
          err: message(e),
        });
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, CONSUMER_RESTART_BACKOFF)));
      }
    }
  }

  /**
   * After a failed batch or transaction: the state in memory is ahead of Kafka. Waits for
   * the transaction in flight, re-initializes the task (fence, committed offset, restore),
   * and moves the consumer back to the committed offset: batches after it were handed over
   * already and must come again.
   */
  private async recover(task: Task<S, N>): Promise<void> {
    await task.inflight?.catch(() => undefined);
    await this.initTasks([task]);
    task.generation++;
    this.consumer?.seek({
      topic: task.topic,
      partition: task.partition,
      offset: task.minOffset.toString(),
    });
    this.log(
      'warn',
      'task_recovered',
      'task re-initialized after a failure; consuming again from its committed offset',
      { topic: task.topic, partition: task.partition, offset: task.minOffset.toString() },
    );
  }

  // ---- helpers ---------------------------------------------------------------------------

  private serialize<T>(task: Task<S, N>, work: () => Promise<T>): Promise<T> {
    const next = task.chain.then(work);
    task.chain = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private async awaitWithHeartbeat<T>(
    promise: Promise<T>,
    heartbeat: () => Promise<void>,
  ): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    while (!settled) {
      await Promise.race([watched, new Promise((r) => setTimeout(r, 1_000))]);
      if (!settled) await heartbeat().catch(() => undefined);
    }
    return watched;
  }

  private log(
    level: 'info' | 'warn' | 'error',
    event: string,
    text: string,
    fields: object = {},
  ): void {
    this.options.logger[level]({ event: `${this.options.logPrefix}.${event}`, ...fields }, text);
  }

  private requireAdmin(): KafkaAdmin {
    if (this.admin === null) throw new Error('stream task runtime not started');
    return this.admin;
  }

  private requirePlain(): KafkaProducer {
    if (this.plainProducer === null) throw new Error('no at-least-once producer');
    return this.plainProducer;
  }
}

function newTask<S, N>(topic: string, partition: number, state: S): Task<S, N> {
  return {
    topic,
    partition,
    state,
    producer: null,
    minOffset: 0n,
    committedUpto: 0n,
    initialized: false,
    closed: false,
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
}

/** The outbox of the task's next transaction. */
const pendingOutbox = <S, N>(task: Task<S, N>): Outbox<N> => (task.pending ??= new Outbox<N>());
