import {
  Partitioners,
  type Kafka,
  type Producer,
  type ProducerConfig,
  type Transaction,
} from 'kafkajs';
import { toMessagingError } from './messaging.error';

/**
 * The producer every platform writer uses. Idempotent (KIP-98: acks=all and one request in
 * flight per connection; kafkajs serializes an idempotent producer's requests per broker, and
 * saying so keeps it true if that changes), no topic auto-creation (topics come from the
 * contracts), and the Java client's murmur2 partitioner named explicitly so keys land on the
 * partitions any Kafka tool expects.
 */
export function createIdempotentProducer(
  kafka: Pick<Kafka, 'producer'>,
  extra: Omit<ProducerConfig, 'idempotent' | 'maxInFlightRequests'> = {},
): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    ...extra,
    idempotent: true,
    maxInFlightRequests: 1,
  });
}

export interface TransactionalProducerOptions {
  /** Stable per instance (e.g. `aggregator-<partition set>`): it fences a zombie predecessor. */
  readonly transactionalId: string;
  /** Broker-side timeout after which an open transaction is aborted. Default 60 s. */
  readonly transactionTimeoutMs?: number;
}

/** A producer for transactions: {@link createIdempotentProducer} with a transactional id. */
export function createTransactionalProducer(
  kafka: Pick<Kafka, 'producer'>,
  options: TransactionalProducerOptions,
): Producer {
  return createIdempotentProducer(kafka, {
    transactionalId: options.transactionalId,
    transactionTimeout: options.transactionTimeoutMs ?? 60_000,
  });
}

/** The part of a kafkajs transaction `work` may use: send, sendBatch, sendOffsets. */
export type TransactionScope = Pick<Transaction, 'send' | 'sendBatch' | 'sendOffsets'>;

/**
 * Runs `work` in one Kafka transaction: commits if it resolves, aborts if it (or the commit)
 * throws. `work`'s own error is rethrown as it is; a failing commit surfaces as a
 * `MessagingError`. If the abort fails too, the original error is still the one thrown.
 *
 * ```ts
 * await withTransaction(producer, async (tx) => {
 *   await tx.send({ topic: 'aggregates.x', messages });
 *   await tx.sendOffsets({ consumerGroupId, topics: [{ topic, partitions: [{ partition, offset }] }] });
 * });
 * ```
 */
export async function withTransaction<T>(
  producer: Pick<Producer, 'transaction'>,
  work: (tx: TransactionScope) => Promise<T>,
): Promise<T> {
  let tx: Transaction;
  try {
    tx = await producer.transaction();
  } catch (e) {
    throw toMessagingError(e, 'begin transaction');
  }
  let result: T;
  try {
    result = await work(tx);
  } catch (e) {
    await abortQuietly(tx);
    throw e;
  }
  try {
    await tx.commit();
  } catch (e) {
    await abortQuietly(tx);
    throw toMessagingError(e, 'commit transaction');
  }
  return result;
}

async function abortQuietly(tx: Pick<Transaction, 'abort' | 'isActive'>): Promise<void> {
  if (!tx.isActive()) return;
  try {
    await tx.abort();
  } catch {
    // The broker aborts it anyway after transactionTimeout, and the next initTransactions of
    // this transactionalId fences it; the caller's error is the one worth reporting.
  }
}
