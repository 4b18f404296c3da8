import { Logger } from '@nestjs/common';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { extractTraceContext, isSampledTraceparent } from '@platform/observability';
import {
  AvroSerde,
  isSerdeError,
  type SchemaInput,
  type SchemaLookup,
} from '@platform/schema-registry';
import { backoffDelay, errorCode, errorText, isRetriable, type BackoffOptions } from './backoff';
import { canHeal, restartWithBackoff } from './consumer-restart';
import type { DeadLetter, DeadLetterSink } from './dead-letter';
import type {
  BatchPayload,
  ConsumedMessage,
  ConsumerOptions,
  KafkaClient,
  KafkaConsumer,
  RecordHeaders,
} from './kafka-port';
import { MessagingError, toMessagingError } from './messaging.error';

/** A Kafka record with its value decoded from Avro (Confluent wire format). */
export interface DecodedRecord<V = unknown> {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset, as a decimal string (it can exceed 2^53). */
  readonly offset: string;
  /** The key as UTF-8 text (keys are entity ids), or null. */
  readonly key: string | null;
  readonly value: V;
  /** Headers as UTF-8 text; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  /** Record timestamp, epoch ms. */
  readonly timestamp: number;
  readonly schemaId: number;
  /** The bytes as they were read, for dead letters and re-publishing. */
  readonly raw: {
    readonly key: Buffer | null;
    readonly value: Buffer | null;
    readonly headers: RecordHeaders;
  };
}

/** A record the handler gives up on: it goes to the dead-letter topic. */
export interface RecordFailure {
  readonly record: DecodedRecord;
  readonly error: unknown;
}

/** What a handler may return: records that failed for good. The rest count as done. */
export interface BatchResult {
  readonly failures?: readonly RecordFailure[];
}

/** Thrown by a handler to say "these records failed for good, the rest are done". */
export class RecordFailuresError extends Error {
  override readonly name = 'RecordFailuresError';
  constructor(readonly failures: readonly RecordFailure[]) {
    super(`${failures.length} record(s) failed`);
  }
}

export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  /** 1 on the first try of this batch, then 2, 3, ... on retries. */
  readonly attempt: number;
  /** Keeps the group membership alive during long work (a background one runs too). */
  heartbeat(): Promise<void>;
  /** False once `stop()` was called: wrap up. */
  isRunning(): boolean;
  /** True when the partition was reassigned or seeked: the work will be redone elsewhere. */
  isStale(): boolean;
}

export type BatchHandler<V = unknown> = (
  records: readonly DecodedRecord<V>[],
  context: BatchContext,
) => Promise<BatchResult | void>;

/** Reads trace context (or anything) out of a record's headers before the handler runs. */
export type HeadersExtractor = (
  headers: Readonly<Record<string, string>>,
  record: DecodedRecord,
) => void;

