/**
 * Correct read_committed filtering for kafkajs 2.2.4 (see docs/adr/0009).
 *
 * kafkajs drops the records of aborted transactions with a filter that starts ignoring at
 * most one aborted transaction per record it reads. A fetch that begins inside several
 * aborted transactions (what a killed transactional writer leaves behind, once fenced) hands
 * the records of all but the first of them to the application as if they were committed.
 * Kafka's own consumer (`Fetcher.consumeAbortedTransactionsUpTo`) starts ignoring every
 * aborted transaction whose first offset is at or below the record, which is what
 * {@link abortedRecords} does.
 */

/** The parts of a kafkajs fetch-response record this filter reads and writes. */
export interface FetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  isControlRecord: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/** A control record's key: version (int16) then type (int16), 0 for ABORT. */
function isAbortMarker(record: FetchedRecord): boolean {
  return (
    record.isControlRecord &&
    record.key !== null &&
    record.key.length >= 4 &&
    record.key.readInt16BE(2) === 0
  );
}

/**
 * The records (in fetch order) that belong to an aborted transaction, given the aborted
 * transactions the broker listed for the fetched range. Control records are never included.
 */
export function abortedRecords(
  records: readonly FetchedRecord[],
  aborted: readonly AbortedTransaction[],
): Set<FetchedRecord> {
  const out = new Set<FetchedRecord>();
  if (aborted.length === 0) return out;
  const pending = [...aborted].sort((a, b) =>
    BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1,
  );
  const abortedProducers = new Set<string>();
  for (const record of records) {
    const offset = BigInt(record.offset);
    while (pending.length > 0 && BigInt(pending[0]?.firstOffset ?? 0) <= offset) {
      abortedProducers.add(pending.shift()?.producerId ?? '');
    }
    const producer = record.batchContext.producerId;
    if (record.isControlRecord) {
      if (isAbortMarker(record)) abortedProducers.delete(producer);
    } else if (record.batchContext.inTransaction && abortedProducers.has(producer)) {
      out.add(record);
    }
  }
  return out;
}

interface FetchPartition {
  abortedTransactions?: AbortedTransaction[] | null;
  messages?: FetchedRecord[];
}

interface FetchResponse {
  responses?: { partitions?: FetchPartition[] }[];
}

/**
 * Filters one fetch response in place: an aborted record becomes a control record, which
 * kafkajs skips while still counting its offset as consumed (so the position moves past it,
 * even when a whole fetch is aborted records), and the aborted list is emptied so kafkajs'
 * own filter has nothing left to get wrong.
 */
export function filterAbortedInFetchResponse(response: FetchResponse): void {
  for (const topic of response.responses ?? []) {
    for (const partition of topic.partitions ?? []) {
      const aborted = partition.abortedTransactions ?? [];
      if (aborted.length === 0) continue;
      for (const record of abortedRecords(partition.messages ?? [], aborted)) {
        record.isControlRecord = true;
      }
      partition.abortedTransactions = [];
    }
  }
}

const PATCHED = Symbol.for('platform.messaging.readCommittedFetch');

interface BrokerPrototype {
  fetch: (...args: unknown[]) => Promise<FetchResponse>;
  [PATCHED]?: true;
}

/**
 * Wraps kafkajs' `Broker.prototype.fetch` with {@link filterAbortedInFetchResponse}, once per
 * process. `createKafka` calls it, so every consumer of the platform reads committed data
 * only. Fails loudly if kafkajs no longer has the module this relies on.
 */
export function installReadCommittedFilter(): void {
  // kafkajs internals have no types; the module is resolved the way kafkajs itself loads it.
  const Broker = require('kafkajs/src/broker') as { prototype: BrokerPrototype };
  const proto = Broker.prototype;
  if (proto[PATCHED] === true) return;
  if (typeof proto.fetch !== 'function') {
    throw new Error('kafkajs Broker.prototype.fetch not found: review the read_committed filter');
  }
  const fetch = proto.fetch;
  proto.fetch = async function (this: unknown, ...args: unknown[]): Promise<FetchResponse> {
    const response = await fetch.apply(this, args);
    filterAbortedInFetchResponse(response);
    return response;
  };
  proto[PATCHED] = true;
}
