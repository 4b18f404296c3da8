/**
 * The Kafka client port of the platform: what services and this lib use of a Kafka client,
 * in the platform's own types. `createKafka` (kafka-client.ts) is the kafkajs adapter: it
 * returns the kafkajs client itself, which satisfies these types structurally (the compiler
 * checks it there). Only the members the platform uses are here; add one when a caller needs
 * it, with the shape of the client's own so the adapter stays a plain assignment.
 */

/** Record headers: a value per name, or several for a repeated header. Consumed ones are Buffers. */
export interface RecordHeaders {
  [name: string]: Buffer | string | (Buffer | string)[] | undefined;
}

/**
 * Record-batch compression of a producer, as Kafka numbers the codecs (what `compressionCodec`
 * maps `kafka.compression` to). Only the codecs the platform configures.
 */
export const Compression = Object.freeze({ None: 0, GZIP: 1 } as const);
export type Compression = (typeof Compression)[keyof typeof Compression];

/** Client retry policy: exponential backoff, per operation (see `DEFAULT_RETRY`). */
export interface RetryPolicy {
  maxRetryTime?: number;
  initialRetryTime?: number;
  factor?: number;
  multiplier?: number;
  retries?: number;
  /**
   * Whether the client starts a consumer again itself after it crashed on a retriable error
   * (kafkajs' default: yes). False leaves the restart to the consumer's owner (`BatchConsumer`
   * and the stream tasks restart with their own backoff).
   */
  restartOnFailure?: (error: Error) => Promise<boolean>;
}

// ---- Producer -------------------------------------------------------------------------------

/** A record to produce. */
export interface OutgoingMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: RecordHeaders;
  timestamp?: string;
}

/** Partition metadata a partitioner chooses from. */
export interface PartitionInfo {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

/** Picks a record's partition; built once per producer. */
export type PartitionerFactory = () => (args: {
  topic: string;
  partitionMetadata: PartitionInfo[];
  message: OutgoingMessage;
}) => number;

export interface ProducerOptions {
  createPartitioner?: PartitionerFactory;
  retry?: RetryPolicy;
  allowAutoTopicCreation?: boolean;
  idempotent?: boolean;
  transactionalId?: string;
  /** Broker-side transaction timeout, ms. */
  transactionTimeout?: number;
  maxInFlightRequests?: number;
}

/** Records for one topic, with the request's acks, timeout and compression. */
export interface SendRequest {
  topic: string;
  messages: OutgoingMessage[];
  /** -1: all in-sync replicas. */
  acks?: number;
  timeout?: number;
  compression?: Compression;
}

/** Records for several topics in one request. */
export interface SendBatchRequest {
  acks?: number;
  timeout?: number;
  compression?: Compression;
  topicMessages?: { topic: string; messages: OutgoingMessage[] }[];
}

/** Where a partition's records were written. */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  offset?: string;
  timestamp?: string;
  baseOffset?: string;
  logAppendTime?: string;
  logStartOffset?: string;
}

/** Consumed offsets committed with a transaction (exactly-once read-process-write). */
export interface TransactionOffsets {
  consumerGroupId: string;
  topics: {
    topic: string;
    partitions: { partition: number; offset: string; metadata?: string | null }[];
  }[];
}

/** An open transaction of a transactional producer. */
export interface KafkaTransaction {
  send(request: SendRequest): Promise<RecordMetadata[]>;
  sendBatch(request: SendBatchRequest): Promise<RecordMetadata[]>;
  sendOffsets(offsets: TransactionOffsets): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

export interface KafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(request: SendRequest): Promise<RecordMetadata[]>;
  sendBatch(request: SendBatchRequest): Promise<RecordMetadata[]>;
  /** Begins a transaction (a transactional producer only). */
  transaction(): Promise<KafkaTransaction>;
}

// ---- Consumer -------------------------------------------------------------------------------

export interface ConsumerOptions {
  groupId: string;
  /** False: read_committed (skip records of aborted transactions). */
  readUncommitted?: boolean;
  sessionTimeout?: number;
  rebalanceTimeout?: number;
  heartbeatInterval?: number;
  maxBytesPerPartition?: number;
  maxBytes?: number;
  maxWaitTimeInMs?: number;
  allowAutoTopicCreation?: boolean;
}

/** A consumed record. */
export interface ConsumedMessage {
  key: Buffer | null;
  value: Buffer | null;
  /** Epoch ms, as a decimal string. */
  timestamp: string;
  /** As a decimal string (it can exceed 2^53). */
  offset: string;
  headers?: RecordHeaders;
}