export interface BatchConsumerOptions<V = unknown> {
  readonly kafka: Pick<KafkaClient, 'consumer'>;
  readonly groupId: string;
  /** Topic names, or a pattern such as `/^events\./` (matched against topics existing at start). */
  readonly topics: readonly string[] | RegExp;
  /** Schema lookup for decoding (the registry client). */
  readonly registry: SchemaLookup;
  /**
   * The serde to decode with, when the handler shares its cache of writer schemas
   * (`decodedFields`); default: one of its own over `registry`.
   */
  readonly serde?: AvroSerde;
  readonly deadLetters: DeadLetterSink;
  readonly handleBatch: BatchHandler<V>;
  /** Decode into this reader schema instead of the writer's (schema evolution). */
  readonly readerSchema?: (topic: string) => SchemaInput | undefined;
  readonly headersHook?: HeadersExtractor;
  /** Where a group with no committed offset starts. Default false (latest). */
  readonly fromBeginning?: boolean;
  /** Skip records of aborted transactions. Default true. */
  readonly readCommitted?: boolean;
  /** Backoff between retries of a batch whose handler threw a retriable error. */
  readonly retry?: BackoffOptions;
  /** Backoff between attempts to start the consumer again after a crash that can heal. */
  readonly restartBackoff?: BackoffOptions;
  /** Background heartbeat while a batch is handled or waits for a retry. Default 3 s. */
  readonly heartbeatEveryMs?: number;
  /** Passed to the Kafka consumer (sessionTimeout, maxBytesPerPartition, ...). */
  readonly consumerConfig?: Omit<ConsumerOptions, 'groupId' | 'readUncommitted'>;
  /** Default 1: partitions are handled one at a time. */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Default false. When true, a batch is handed to the handler and kafkajs goes on fetching
   * (and this decodes) the next one while the handler works: fetch and decode overlap the
   * write. A partition's next batch reaches the handler only after the previous one was
   * handled and committed, so per partition the order of handling and of commits holds,
   * and nothing is committed before it was handled.
   */
  readonly pipelined?: boolean;
  /**
   * Pipelined only: topics whose records may be handled in any order (idempotent inserts,
   * such as events stored by their id). Their next batch is handed to the handler while the
   * previous one is still handled (two at most per partition), so consecutive writes
   * overlap; commits stay in order, and a batch after an abandoned one is not committed.
   */
  readonly unordered?: (topic: string) => boolean;
  /**
   * Fields to decode of a topic's records, when the handler reads the rest from the raw
   * bytes (`raw.value`): the value holds only these (`AvroSerde.projection`), so no string
   * is built for the others. Undefined for a topic: its records are decoded whole.
   */
  readonly decodedFields?: (topic: string) => readonly string[] | undefined;
}

export interface BatchConsumerStats {
  readonly batches: number;
  readonly records: number;
  readonly deadLettered: number;
  readonly retries: number;
  readonly commits: number;
}

/**
 * Splits a kafkajs batch into decoded records and dead letters for undecodable ones. The
 * writer schemas the batch needs are fetched once (cached by id), then every record is
 * decoded synchronously: one await per batch, not one per record.
 */
export async function decodeBatch(
  serde: Pick<AvroSerde, 'loadWriterSchemas' | 'decodeSync'>,
  topic: string,
  partition: number,
  messages: readonly ConsumedMessage[],
  readerSchema?: SchemaInput,
  decode: (bytes: Buffer) => unknown = (bytes) => serde.decodeSync(bytes, readerSchema),
): Promise<{ records: DecodedRecord[]; deadLetters: DeadLetter[] }> {
  // A registry outage can heal: this rejects and the caller retries the batch.
  await serde.loadWriterSchemas(messages.map((m) => m.value));
  const records: DecodedRecord[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const m of messages) {
    const raw = { key: m.key ?? null, value: m.value ?? null, headers: m.headers ?? {} };
    try {
      const bytes = m.value ?? Buffer.alloc(0);
      const value = decode(bytes);
      records.push({
        topic,
        partition,
        offset: m.offset,
        key: m.key === null || m.key === undefined ? null : m.key.toString('utf8'),
        value,
        headers: headerText(m.headers),
        timestamp: Number(m.timestamp),
        schemaId: bytes.readUInt32BE(1),
        raw,
      });
    } catch (e) {
      if (!isSerdeError(e) || e.retriable) throw e;
      deadLetters.push(toDeadLetter(raw, { topic, partition, offset: m.offset }, e));
    }
  }
  return { records, deadLetters };
}

const tracer = trace.getTracer('@platform/messaging');

/** Ends the records' spans: an error for the dead-lettered ones, or for all on `retry`. */
function endSpans(
  spans: Map<DecodedRecord, Span> | undefined,
  failures: readonly RecordFailure[],
  retry?: unknown,
): void {
  if (spans === undefined) return;
  for (const { record, error } of failures) {
    spans.get(record)?.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) });
  }
  for (const span of spans.values()) {
    if (retry !== undefined)
      span.setStatus({ code: SpanStatusCode.ERROR, message: `retried: ${errorText(retry)}` });
    span.end();
  }
}

