import {
  BatchAccumulator,
  BatchConsumer,
  type DeadLetterSink,
  type DecodedRecord,
  type KafkaClient,
} from '@platform/messaging';
import type { InFlightTracker } from '@platform/observability';
import { AvroSerde, type SchemaLookup } from '@platform/schema-registry';
import { isIdentity, type TableBinding } from '@platform/sink-adapters';
import type { SinkWriterSettings } from '../config/sink-writer.config';
import { SinkWriter, type WriteFailure, type WriterSink } from '../writer/sink-writer';

/**
 * What the sink consumer needs of Kafka: a client for its group's consumer, the registry the
 * records are decoded with, and where the records that cannot be written go.
 */
export interface SinkConsumerKafka {
  readonly kafka: Pick<KafkaClient, 'consumer'>;
  readonly registry: SchemaLookup;
  readonly deadLetters: DeadLetterSink;
}

/** The settings the consumer and its batching read. */
export type SinkBatchSettings = Pick<
  SinkWriterSettings,
  | 'groupId'
  | 'fromBeginning'
  | 'concurrency'
  | 'sessionTimeoutMs'
  | 'fetchBytesPerPartition'
  | 'maxBatch'
  | 'maxBatchBytes'
  | 'maxWaitMs'
  | 'flushesInFlight'
>;

export interface SinkBatchesOptions {
  readonly settings: SinkBatchSettings;
  readonly topics: readonly string[];
  readonly sinks: readonly WriterSink[];
  readonly bindings: ReadonlyMap<string, TableBinding>;
  /** Every batch runs inside it, so that a drain waits for the batch in hand. */
  readonly tracker: Pick<InFlightTracker, 'run'>;
  /** Records handled, by outcome. */
  readonly records: {
    inc(labels: { readonly outcome: 'written' | 'dead_lettered' }, value: number): void;
  };
}

export interface SinkBatches {
  readonly consumer: BatchConsumer;
  readonly accumulator: BatchAccumulator<DecodedRecord, WriteFailure<DecodedRecord>>;
}

/**
 * The consumer group over the bound topics (read_committed) and the accumulator its
 * partitions hand their records to: records are written together by size and time, and a
 * partition's offsets are committed only after the write holding its records reached every
 * sink. Records refused for good are dead-lettered with their error; a retriable failure
 * leaves the batch uncommitted and retries it with backoff.
 */
export function sinkBatches(ports: SinkConsumerKafka, options: SinkBatchesOptions): SinkBatches {
  const { settings, tracker, records: counter, bindings } = options;
  // Versioned rows (aggregates: upserts and deletes by version) must reach a table in order;
  // events, stored once by their id, may be written in any order.
  const ordered = (topic: string): boolean =>
    bindings.get(topic)?.schema.versionColumn !== undefined;
  // Events are decoded only to their key and time, so no object per field outlives the
  // fetch; each sink writes them from their Avro bytes (a sink without writeAvroBatch, a
  // plugin, gets them decoded at the write).
  const fromBytes = new Map(
    [...bindings.values()]
      .filter((b) => b.stream === 'events' && isIdentity(b.columnMapping))
      .map((b) => [b.topic, b]),
  );
  const serde = new AvroSerde(ports.registry);
  const writer = new SinkWriter({
    sinks: options.sinks,
    bindings,
    maxRowsPerWrite: settings.maxBatch,
    fromAvroBytes: {
      tables: new Set([...fromBytes.values()].map((b) => b.table)),
      writerSchema: (id) => serde.writerSchemaOf(id),
      decode: (value) => serde.decodeSync(value),
    },
  });
  const accumulator = new BatchAccumulator<DecodedRecord, WriteFailure<DecodedRecord>>({
    maxBatch: settings.maxBatch,
    maxWeight: settings.maxBatchBytes,
    weightOf: (record) => record.raw.value?.length ?? 0,
    maxWaitMs: settings.maxWaitMs,
    maxSubmissions: settings.concurrency,
    flush: (records) => writer.write(records),
    itemOf: (f) => f.record,
    maxConcurrentFlushes: settings.flushesInFlight,
    exclusive: (record) => ordered(record.topic),
  });
  const consumer = new BatchConsumer({
    kafka: ports.kafka,
    groupId: settings.groupId,
    topics: options.topics,
    registry: ports.registry,
    serde,
    deadLetters: ports.deadLetters,
    fromBeginning: settings.fromBeginning,
    readCommitted: true,
    partitionsConsumedConcurrently: settings.concurrency,
    // The next batches are fetched and decoded while the flush in hand is written.
    pipelined: true,
    // An events partition hands its next batch over while the previous one is written.
    unordered: (topic) => settings.flushesInFlight > 1 && !ordered(topic),
    decodedFields: (topic) => {
      const schema = fromBytes.get(topic)?.schema;
      if (schema === undefined) return undefined;
      return [...schema.key, ...(schema.timeSeries ? [schema.timeSeries.column] : [])];
    },
    retry: { initialMs: 200, multiplier: 2, maxMs: 5_000 },
    consumerConfig: {
      sessionTimeout: settings.sessionTimeoutMs,
      maxBytesPerPartition: settings.fetchBytesPerPartition,
    },
    handleBatch: (records) =>
      tracker.run(async () => {
        const failures = await accumulator.submit(records);
        counter.inc({ outcome: 'written' }, records.length - failures.length);
        if (failures.length > 0) counter.inc({ outcome: 'dead_lettered' }, failures.length);
        return { failures };
      }),
  });
  return { consumer, accumulator };
}
