import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import {
  MessagingError,
  brokerProtocolError as protocolError,
  toMessagingError,
} from './messaging.error';

describe(toMessagingError.name, () => {
  it('keeps the broker error type as code and its retriability', () => {
    const wrapped = toMessagingError(protocolError('NOT_LEADER_FOR_PARTITION', 6, true), 'send');
    expect(wrapped).toBeInstanceOf(MessagingError);
    expect(wrapped).toMatchObject({
      code: 'NOT_LEADER_FOR_PARTITION',
      kafkaCode: 6,
      retriable: true,
    });
    expect(wrapped.message).toBe('send: NOT_LEADER_FOR_PARTITION from broker');
    expect(wrapped.cause).toBeInstanceOf(KafkaJSProtocolError);
  });

  it('marks a non-retriable protocol error as such', () => {
    expect(toMessagingError(protocolError('TOPIC_AUTHORIZATION_FAILED', 29, false))).toMatchObject({
      code: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
  });

  it('treats connection errors as retriable', () => {
    expect(
      toMessagingError(new KafkaJSConnectionError('Connection error: ECONNREFUSED')),
    ).toMatchObject({
      code: 'KAFKA_CONNECTION',
      retriable: true,
    });
  });

  it('takes retriability of exhausted retries from what kept failing', () => {
    const exhausted = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('refused'), {
      retryCount: 5,
      retryTime: 1000,
    });
    expect(exhausted.retriable).toBe(false);
    expect(toMessagingError(exhausted)).toMatchObject({
      code: 'KAFKA_RETRIES_EXHAUSTED',
      retriable: true,
    });
  });

  it('is retriable for an aggregate only when every inner error is', () => {
    const mixed = new KafkaJSAggregateError('Topic creation errors', [
      protocolError('REQUEST_TIMED_OUT', 7, true),
      protocolError('INVALID_REPLICATION_FACTOR', 38, false),
    ]);
    const wrapped = toMessagingError(mixed);
    expect(wrapped).toMatchObject({ code: 'KAFKA_AGGREGATE', retriable: false });
    expect(wrapped.message).toContain('REQUEST_TIMED_OUT, INVALID_REPLICATION_FACTOR');
  });

  it('derives a code from other kafkajs error names', () => {
    expect(toMessagingError(new KafkaJSNonRetriableError('nope'))).toMatchObject({
      code: 'KAFKA_NON_RETRIABLE_ERROR',
      retriable: false,
    });
    expect(toMessagingError(new KafkaJSError('flaky'))).toMatchObject({
      code: 'KAFKA_ERROR',
      retriable: true,
    });
  });

  it('retries what a broker restart looks like, although kafkajs calls it non-retriable', () => {
    const notFound = new (KafkaJSGroupCoordinatorNotFound as unknown as new (m: string) => Error)(
      'Failed to find group coordinator',
    );
    expect(toMessagingError(notFound)).toMatchObject({
      code: 'KAFKA_GROUP_COORDINATOR_NOT_FOUND',
      retriable: true,
    });
    const wrapped = Object.assign(new KafkaJSNonRetriableError('gave up'), {
      cause: protocolError('NOT_COORDINATOR', 16, true),
    });
    expect(toMessagingError(wrapped)).toMatchObject({
      code: 'KAFKA_NON_RETRIABLE_ERROR',
      retriable: true,
    });
  });

  it('wraps foreign errors and non-errors as UNKNOWN, not retriable', () => {
    expect(toMessagingError(new TypeError('x'))).toMatchObject({
      code: 'UNKNOWN',
      retriable: false,
      message: 'x',
    });
    expect(toMessagingError('plain string')).toMatchObject({
      code: 'UNKNOWN',
      message: 'plain string',
    });
  });

  it('returns a MessagingError unchanged', () => {
    const original = new MessagingError('CONFIG_INVALID', 'bad', { retriable: false });
    expect(toMessagingError(original, 'ctx')).toBe(original);
  });
});
