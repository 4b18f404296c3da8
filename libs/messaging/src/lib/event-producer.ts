import {
  entityOf,
  eventTopic,
  findEventType,
  valueSubject,
  type DomainModel,
  type EventTypeSpec,
  type TopicPrefixes,
} from '@platform/contracts';
import {
  AvroSerde,
  encodeFramed,
  forSchema,
  generateAllSchemas,
  isSerdeError,
  toJson,
  type SchemaLookup,
  type SerdeIssue,
} from '@platform/schema-registry';
import type { Compression, KafkaClient } from './kafka-port';
import { kafkaHealth, type KafkaHealth } from './kafka-health';
import { MessagingError, toMessagingError } from './messaging.error';
import { kafkajsRecordProducer, type ProducerRecord, type RecordProducer } from './record-producer';
import { SendBuffer, type TagReceiver, type TopicBatches } from './send-buffer';
import { MAX_REQUEST_BYTES, recordBytes } from './produce-requests';

/** The registry the producer needs: register schemas, and look them up by id (for the serde). */
export type SchemaRegistrar = {
  register(subject: string, schema: string): Promise<number>;
} & SchemaLookup;

/** Produce metrics port (the observability lib implements it; none by default). */
export interface ProduceMetrics {
  /**
   * Events of one type that one request settled: acknowledged by the broker when `ok`, else
   * failed; one latency per event, from `send` to the outcome, in seconds. A call per type
   * and request, not per event: calls per event were 5 % of the gateway's CPU at batch 100.
   */
  settled(eventType: string, ok: boolean, latenciesSeconds: readonly number[]): void;
}

/** Adds headers to each outgoing record, e.g. to inject trace context. */
export type HeadersHook = (headers: Record<string, string>) => void;

export interface EventProducerOptions {
  readonly kafka: Pick<KafkaClient, 'producer'> & Partial<Pick<KafkaClient, 'admin'>>;
  /**
   * The producer port to write through; default kafkajs on `kafka` (`kafkajsRecordProducer`).
   * `RdkafkaRecordProducer` runs on librdkafka. `kafka` still serves the health check.
   */
  readonly recordProducer?: RecordProducer;
  readonly model: DomainModel;
  readonly prefixes: TopicPrefixes;
  readonly registry: SchemaRegistrar;
  readonly metrics?: ProduceMetrics;
  readonly headersHook?: HeadersHook;
  /** Only for logs and errors; the client id itself is the Kafka client's. */
  readonly clientId?: string;
  /** How long a send waits for others to batch with; default the producer's (kafkajs 5 ms, librdkafka 0). */
  readonly lingerMs?: number;
  /** Messages per topic per dispatch; default the producer's (kafkajs 2,000, librdkafka 5,000). */
  readonly maxBatchSize?: number;
  /**
   * The biggest record (value, key and headers) the broker takes: a bigger event is refused
   * as invalid before anything is sent. Default 1,000,000 bytes, under the broker's default
   * `message.max.bytes` (1 MiB for a batch); raise it with the topics' `max.message.bytes`.
   */
  readonly maxRecordBytes?: number;
  /** Default 30 s: how long `close()` waits for pending sends. */
  readonly closeTimeoutMs?: number;
  /** Record-batch compression of the Kafka producer: pass `compressionCodec(config.kafka)`. Default none. */
  readonly compression?: Compression;
}

export interface ProducerStats {
  /** Events Kafka acknowledged. */
  readonly sent: number;
  /** Events whose produce failed (their `send` rejected). */
  readonly errors: number;
  /** Events refused before sending: unknown type or not valid against the schema. */
  readonly rejected: number;
  /** Events queued or in flight now. */
  readonly pending: number;
}

/** An event that does not match its event type's schema; nothing was sent. */
export class InvalidEventError extends MessagingError {
  readonly eventType: string;
  /** Per field: `{ path: 'revenue', message: 'expected "double", got "abc"' }`. */
  readonly issues: readonly SerdeIssue[];

  constructor(eventType: string, issues: readonly SerdeIssue[], cause?: unknown) {
    const detail = issues.map((i) => `${i.path || '<root>'}: ${i.message}`).join('; ');
    super('INVALID_EVENT', `invalid ${eventType} event: ${detail}`, { retriable: false, cause });
    this.eventType = eventType;
    this.issues = issues;
  }

