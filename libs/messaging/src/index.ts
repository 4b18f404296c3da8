// Public door of @platform/messaging. kafkajs stays behind this lib: other projects use
// these wrappers and the Kafka client port (kafka-port.ts), never `kafkajs` itself.
export { createKafka, compressionCodec, DEFAULT_RETRY } from './lib/kafka-client';
export type { CreateKafkaOptions } from './lib/kafka-client';
export { Compression, TOPIC_RESOURCE } from './lib/kafka-port';
export type {
  BatchPayload,
  ConsumedBatch,
  ConsumedMessage,
  ConsumerCrashEvent,
  ConsumerEventNames,
  ConsumerOptions,
  ConsumerRunOptions,
  GroupJoinEvent,
  KafkaAdmin,
  KafkaClient,
  KafkaConsumer,
  KafkaProducer,
  KafkaTransaction,
  MessagePayload,
  NewTopic,
  OutgoingMessage,
  PartitionerFactory,
  PartitionInfo,
  PartitionOffset,
  ProducerOptions,
  RecordHeaders,
  RecordMetadata,
  RetryPolicy,
  SendBatchRequest,
  SendRequest,
  TopicConfigsResponse,
  TransactionOffsets,
} from './lib/kafka-port';
export {
  createKafkaLogCreator,
  jsonLineSink,
  nestLoggerSink,
  silentSink,
} from './lib/kafka-logger';
export type {
  KafkaLogLevel,
  KafkaLogRecord,
  KafkaLogSink,
  KafkaLogCreatorOptions,
} from './lib/kafka-logger';
export { MessagingError, brokerProtocolError, toMessagingError } from './lib/messaging.error';
export type { MessagingErrorCode, MessagingErrorOptions } from './lib/messaging.error';
export { consumerLag, endOffsets, partitionsBehind, type EndOffsets } from './lib/group-progress';
export { TopicAdmin, toTopicConfig } from './lib/topic-admin';
export type {
  EnsureTopicsResult,
  PartitionDescription,
  PartitionOffsets,
  TopicAdminClient,
  TopicAdminOptions,
  TopicDefaults,
  TopicDescription,
} from './lib/topic-admin';
export { ensureDomainTopics, ensureTopicsExist, topicDefaults } from './lib/domain-topics';
export type { DomainTopicsConfig } from './lib/domain-topics';
export { kafkaHealth, kafkaIndicator } from './lib/kafka-health';
export type { KafkaHealth } from './lib/kafka-health';

export { InMemorySchemaRegistrar } from './lib/in-memory-registrar';
export { fakeKafkaConsumer } from './testing/fake-kafka-consumer';
export type { FakeKafkaConsumer, FakeKafkaMessage } from './testing/fake-kafka-consumer';
export { SendBuffer } from './lib/send-buffer';
export type {
  DispatchFn,
  SendBufferOptions,
  SettledFn,
  TagReceiver,
  TopicBatches,
} from './lib/send-buffer';
export { EventProducer, InvalidEventError, defaultKey } from './lib/event-producer';
export type {
  EventProducerOptions,
  HeadersHook,
  OutgoingEvent,
  ProduceMetrics,
  ProducerStats,
  SchemaRegistrar,
} from './lib/event-producer';
export { PRODUCER_CLIENTS, kafkajsRecordProducer } from './lib/record-producer';
export type { ProducerClient, ProducerRecord, RecordProducer } from './lib/record-producer';
export { RdkafkaRecordProducer, loadRdkafka, toRdkafkaConfig } from './lib/rdkafka-producer';
export type { RdkafkaProducerOptions } from './lib/rdkafka-producer';
export { KafkaEventContext, KafkaEventTransport, KeepHandlerErrors } from './lib/event-transport';
export type { KafkaEventTransportOptions } from './lib/event-transport';
export { BatchConsumer, RecordFailuresError, decodeBatch, headerText } from './lib/batch-consumer';
export type {
  BatchConsumerOptions,
  BatchConsumerStats,
  BatchContext,
  BatchHandler,
  BatchResult,
  DecodedRecord,
  HeadersExtractor,
  RecordFailure,
} from './lib/batch-consumer';
export {
  DLQ_HEADERS,
  DLQ_MESSAGE_MAX_CHARS,
  DeadLetterPublisher,
  deadLetterHeaders,
  toDeadLetterMessage,
} from './lib/dead-letter';
export type { DeadLetter, DeadLetterPublisherOptions, DeadLetterSink } from './lib/dead-letter';
export {
  createIdempotentProducer,
  createTransactionalProducer,
  withTransaction,
} from './lib/transaction';
export type { TransactionScope, TransactionalProducerOptions } from './lib/transaction';
export { errorCode, isRetriable } from './lib/backoff';
export type { BackoffOptions } from './lib/backoff';
export { BatchAccumulator } from './lib/batch-accumulator';
export type { AccumulatorOptions } from './lib/batch-accumulator';
export { writeIsolatingFailures } from './lib/isolate-failures';
export type { IsolatedFailure } from './lib/isolate-failures';

export { readTopicsToEnd } from './lib/topic-reader';
export type { ReadRecord } from './lib/topic-reader';
export {
  formatCoordinates,
  groupByReason,
  parseCoordinates,
  storedDeadLetter,
} from './lib/dead-letter-view';
export type { Coordinates, ReasonGroup, StoredDeadLetter } from './lib/dead-letter-view';

// Transactional stream tasks
export { StreamTaskRuntime } from './lib/stream-tasks/runtime';
export type {
  ChangelogEntry,
  ChangelogPartition,
  CommittedOffset,
  StreamRecord,
  StreamTask,
  StreamTaskHandlers,
  StreamTaskLogger,
  StreamTaskRuntimeOptions,
} from './lib/stream-tasks/runtime';
export { Outbox } from './lib/stream-tasks/outbox';
export { sendInRequests } from './lib/produce-requests';
export type { OutboxRecord } from './lib/stream-tasks/outbox';
export { canHeal } from './lib/consumer-restart';
export { RESTORE_MARKER_KEY } from './lib/stream-tasks/changelog';