/** A fetched batch of one partition. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: ConsumedMessage[];
  /** The first record's offset, null when the batch is empty. */
  firstOffset(): string | null;
  /** The batch's last offset (it covers a trailing transaction marker). */
  lastOffset(): string;
  offsetLag(): string;
}

export interface PartitionOffset {
  partition: number;
  offset: string;
}

/** What a batch handler gets. */
export interface BatchPayload {
  batch: ConsumedBatch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(offsets?: {
    topics: { topic: string; partitions: PartitionOffset[] }[];
  }): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** What a record handler gets. */
export interface MessagePayload {
  topic: string;
  partition: number;
  message: ConsumedMessage;
  heartbeat(): Promise<void>;
}

export interface ConsumerRunOptions {
  autoCommit?: boolean;
  eachBatchAutoResolve?: boolean;
  partitionsConsumedConcurrently?: number;
  eachBatch?: (payload: BatchPayload) => Promise<void>;
  eachMessage?: (payload: MessagePayload) => Promise<void>;
}

/** The consumer events the platform listens to. */
export interface ConsumerEventNames {
  readonly GROUP_JOIN: 'consumer.group_join';
  readonly CRASH: 'consumer.crash';
}

/** The group was joined: the partitions assigned to this member, by topic. */
export interface GroupJoinEvent {
  payload: { groupId: string; memberId: string; memberAssignment: { [topic: string]: number[] } };
}

/** The consumer stopped on an error; `restart` says whether it rejoins by itself. */
export interface ConsumerCrashEvent {
  payload: { error: Error; groupId: string; restart: boolean };
}

export interface KafkaConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: (string | RegExp)[]; fromBeginning?: boolean }): Promise<void>;
  run(options?: ConsumerRunOptions): Promise<void>;
  stop(): Promise<void>;
  commitOffsets(
    offsets: { topic: string; partition: number; offset: string; metadata?: string | null }[],
  ): Promise<void>;
  seek(position: { topic: string; partition: number; offset: string }): void;
  readonly events: ConsumerEventNames;
  /** Adds a listener; returns its removal. */
  on(event: 'consumer.group_join', listener: (event: GroupJoinEvent) => void): () => void;
  on(event: 'consumer.crash', listener: (event: ConsumerCrashEvent) => void): () => void;
}

// ---- Admin ----------------------------------------------------------------------------------

/** A topic to create. */
export interface NewTopic {
  topic: string;
  numPartitions?: number;
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/** Kafka's config resource type of a topic (DescribeConfigs). */
export const TOPIC_RESOURCE = 2;

export interface TopicConfigsResponse {
  resources: {
    configEntries: { configName: string; configValue: string }[];
    errorCode: number;
    errorMessage: string;
    resourceName: string;
  }[];
}

export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Resolves false when some topics existed already. */
  createTopics(request: {
    topics: NewTopic[];
    waitForLeaders?: boolean;
    timeout?: number;
  }): Promise<boolean>;
  deleteTopics(request: { topics: string[]; timeout?: number }): Promise<void>;
  fetchTopicMetadata(request: {
    topics: string[];
  }): Promise<{ topics: { name: string; partitions: PartitionInfo[] }[] }>;
  describeConfigs(request: {
    resources: { type: typeof TOPIC_RESOURCE; name: string }[];
    includeSynonyms: boolean;
  }): Promise<TopicConfigsResponse>;
  /** Per partition: `low` (log start) and `high` (high watermark), decimal strings. */
  fetchTopicOffsets(topic: string): Promise<(PartitionOffset & { high: string; low: string })[]>;
  /** A group's committed offsets; `-1` where it committed none. */
  fetchOffsets(request: {
    groupId: string;
    topics?: string[];
  }): Promise<{ topic: string; partitions: (PartitionOffset & { metadata: string | null })[] }[]>;
  describeCluster(): Promise<{
    brokers: { nodeId: number; host: string; port: number }[];
    controller: number | null;
    clusterId: string;
  }>;
  listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }>;
  deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode?: number }[]>;
}

// ---- Client ---------------------------------------------------------------------------------

/** A Kafka client: makes consumers, producers and admin clients sharing its config. */
export interface KafkaClient {
  consumer(options: ConsumerOptions): KafkaConsumer;
  producer(options?: ProducerOptions): KafkaProducer;
  admin(options?: { retry?: RetryPolicy }): KafkaAdmin;
}
