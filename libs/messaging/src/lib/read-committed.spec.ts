import {
  abortedRecords,
  filterAbortedInFetchResponse,
  type AbortedTransaction,
  type FetchedRecord,
} from './read-committed';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

function data(offset: number, producerId: string, inTransaction = true): FetchedRecord {
  return {
    offset: String(offset),
    key: Buffer.from('k'),
    isControlRecord: false,
    batchContext: { producerId, inTransaction },
  };
}

function marker(offset: number, producerId: string, key: Buffer): FetchedRecord {
  return {
    offset: String(offset),
    key,
    isControlRecord: true,
    batchContext: { producerId, inTransaction: true },
  };
}

const aborted = (producerId: string, firstOffset: number): AbortedTransaction => ({
  producerId,
  firstOffset: String(firstOffset),
});

const offsetsOf = (records: Set<FetchedRecord>): string[] => [...records].map((r) => r.offset);

describe('abortedRecords', () => {
  it('ignores every aborted transaction that began before the fetch, from its first record on', () => {
    // A fetch from offset 10 into three open-then-aborted transactions (begun at 1, 2, 3):
    // kafkajs would start ignoring only one of them per record read.
    const records = [data(10, 'a'), data(11, 'b'), data(12, 'c'), data(13, 'c'), data(14, 'b')];
    const out = abortedRecords(records, [aborted('a', 1), aborted('b', 2), aborted('c', 3)]);
    expect(offsetsOf(out)).toEqual(['10', '11', '12', '13', '14']);
  });

  it('keeps a committed transaction interleaved with aborted ones', () => {
    const records = [
      data(5, 'a'),
      data(6, 'd'),
      data(7, 'a'),
      data(8, 'd'),
      marker(9, 'd', COMMIT),
    ];
    expect(offsetsOf(abortedRecords(records, [aborted('a', 5)]))).toEqual(['5', '7']);
  });

  it('stops at the abort marker: the same producer’s next transaction is read', () => {
    const records = [data(1, 'a'), marker(2, 'a', ABORT), data(3, 'a'), marker(4, 'a', COMMIT)];
    expect(offsetsOf(abortedRecords(records, [aborted('a', 1)]))).toEqual(['1']);
  });

  it('starts ignoring a transaction only at its first offset', () => {
    const records = [data(1, 'a'), marker(2, 'a', COMMIT), data(3, 'a'), marker(4, 'a', ABORT)];
    expect(offsetsOf(abortedRecords(records, [aborted('a', 3)]))).toEqual(['3']);
  });

  it('handles two aborted transactions of one producer, and an unsorted list', () => {
    const records = [
      data(1, 'a'),
      marker(2, 'a', ABORT),
      data(3, 'a'),
      marker(4, 'a', COMMIT),
      data(5, 'a'),
      marker(6, 'a', ABORT),
    ];
    expect(offsetsOf(abortedRecords(records, [aborted('a', 5), aborted('a', 1)]))).toEqual([
      '1',
      '5',
    ]);
  });

  it('never drops records written outside a transaction', () => {
    const records = [data(1, 'a', false), data(2, 'a')];
    expect(offsetsOf(abortedRecords(records, [aborted('a', 0)]))).toEqual(['2']);
  });

  it('returns nothing when the broker listed no aborted transaction', () => {
    expect(abortedRecords([data(1, 'a')], []).size).toBe(0);
  });
});

describe('filterAbortedInFetchResponse', () => {
  it('turns aborted records into control records (skipped, offset still consumed) and empties the list', () => {
    const records = [data(10, 'a'), data(11, 'b'), data(12, 'd', false)];
    const partition = {
      abortedTransactions: [aborted('a', 1), aborted('b', 2)],
      messages: records,
    };
    filterAbortedInFetchResponse({ responses: [{ partitions: [partition] }] });
    expect(records.map((r) => r.isControlRecord)).toEqual([true, true, false]);
    expect(partition.abortedTransactions).toEqual([]);
  });
});