  /** The fields at fault, e.g. `['revenue', 'currency']`. */
  get fields(): string[] {
    return this.issues.map((i) => i.path);
  }
}

interface TypeBinding {
  readonly spec: EventTypeSpec;
  readonly topic: string;
  readonly schemaId: number;
  readonly type: ReturnType<typeof forSchema>;
  readonly primaryKey: string;
}

/** A record ready to send, with what metrics need: one object per event. */
interface Outgoing extends ProducerRecord {
  readonly eventType: string;
  readonly startedAt: number;
  /** About what the record takes in a record batch. */
  readonly bytes: number;
}

/** Default `maxRecordBytes`. */
export const MAX_RECORD_BYTES = 1_000_000;

type EventRecord = Readonly<Record<string, unknown>>;

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

/** One event of `sendMany`: `key` defaults to its entity's primary key value. */
export interface OutgoingEvent {
  readonly eventType: string;
  readonly event: unknown;
  readonly key?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The partition key of an event when the caller gives none: its entity's primary key value,
 * as a string. Undefined when the event has no usable value there.
 */
export function defaultKey(event: unknown, primaryKey: string): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const value = (event as EventRecord)[primaryKey];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  return undefined;
}

/**
 * Sends domain events to `<prefixes.events>.<type>`, Avro in the Confluent wire format.
 *
 * `start()` registers each event type's generated schema under `<topic>-value` and connects
 * an idempotent producer (acks=all) through the producer port: kafkajs by default, librdkafka
 * when `recordProducer` says so. `send` validates and encodes at
 * once, so an unknown type or an invalid event rejects before anything is queued; valid
 * events are batched (see `SendBuffer`) and each `send` resolves when Kafka acknowledged it,
 * or rejects with the produce error of its batch.
 */
export class EventProducer {
  private readonly options: EventProducerOptions;
  private readonly producer: RecordProducer;
  private readonly serde: AvroSerde;
  private readonly buffer: SendBuffer<Outgoing>;
  private readonly bindings = new Map<string, TypeBinding>();
  private state: 'new' | 'started' | 'closed' = 'new';
  private sent = 0;
  private errors = 0;
  private rejected = 0;

  constructor(options: EventProducerOptions) {
    this.options = options;
    this.serde = new AvroSerde(options.registry);
    this.producer =
      options.recordProducer ?? kafkajsRecordProducer(options.kafka, options.compression);
    this.buffer = new SendBuffer<Outgoing>({
      lingerMs: options.lingerMs ?? this.producer.preferredLingerMs,
      maxBatchSize: options.maxBatchSize ?? this.producer.preferredBatchSize,
      // A topic's share of one dispatch bounds each of its partitions' record batches.
      maxBatchBytes: { max: MAX_REQUEST_BYTES, sizeOf: (record) => record.bytes },
      maxConcurrentDispatches: this.producer.maxConcurrentSends,
      dispatch: (batches) => this.dispatch(batches),
      onSettled: (batches, error) => this.settled(batches, error),
    });
  }

  /** Registers every event type's schema, then connects. */
  async start(): Promise<void> {
    if (this.state === 'closed') throw closedError();
    const schemas = generateAllSchemas(this.options.model);
    for (const spec of this.options.model.eventTypes) {
      const schema = schemas[spec.name];
      if (schema === undefined) continue;
      const topic = eventTopic(this.options.prefixes, spec.name);
      let schemaId: number;
      try {
        schemaId = await this.options.registry.register(valueSubject(topic), toJson(schema));
      } catch (e) {
        throw new MessagingError(
          'SCHEMA_REGISTRATION_FAILED',
          `registering ${valueSubject(topic)}: ${e instanceof Error ? e.message : String(e)}`,
          { retriable: (e as { retriable?: unknown } | null)?.retriable === true, cause: e },
        );
      }
      this.bindings.set(spec.name, {
        spec,
        topic,
        schemaId,
        type: forSchema(schema),
        primaryKey: entityOf(this.options.model, spec).primaryKey,
      });
    }
    try {
      await this.producer.connect();
    } catch (e) {
      throw toMessagingError(e, 'event producer connect');
    }
    this.state = 'started';
  }

  /** The topic an event type goes to. */
  topicOf(eventType: string): string {
    return this.binding(eventType).topic;
  }

