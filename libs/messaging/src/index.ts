// Public door of @platform/messaging. kafkajs stays behind this lib: other projects use
// these wrappers and the kafkajs types re-exported below, never `kafkajs` itself.
export {
  createKafka,
  toKafkaConfig,
  toSslOptions,
  toSaslOptions,
  compressionCodec,
  DEFAULT_RETRY,
} from './lib/kafka-client';
export type { CreateKafkaOptions } from './lib/kafka-client';
export {
  createKafkaLogCreator,
  jsonLineSink,
  nestLoggerSink,
  silentSink,
  redact,
  REDACTED,
} from './lib/kafka-logger';
export type {
  KafkaLogLevel,
  KafkaLogRecord,
  KafkaLogSink,
  KafkaLogCreatorOptions,
} from './lib/kafka-logger';
export { MessagingError, toMessagingError } from './lib/messaging.error';
export type { MessagingErrorCode, MessagingErrorOptions } from './lib/messaging.error';
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
export { kafkaHealth } from './lib/kafka-health';
export type { KafkaHealth } from './lib/kafka-health';

// kafkajs types that callers of this lib need in signatures, so they never import kafkajs.
export { CompressionTypes } from 'kafkajs';
export type { Admin, Consumer, Kafka, KafkaConfig, Producer, RetryOptions } from 'kafkajs';
