import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';

/** Codes this library raises itself; Kafka protocol errors keep the broker's name (e.g. `TOPIC_ALREADY_EXISTS`). */
export type MessagingErrorCode =
  | 'CONFIG_INVALID'
  | 'HEALTH_TIMEOUT'
  | 'TOPIC_LEADERS_TIMEOUT'
  | 'DESCRIBE_CONFIGS_FAILED'
  | 'KAFKA_CONNECTION'
  | 'KAFKA_REQUEST_TIMEOUT'
  | 'KAFKA_RETRIES_EXHAUSTED'
  | 'KAFKA_AGGREGATE'
  | 'UNKNOWN'
  // Raised by EventProducer, BatchConsumer, DeadLetterPublisher and the transaction helper.
  | 'UNKNOWN_EVENT_TYPE'
  | 'INVALID_EVENT'
  | 'NOT_STARTED'
  | 'CLOSED'
  | 'FLUSH_TIMEOUT'
  | 'SCHEMA_REGISTRATION_FAILED'
  | 'HANDLER_FAILED'
  // Kafka protocol error types and other kafkajs error names, mapped as they come.
  | (string & { readonly __kafkaCode?: never });

export interface MessagingErrorOptions {
  readonly retriable: boolean;
  readonly cause?: unknown;
  /** Numeric Kafka protocol error code, when the broker returned one. */
  readonly kafkaCode?: number;
}

/**
 * The one error type that leaves this library. `retriable` says whether trying the same
 * operation again can help (a broker restarting, a leader moving), so callers can apply
 * backoff only where it makes sense.
 */
export class MessagingError extends Error {
  override readonly name = 'MessagingError';
  readonly code: MessagingErrorCode;
  readonly retriable: boolean;
  readonly kafkaCode?: number;

  constructor(code: MessagingErrorCode, message: string, options: MessagingErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable;
    if (options.kafkaCode !== undefined) this.kafkaCode = options.kafkaCode;
  }
}

/**
 * kafkajs gives up on these (KafkaJSGroupCoordinatorNotFound is a non-retriable error), but
 * they are what a broker restart or a moving coordinator looks like: a later attempt, after
 * backoff, succeeds. Whoever retries must still bound it.
 */
const HEALS_ON_RETRY: ReadonlySet<string> = new Set([
  'KAFKA_GROUP_COORDINATOR_NOT_FOUND',
  'KAFKA_BROKER_NOT_FOUND',
  'KAFKA_METADATA_NOT_LOADED',
  'KAFKA_TOPIC_METADATA_NOT_LOADED',
  'KAFKA_LOCK_TIMEOUT',
]);

/** A kafkajs wrapper (e.g. KafkaJSNonRetriableError around a retriable cause) is as retriable as its cause. */
function causeRetriable(error: KafkaJSError): boolean {
  const cause: unknown = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && toMessagingError(cause).retriable;
}

/** `KafkaJSNonRetriableError` → `KAFKA_NON_RETRIABLE_ERROR`. */
function codeFromName(name: string): string {
  const stem = name.replace(/^KafkaJS/, '');
  const snake = stem.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  return `KAFKA_${snake}`;
}

/**
 * A broker's error answer (`type` and numeric `code`, e.g. `INVALID_PRODUCER_EPOCH`, 47) as
 * the Kafka client raises it from a decoded response: what `toMessagingError` turns into a
 * `MessagingError` with that code. For tests of code that handles broker errors.
 */
export function brokerProtocolError(type: string, code: number, retriable: boolean): Error {
  return new KafkaJSProtocolError(
    Object.assign(new Error(`${type} from broker`), { type, code, retriable }),
  );
}

/**
 * Wraps anything thrown by kafkajs (or anything else) in a `MessagingError`.
 * `context` prefixes the message, e.g. `createTopics(events.page_view)`.
 */
export function toMessagingError(error: unknown, context?: string): MessagingError {
  if (error instanceof MessagingError) return error;
  const prefix = context ? `${context}: ` : '';

  if (error instanceof KafkaJSProtocolError) {
    return new MessagingError(error.type, `${prefix}${error.message}`, {
      retriable: error.retriable,
      cause: error,
      kafkaCode: error.code,
    });
  }
  if (error instanceof KafkaJSNumberOfRetriesExceeded) {
    // kafkajs marks this non-retriable to end its own retry loop. Whether a later attempt
    // can help depends on what kept failing, so take retriability from the cause.
    const cause: unknown = error.cause;
    const inner = cause === undefined ? undefined : toMessagingError(cause);
    return new MessagingError('KAFKA_RETRIES_EXHAUSTED', `${prefix}${error.message}`, {
      retriable: inner?.retriable ?? false,
      cause: error,
    });
  }
  if (error instanceof KafkaJSConnectionError) {
    return new MessagingError('KAFKA_CONNECTION', `${prefix}${error.message}`, {
      retriable: true,
      cause: error,
    });
  }
  if (error instanceof KafkaJSRequestTimeoutError) {
    return new MessagingError('KAFKA_REQUEST_TIMEOUT', `${prefix}${error.message}`, {
      retriable: true,
      cause: error,
    });
  }
  if (error instanceof KafkaJSAggregateError) {
    const inner = error.errors.map((e) => toMessagingError(e));
    const detail = inner.map((e) => e.code).join(', ');
    return new MessagingError('KAFKA_AGGREGATE', `${prefix}${error.message} [${detail}]`, {
      retriable: inner.length > 0 && inner.every((e) => e.retriable),
      cause: error,
    });
  }
  if (error instanceof KafkaJSError) {
    const code = codeFromName(error.name);
    return new MessagingError(code, `${prefix}${error.message}`, {
      retriable: error.retriable || HEALS_ON_RETRY.has(code) || causeRetriable(error),
      cause: error,
    });
  }
  if (error instanceof Error) {
    return new MessagingError('UNKNOWN', `${prefix}${error.message}`, {
      retriable: false,
      cause: error,
    });
  }
  return new MessagingError('UNKNOWN', `${prefix}${String(error)}`, {
    retriable: false,
    cause: error,
  });
}
