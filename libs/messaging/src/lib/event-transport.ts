import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import {
  BaseRpcContext,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import type { KafkaSettings } from '@platform/config';
import { eventTopic, type TopicPrefixes } from '@platform/contracts';
import type { SchemaLookup } from '@platform/schema-registry';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { BackoffOptions } from './backoff';
import { isRetriable } from './backoff';
import {
  BatchConsumer,
  type BatchContext,
  type BatchResult,
  type DecodedRecord,
  type RecordFailure,
} from './batch-consumer';
import { DeadLetterPublisher } from './dead-letter';
import { topicDefaults } from './domain-topics';
import { createKafka } from './kafka-client';
import { nestLoggerSink, type KafkaLogLevel } from './kafka-logger';

export interface KafkaEventTransportOptions {
  readonly kafka: KafkaSettings;
  /** Where the event topics' writer schemas are looked up (the registry client). */
  readonly registry: SchemaLookup;
  /** The platform's topic prefixes: `@EventPattern('page_view')` reads `<events>.page_view`. */
  readonly topics: TopicPrefixes;
  /** The consumer group: one per service, so each service sees every event once. */
  readonly groupId: string;
  /** Names the dead-letter topic, `<dlq>.<service>`. */
  readonly service: string;
  /** Where a new group starts. Default false (latest). */
  readonly fromBeginning?: boolean;
  /** Backoff between retries of a batch whose handler threw a retriable error. */
  readonly retry?: BackoffOptions;
  /** kafkajs' own log level. Default `warn`. */
  readonly kafkaLogLevel?: KafkaLogLevel;
}

/** What a handler gets with `@Ctx()`: the record as read, and which try of its batch this is. */
export class KafkaEventContext extends BaseRpcContext<[DecodedRecord, number, string]> {
  getRecord(): DecodedRecord {
    return this.args[0];
  }
  /** The event type, as in the pattern. */
  getEventType(): string {
    return this.args[2];
  }
  /** 1 on the first try, then 2, 3, ... when a retriable error made the batch run again. */
  getAttempt(): number {
    return this.args[1];
  }
}

/**
 * Hands a handler's error to the transport as it was thrown. Nest's default filter turns any
 * error that is not an `RpcException` into "Internal server error", which would leave the
 * dead letter without its reason and make a retriable error look permanent.
 */
@Catch()
export class KeepHandlerErrors implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * A Nest microservice transport over the platform's batch consumer, so that a service reads
 * events with `@EventPattern('<event type>')` handlers in its own module:
 *
 * - one consumer group over `<events>.<type>` for each pattern, read_committed, Avro decoded
 *   with the writer's schema from the registry;
 * - a partition's records reach their handlers one at a time, in offset order;
 * - offsets are committed only after every record of the batch was handled;
 * - a handler that throws an error with `retriable: true` makes the batch run again after a
 *   backoff; the records it already handled in that batch are not handed over again;
 * - any other error sends the record to `<dlq>.<service>` with the error as the reason, and
 *   the consumer goes on. Undecodable records go there too, without reaching a handler.
 *
 * Delivery is at least once: a crash after a handler returned and before the commit hands
 * the record over again.
 */
export class KafkaEventTransport extends Server implements CustomTransportStrategy {
  private consumer: BatchConsumer | undefined;
  private deadLetters: DeadLetterPublisher | undefined;
  /** Per partition, how far the batch being retried got: the last offset handled, its failures. */
  private readonly retrying = new Map<string, { upTo: bigint; failures: RecordFailure[] }>();

  constructor(private readonly options: KafkaEventTransportOptions) {
    super();
  }

  /** Starts consuming; `callback` gets the error when the consumer cannot start. */
  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
    await this.deadLetters?.close();
    this.consumer = undefined;
    this.deadLetters = undefined;
  }

  on(): never {
    throw new Error('KafkaEventTransport emits no events; read the consumer stats instead');
  }

  /** The underlying consumer, for its stats. */
  unwrap<T>(): T {
    if (this.consumer === undefined) throw new Error('KafkaEventTransport is not listening');
    return this.consumer as T;
  }

  private async start(): Promise<void> {
    const { options } = this;
    if (this.messageHandlers.size === 0) {
      throw new Error('KafkaEventTransport: no @EventPattern handler is registered');
    }
    const kafka = createKafka(options.kafka, {
      clientId: options.service,
      logger: nestLoggerSink(),
      // Joins, rebalances and stops are routine; the consumer's own log says what matters.
      logLevel: options.kafkaLogLevel ?? 'warn',
    });
    this.deadLetters = new DeadLetterPublisher({
      kafka,
      service: options.service,
      prefixes: options.topics,
      // One partition: dead letters are few.
      topicDefaults: { ...topicDefaults(options.kafka), partitions: 1 },
    });
    await this.deadLetters.start();
    const handlers = new Map<string, TopicHandler>();
    for (const [eventType, handler] of this.messageHandlers) {
      handlers.set(eventTopic(options.topics, eventType), { eventType, handler });
    }
    this.consumer = new BatchConsumer({
      kafka,
      groupId: options.groupId,
      topics: [...handlers.keys()],
      registry: options.registry,
      deadLetters: this.deadLetters,
      fromBeginning: options.fromBeginning ?? false,
      readCommitted: true,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      handleBatch: (records, context) => this.handleBatch(handlers, records, context),
    });
    await this.consumer.start();
  }

  private async handleBatch(
    handlers: ReadonlyMap<string, TopicHandler>,
    records: readonly DecodedRecord[],
    context: BatchContext,
  ): Promise<BatchResult> {
    const partition = `${context.topic}\u0000${context.partition}`;
    // A retry of the batch resumes after the last record handled, keeping its dead letters.
    const progress = (context.attempt > 1 ? this.retrying.get(partition) : undefined) ?? {
      upTo: -1n,
      failures: [],
    };
    this.retrying.set(partition, progress);
    for (const record of records) {
      if (BigInt(record.offset) <= progress.upTo) continue;
      try {
        const { eventType, handler } = handlers.get(record.topic) as TopicHandler;
        await settle(
          handler(record.value, new KafkaEventContext([record, context.attempt, eventType])),
        );
      } catch (error) {
        if (isRetriable(error)) throw error;
        progress.failures.push({ record, error });
      }
      progress.upTo = BigInt(record.offset);
    }
    this.retrying.delete(partition);
    return { failures: progress.failures };
  }
}

/** The handler of an event topic, and the event type its pattern named. */
interface TopicHandler {
  readonly eventType: string;
  readonly handler: MessageHandler;
}

/** A handler's result, awaited through whatever shape Nest's proxy gave it. */
async function settle(result: unknown): Promise<void> {
  const value = await result;
  if (isObservable(value)) await lastValueFrom(value, { defaultValue: undefined });
}