/** The headers of a record that has none: one frozen object shared by all of them. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export function headerText(headers: RecordHeaders | undefined): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    out ??= {};
    out[name] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out ?? NO_HEADERS;
}

function toDeadLetter(
  raw: DecodedRecord['raw'],
  source: DeadLetter['source'],
  error: unknown,
): DeadLetter {
  return {
    key: raw.key,
    value: raw.value,
    headers: raw.headers,
    source,
    error: {
      code: errorCode(error, 'HANDLER_FAILED'),
      message: errorText(error),
      retriable: isRetriable(error),
    },
  };
}

/**
 * A consumer-group runner that hands decoded batches to a handler and commits only what the
 * handler finished.
 *
 * For each kafkajs batch (one partition): decode every record; undecodable ones
 * (`SerdeError`) become dead letters. The handler gets the rest. Then:
 * - it returns (optionally with `failures`) → failures become dead letters, dead letters are
 *   published, then the batch's offsets are resolved and committed;
 * - it throws `RecordFailuresError` → same as returning those failures;
 * - it throws a retriable error (`retriable: true`) → the same batch is retried after a
 *   capped exponential backoff, heartbeating meanwhile; nothing is committed and no later
 *   record of the partition is handled before it, so order holds;
 * - it throws anything else → every record of the batch becomes a dead letter with that
 *   error, and the consumer moves on.
 *
 * Auto-commit is off. `stop()` lets the batch in hand finish and commit (a batch waiting
 * for a retry is abandoned uncommitted, to be redelivered), then leaves the group.
 *
 * kafkajs restarts its consumer after most errors, but not after some that a broker restart
 * causes (`KafkaJSGroupCoordinatorNotFound` is non-retriable to it). After a crash it leaves
 * alone, if the error can heal (`canHeal`: transient), a new consumer joins the
 * group with backoff and starts from the committed offsets; the crashed one's batches in
 * hand are abandoned uncommitted.
 */
export class BatchConsumer<V = unknown> {
  private readonly logger = new Logger(BatchConsumer.name);
  private readonly options: BatchConsumerOptions<V>;
  /** Replaced when a crash that kafkajs does not recover from is restarted here. */
  private consumer: KafkaConsumer;
  private restarting: KafkaConsumer | undefined;
  private readonly serde: AvroSerde;
  private readonly projections = new Map<string, ((bytes: Buffer) => unknown) | undefined>();
  private stopping = false;
  private running = false;
  /**
   * Pipelined: per partition, the handling of its last batch handed over: null once it was
   * committed, or the offset to fetch again from when it was abandoned uncommitted.
   */
  private tails = new Map<string, Promise<string | null>>();
  /** Pipelined, unordered topics: the handling of the batch before the last one. */
  private earlier = new Map<string, Promise<string | null>>();
  private crash: Error | undefined;
  private stats = { batches: 0, records: 0, deadLettered: 0, retries: 0, commits: 0 };

  constructor(options: BatchConsumerOptions<V>) {
    this.options = options;
    this.serde = options.serde ?? new AvroSerde(options.registry);
    this.consumer = this.createConsumer();
  }

