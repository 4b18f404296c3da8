import type { Kafka, Producer, Transaction } from 'kafkajs';
import { toMessagingError } from './messaging.error';

export interface TransactionalProducerOptions {
  /** Stable per instance (e.g. `aggregator-<partition set>`): it fences a zombie predecessor. */
  readonly transactionalId: string;
  /** Broker-side timeout after which an open transaction is aborted. Default 60 s. */
  readonly transactionTimeoutMs?: number;
}

/** A producer for transactions: idempotent, one request in flight, no topic auto-creation. */
export function createTransactionalProducer(
  kafka: Pick<Kafka, 'producer'>,
  options: TransactionalProducerOptions,
): Producer {
  return kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
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