  /**
   * Sends one event; resolves when Kafka acknowledged it. `key` defaults to the value of the
   * entity's primary key. Rejects with `UNKNOWN_EVENT_TYPE` or `InvalidEventError`
   * (`INVALID_EVENT`, naming each bad field) before anything is sent. `headers` are read when
   * the record is encoded, not copied (many sends may share one object): leave them unchanged.
   */
  send(
    eventType: string,
    event: unknown,
    key?: string,
    headers?: Readonly<Record<string, string>>,
  ): Promise<void> {
    let prepared: Outgoing;
    let topic: string;
    try {
      const binding = this.binding(eventType);
      topic = binding.topic;
      prepared = this.prepare(binding, event, key, headers);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.buffer.add(topic, prepared);
  }

  /**
   * Sends many events of one type; resolves when all were acknowledged. Validates every
   * event first: one invalid event rejects the whole call (issue paths start with its index,
   * `[3].revenue`) and nothing is sent.
   */
  sendBatch(eventType: string, events: readonly unknown[]): Promise<void> {
    return this.sendMany(events.map((event) => ({ eventType, event })));
  }

  /**
   * Sends many events, of any types, with one promise for all of them (none per event):
   * it resolves when every one was acknowledged, and rejects with the first produce error
   * once all have settled. Validates every event first: an unknown type rejects at once,
   * one invalid event rejects the whole call (issue paths start with its index,
   * `[3].revenue`), and nothing is sent.
   */
  sendMany(events: readonly OutgoingEvent[]): Promise<void> {
    const prepared: Outgoing[] = [];
    const topics: string[] = [];
    const issues: SerdeIssue[] = [];
    let firstCause: unknown;
    let invalidType: string | undefined;
    const startedAt = performance.now();
    try {
      events.forEach((e, i) => {
        const binding = this.binding(e.eventType);
        try {
          prepared.push(this.prepare(binding, e.event, e.key, e.headers, false, startedAt));
          topics.push(binding.topic);
        } catch (error) {
          if (!(error instanceof InvalidEventError)) throw error;
          firstCause ??= error;
          invalidType ??= e.eventType;
          for (const issue of error.issues) {
            issues.push({
              path: `[${i}]${issue.path ? `.${issue.path}` : ''}`,
              message: issue.message,
            });
          }
        }
      });
    } catch (error) {
      return Promise.reject(error);
    }
    if (issues.length > 0) {
      this.rejected += events.length;
      return Promise.reject(new InvalidEventError(invalidType ?? '', issues, firstCause));
    }
    return this.buffer.addEach(prepared, topics);
  }

  /**
   * Sends each event and tells `receiver.settled(i, error)` the outcome of `events[i]`, with
   * no promise and no object per event: for a caller that answers for each event (the
   * gateway), where a promise per event was most of what a request kept alive while waiting
   * for Kafka. An event that cannot be sent (unknown type, invalid, producer not started or
   * closed) is settled with its error before this returns; the others once Kafka acknowledged
   * their request, or it failed. `linger: false` sends them at the end of this turn of the
   * event loop instead of after the linger time, for events the caller gathered already.
   */
  sendEach(
    events: readonly OutgoingEvent[],
    receiver: TagReceiver,
    options: { readonly linger?: boolean } = {},
  ): void {
    const prepared: Outgoing[] = [];
    const topics: string[] = [];
    const tags: number[] = [];
    const startedAt = performance.now();
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as OutgoingEvent;
      try {
        const binding = this.binding(e.eventType);
        prepared.push(this.prepare(binding, e.event, e.key, e.headers, true, startedAt));
        topics.push(binding.topic);
        tags.push(i);
      } catch (error) {
        receiver.settled(i, toMessagingError(error, 'produce'));
      }
    }
    this.buffer.addTagged(prepared, topics, tags, receiver, options.linger ?? true);
  }

  /** Waits until everything sent so far has settled; rejects with `FLUSH_TIMEOUT` (how many pending). */
  flush(timeoutMs = 10_000): Promise<void> {
    return this.buffer.flush(timeoutMs);
  }

  getStats(): ProducerStats {
    return {
      sent: this.sent,
      errors: this.errors,
      rejected: this.rejected,
      pending: this.buffer.pending,
    };
  }

  healthCheck(timeoutMs = 2_000): Promise<KafkaHealth> {
    const { kafka } = this.options;
    if (kafka.admin === undefined) {
      return Promise.resolve({ ok: false, latencyMs: 0, error: 'no admin client to probe with' });
    }
    return kafkaHealth(kafka as Pick<KafkaClient, 'admin'>, timeoutMs);
  }

