// An outbox as produce requests small enough for the broker: pure.
import type { OutboxRecord } from './outbox';

/**
 * Bytes of record payload per produce request. One request carries one record batch per
 * partition, and the broker refuses a batch over `message.max.bytes` (1 MiB by default): a
 * source batch re-keyed into one partition (an aggregation without group-by) would exceed it.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** Records per topic and request: kafkajs groups a topic's records per partition in O(n²). */
export const MAX_REQUEST_MESSAGES = 1_000;

const bytesOf = (data: Buffer | string | null): number =>
  data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;

/** What a record's size is made of (an outbox record, or any outgoing message). */
type SizedRecord = Pick<OutboxRecord, 'value' | 'headers'> & {
  readonly key?: OutboxRecord['key'] | undefined;
};

/** Key, value and headers, plus an allowance for the record's framing. */
function sizeOf(msg: SizedRecord): number {
  let size = bytesOf(msg.key ?? null) + bytesOf(msg.value) + 64;
  for (const name in msg.headers) {
    const value = msg.headers[name];
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + 2;
    if (Array.isArray(value)) for (const v of value) size += bytesOf(v) + 2;
    else size += bytesOf(value);
  }
  return size;
}

/**
 * The outbox as produce requests of at most ~`maxBytes` and `maxMessages` per topic, in order
 * (sent one after another). A topic appears at most once per request: kafkajs keeps one
 * entry per topic, a second would replace the first.
 */
export function chunkRequests<M extends SizedRecord>(
  messages: ReadonlyMap<string, readonly M[]>,
  maxBytes: number,
  maxMessages = Infinity,
): { topic: string; messages: M[] }[][] {
  const requests: { topic: string; messages: M[] }[][] = [];
  let current: { topic: string; messages: M[] }[] = [];
  let bytes = 0;
  for (const [topic, list] of messages) {
    let entry: { topic: string; messages: M[] } | null = null;
    for (const msg of list) {
      const size = sizeOf(msg);
      const full = entry !== null && entry.messages.length >= maxMessages;
      if ((bytes + size > maxBytes && bytes > 0) || full) {
        requests.push(current);
        current = [];
        entry = null;
        bytes = 0;
      }
      if (entry === null) current.push((entry = { topic, messages: [] }));
      entry.messages.push(msg);
      bytes += size;
    }
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