  private createConsumer(): KafkaConsumer {
    const { options } = this;
    const consumer = options.kafka.consumer({
      ...options.consumerConfig,
      groupId: options.groupId,
      readUncommitted: options.readCommitted === false,
    });
    // A new generation starts from the committed offsets: earlier hand-overs do not bind it.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.tails = new Map();
      this.earlier = new Map();
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.crash = error;
      const heals = !restart && !this.stopping && canHeal(error);
      this.logger.error(
        JSON.stringify({
          event: 'consumer.crash',
          groupId: options.groupId,
          error: error.message,
          restart: restart ? 'by the client' : heals ? 'by the consumer' : 'none',
        }),
      );
      if (heals) void this.restartAfterCrash(consumer);
    });
    return consumer;
  }

  /** Starts a new consumer in place of `crashed`, with backoff, until one runs or `stop()`. */
  private async restartAfterCrash(crashed: KafkaConsumer): Promise<void> {
    if (this.consumer !== crashed || this.restarting === crashed) return;
    this.restarting = crashed;
    this.running = false;
    const attempt = await restartWithBackoff({
      backoff: this.options.restartBackoff,
      stopped: () => this.stopping,
      attempt: async () => {
        // The crashed consumer, or the one a failed attempt left half started.
        await this.consumer.disconnect().catch(() => undefined);
        this.tails = new Map();
        this.earlier = new Map();
        this.consumer = this.createConsumer();
        await this.start();
      },
      failed: (error, attempt) => {
        this.logger.warn(
          JSON.stringify({ event: 'consumer.restart_failed', attempt, error: errorText(error) }),
        );
        return true;
      },
    });
    if (attempt === undefined) return;
    // stop() came while it started: stop() saw no running consumer to stop.
    if (this.stopping) await this.consumer.disconnect().catch(() => undefined);
    else this.logger.log(JSON.stringify({ event: 'consumer.restarted', attempt }));
  }

  getStats(): BatchConsumerStats {
    return { ...this.stats };
  }

  /** The last error that crashed the kafkajs runner, if any (kafkajs restarts on retriable ones). */
  lastCrash(): Error | undefined {
    return this.crash;
  }

  async start(): Promise<void> {
    const { topics } = this.options;
    const consumer = this.consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: topics instanceof RegExp ? [topics] : [...topics],
        fromBeginning: this.options.fromBeginning ?? false,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.eachBatch(payload, consumer),
      });
    } catch (e) {
      throw toMessagingError(e, `consumer ${this.options.groupId} start`);
    }
    this.running = true;
  }

  /** Finishes the batch in hand (and commits it), then disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      // Pipelined batches in hand finish and commit while the group is still joined.
      await Promise.all(this.tails.values());
      if (this.running) await this.consumer.stop();
    } finally {
      this.running = false;
      await this.consumer.disconnect();
    }
  }

  /** `consumer`: the one that fetched the batch; seeks go to it, never to a replacement. */
  private async eachBatch(payload: BatchPayload, consumer: KafkaConsumer): Promise<void> {
    if (payload.batch.messages.length === 0) return;
    const beat = this.heartbeatWhile(payload);
    try {
      if (this.options.pipelined === true) {
        await this.handOver(payload, consumer);
        return;
      }
      const outcome = await this.handleWithRetries(payload);
      if (outcome !== undefined) {
        // Resolved here, not as it commits: a pipelined batch is resolved when handed over,
        // and resolving it again at its commit would move the fetch position back below the
        // batches handed over since (kafkajs would fetch them again).
        payload.resolveOffset((payload.batch.messages.at(-1) as ConsumedMessage).offset);
        await this.commit(payload, outcome);
      }
    } finally {
      clearInterval(beat);
    }
  }

  /**
   * Pipelined: decodes this batch, waits until the partition's previous batch was handled
   * and committed (for an unordered topic, the one before it), then starts handling this
   * one in the background and returns, so that kafkajs fetches (and this decodes) the next
   * batch while this one is handled.
   */
  private async handOver(payload: BatchPayload, consumer: KafkaConsumer): Promise<void> {
    const { topic, partition, messages } = payload.batch;
    const key = `${topic}\u0000${partition}`;
    // A registry outage leaves the decode to the retries of the handling.
    const decoded = await this.decode(payload).catch(() => undefined);
    const previous = this.tails.get(key);
    const unordered = this.options.unordered?.(topic) === true;
    // The batch waited for was abandoned uncommitted (a stop, a rebalance, a broker that went
    // away): nothing after it may be committed. Unless the consumer stops, fetch again from
    // that batch's first offset, everything before it being committed.
    const waitFor = unordered ? this.earlier.get(key) : previous;
    const resumeFrom = waitFor === undefined ? null : await waitFor;
    if (resumeFrom !== null) {
      this.tails.delete(key);
      this.earlier.delete(key);
      if (!this.stopping && payload.isRunning()) {
        consumer.seek({ topic, partition, offset: resumeFrom });
      }
      return;
    }
    if (!this.live(payload)) return;
    const last = messages[messages.length - 1] as ConsumedMessage;
    payload.resolveOffset(last.offset);
    const firstOffset = payload.batch.firstOffset() ?? (messages[0] as ConsumedMessage).offset;
    const task = this.handleWithRetries(payload, decoded)
      .then(async (outcome): Promise<string | null> => {
        // Unordered: handled beside the previous batch, committed after it, and not at all
        // when it was abandoned (this one is fetched again from there).
        const before = unordered && previous !== undefined ? await previous : null;
        if (before !== null) return before;
        if (outcome === undefined) return this.abandon(consumer, topic, partition, firstOffset);
        await this.commit(payload, outcome);
        return null;
      })
      .catch((e: unknown) => {
        this.logger.warn(
          JSON.stringify({
            event: 'consumer.batch_abandoned',
            topic,
            partition,
            firstOffset: payload.batch.firstOffset(),
            error: errorText(e),
          }),
        );
        return this.abandon(consumer, topic, partition, firstOffset);
      });
    if (unordered && previous !== undefined) this.earlier.set(key, previous);
    else this.earlier.delete(key);
    this.tails.set(key, task);
  }

  /**
   * A batch given up uncommitted: unless the consumer stops, fetch the partition again from
   * its first offset at once (kafkajs had moved past it), so no record waits for new input.
   */
  private abandon(
    consumer: KafkaConsumer,
    topic: string,
    partition: number,
    firstOffset: string,
  ): string {
    // A consumer replaced after a crash starts from the committed offsets by itself.
    if (!this.stopping && this.running && consumer === this.consumer) {
      try {
        consumer.seek({ topic, partition, offset: firstOffset });
      } catch {
        // Not running any more: the next start begins at the committed offset anyway.
      }
    }
    return firstOffset;
  }

  private live(payload: BatchPayload): boolean {
    return payload.isRunning() && !payload.isStale() && !this.stopping;
  }

  /** Background heartbeats while a batch is handled or waits for a retry. */
  private heartbeatWhile(payload: BatchPayload): NodeJS.Timeout {
    const { topic, partition } = payload.batch;
    return setInterval(() => {
      payload.heartbeat().catch((e: unknown) => {
        this.logger.warn(
          JSON.stringify({
            event: 'consumer.heartbeat_failed',
            topic,
            partition,
            error: errorText(e),
          }),
        );
      });
    }, this.options.heartbeatEveryMs ?? 3_000);
  }

  /**
   * Handles the batch, retrying retriable failures with backoff; undefined when it was
   * abandoned (the consumer stops or the partition moved) and must not be committed.
   */
  private async handleWithRetries(
    payload: BatchPayload,
    decoded?: Decoded,
  ): Promise<Decoded | undefined> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const live = (): boolean => this.live(payload);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.handleOnce(payload, attempt, attempt === 1 ? decoded : undefined);
      } catch (e) {
        if (!isRetriable(e)) throw e;
        if (!live()) return undefined; // abandoned uncommitted: redelivered after restart/rebalance
        this.stats.retries += 1;
        const delay = backoffDelay(attempt, this.options.retry);
        this.logger.warn(
          JSON.stringify({
            event: 'consumer.batch_retry',
            topic,
            partition,
            firstOffset: batch.firstOffset(),
            attempt,
            delayMs: delay,
            code: errorCode(e, 'UNKNOWN'),
            error: errorText(e),
          }),
        );
        await this.sleep(delay, live);
        if (!live()) return undefined;
      }
    }
  }

  /** Publishes the batch's dead letters, then commits past its last offset. */
  private async commit(payload: BatchPayload, outcome: Decoded): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    await this.publishDeadLetters(outcome.deadLetters, () => this.live(payload));
    // batch.lastOffset() covers a trailing transaction marker that never reaches us.
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    // The payload's commit works while stopping too (the consumer's own commitOffsets
    // silently does nothing once stop() was called).
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset: next }] }],
    });
    this.stats.commits += 1;
    this.stats.batches += 1;
    this.stats.records += batch.messages.length;
    this.stats.deadLettered += outcome.deadLetters.length;
  }

  private decode(payload: BatchPayload): Promise<Decoded> {
    const { topic, partition, messages } = payload.batch;
    return decodeBatch(
      this.serde,
      topic,
      partition,
      messages,
      this.options.readerSchema?.(topic),
      this.projectionOf(topic),
    );
  }

  /** The decoder of a topic's `decodedFields`, built once per topic; undefined: whole. */
  private projectionOf(topic: string): ((bytes: Buffer) => unknown) | undefined {
    if (!this.projections.has(topic)) {
      const fields = this.options.decodedFields?.(topic);
      this.projections.set(topic, fields === undefined ? undefined : this.serde.projection(fields));
    }
    return this.projections.get(topic);
  }

  /** Decodes and handles once; returns the dead letters to publish, or throws a retriable error. */
  private async handleOnce(
    payload: BatchPayload,
    attempt: number,
    decoded?: Decoded,
  ): Promise<Decoded> {
    const { topic, partition } = payload.batch;
    const { records, deadLetters } = decoded ?? (await this.decode(payload));
    const hook = this.options.headersHook;
    if (hook !== undefined) for (const r of records) hook(r.headers, r);
    if (records.length === 0) return { records, deadLetters };

    const context: BatchContext = {
      topic,
      partition,
      attempt,
      heartbeat: () => payload.heartbeat(),
      isRunning: () => payload.isRunning() && !this.stopping,
      isStale: () => payload.isStale(),
    };
    let failures: readonly RecordFailure[] = [];
    const spans = this.startSpans(records, attempt);
    try {
      const result = await this.options.handleBatch(records as DecodedRecord<V>[], context);
      failures = result?.failures ?? [];
    } catch (e) {
      if (e instanceof RecordFailuresError) failures = e.failures;
      else if (isRetriable(e)) {
        endSpans(spans, [], e);
        throw e;
      } else failures = records.map((record) => ({ record, error: e }));
    }
    endSpans(spans, failures);
    for (const f of failures) {
      deadLetters.push(
        toDeadLetter(
          f.record.raw,
          { topic: f.record.topic, partition: f.record.partition, offset: f.record.offset },
          f.error,
        ),
      );
    }
    // Keep the dead-letter topic in source order.
    deadLetters.sort((a, b) => compareOffsets(a.source.offset, b.source.offset));
    return { records, deadLetters };
  }

  /**
   * A consumer span per record of a sampled trace, child of the context its producer put in
   * the headers, so the trace runs on through this handler. Records of unsampled traces (most,
   * with a ratio sampler at the edge) cost one header lookup.
   */
  private startSpans(
    records: readonly DecodedRecord[],
    attempt: number,
  ): Map<DecodedRecord, Span> | undefined {
    let spans: Map<DecodedRecord, Span> | undefined;
    for (const record of records) {
      if (!isSampledTraceparent(record.headers['traceparent'])) continue;
      spans ??= new Map();
      spans.set(
        record,
        tracer.startSpan(
          `process ${record.topic}`,
          {
            kind: SpanKind.CONSUMER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'process',
              'messaging.destination.name': record.topic,
              'messaging.destination.partition.id': String(record.partition),
              'messaging.kafka.offset': Number(record.offset),
              'messaging.consumer.group.name': this.options.groupId,
              ...(attempt > 1 ? { 'messaging.batch.attempt': attempt } : {}),
            },
          },
          extractTraceContext(record.raw.headers, ROOT_CONTEXT),
        ),
      );
    }
    return spans;
  }

  private async publishDeadLetters(
    letters: readonly DeadLetter[],
    live: () => boolean,
  ): Promise<void> {
    if (letters.length === 0) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.options.deadLetters.publish(letters);
        return;
      } catch (e) {
        const delay = backoffDelay(attempt, this.options.retry);
        this.logger.error(
          JSON.stringify({
            event: 'consumer.dead_letter_failed',
            count: letters.length,
            attempt,
            delayMs: delay,
            error: errorText(e),
          }),
        );
        // Committing without the dead letters would lose them: give up uncommitted instead.
        if (!live()) {
          throw new MessagingError(
            'HANDLER_FAILED',
            `dead letters not published: ${errorText(e)}`,
            {
              retriable: true,
              cause: e,
            },
          );
        }
        await this.sleep(delay, live);
      }
    }
  }

  /** Sleeps up to `ms`, waking early when the batch is no longer live. */
  private async sleep(ms: number, live: () => boolean): Promise<void> {
    const until = performance.now() + ms;
    while (live()) {
      const left = until - performance.now();
      if (left <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 100)));
    }
  }
}

interface Decoded {
  readonly records: DecodedRecord[];
  readonly deadLetters: DeadLetter[];
}

function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