  /** Flushes (up to `closeTimeoutMs`), then disconnects. Later sends reject with `CLOSED`. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    try {
      if (wasStarted) await this.buffer.flush(this.options.closeTimeoutMs ?? 30_000);
    } finally {
      await this.producer.disconnect();
    }
  }

  private binding(eventType: string): TypeBinding {
    if (this.state !== 'started') {
      throw this.state === 'closed'
        ? closedError()
        : new MessagingError('NOT_STARTED', 'EventProducer.send before start()', {
            retriable: false,
          });
    }
    const binding = this.bindings.get(eventType);
    if (binding === undefined) {
      const known = this.options.model.eventTypes.map((e) => e.name).join(', ');
      const exists = findEventType(this.options.model, eventType) !== undefined;
      this.rejected += 1;
      throw new MessagingError(
        'UNKNOWN_EVENT_TYPE',
        exists
          ? `event type "${eventType}" has no registered schema`
          : `unknown event type "${eventType}"; known: ${known}`,
        { retriable: false },
      );
    }
    return binding;
  }

  private prepare(
    binding: TypeBinding,
    event: unknown,
    key: string | undefined,
    headers: Readonly<Record<string, string>> | undefined,
    countRejection = true,
    startedAt = performance.now(),
  ): Outgoing {
    // One pass: encoding rejects what does not fit. Only an invalid event pays for the serde's
    // per-field diagnosis, which names the fields.
    const value =
      encodeFramed(binding.type, binding.schemaId, event) ??
      this.invalid(binding, event, countRejection);
    let all = headers;
    const hook = this.options.headersHook;
    if (hook !== undefined) {
      const own = { ...headers };
      hook(own);
      all = own;
    }
    const recordKey = key ?? defaultKey(event, binding.primaryKey) ?? null;
    const recordHeaders = all === undefined || isEmpty(all) ? undefined : all;
    const bytes = recordBytes(recordKey, value, recordHeaders);
    const maxBytes = this.options.maxRecordBytes ?? MAX_RECORD_BYTES;
    if (bytes > maxBytes) {
      if (countRejection) this.rejected += 1;
      throw new InvalidEventError(binding.spec.name, [
        {
          path: '',
          message: `the event takes ${bytes} bytes as a Kafka record; the limit is ${maxBytes}`,
        },
      ]);
    }
    return {
      key: recordKey,
      value,
      headers: recordHeaders,
      eventType: binding.spec.name,
      startedAt,
      bytes,
    };
  }

  private invalid(binding: TypeBinding, event: unknown, countRejection: boolean): never {
    if (countRejection) this.rejected += 1;
    try {
      this.serde.encode(binding.schemaId, binding.type, event);
    } catch (e) {
      if (isSerdeError(e) && e.issues.length > 0) {
        throw new InvalidEventError(binding.spec.name, e.issues, e);
      }
      throw new InvalidEventError(
        binding.spec.name,
        [{ path: '', message: e instanceof Error ? e.message : String(e) }],
        e,
      );
    }
    throw new InvalidEventError(binding.spec.name, [
      { path: '', message: 'the event could not be encoded' },
    ]);
  }

  private dispatch(batches: TopicBatches<Outgoing>): Promise<void> {
    // An Outgoing is a ProducerRecord: the batches go as they are.
    return this.producer.send(batches);
  }

  private settled(batches: TopicBatches<Outgoing>, error: MessagingError | undefined): void {
    const metrics = this.options.metrics;
    let count = 0;
    for (const out of batches.values()) count += out.length;
    if (error === undefined) this.sent += count;
    else this.errors += count;
    if (metrics === undefined) return;
    const now = performance.now();
    const latencies = new Map<string, number[]>();
    for (const out of batches.values()) {
      for (const o of out) {
        const ofType = latencies.get(o.eventType);
        const latency = (now - o.startedAt) / 1000;
        if (ofType === undefined) latencies.set(o.eventType, [latency]);
        else ofType.push(latency);
      }
    }
    for (const [eventType, ofType] of latencies)
      metrics.settled(eventType, error === undefined, ofType);
  }
}

function closedError(): MessagingError {
  return new MessagingError('CLOSED', 'EventProducer is closed', { retriable: false });
}
