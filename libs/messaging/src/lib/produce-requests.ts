// Records as produce requests small enough for the broker.
import type { KafkaProducer, OutgoingMessage } from './kafka-port';

/**
 * Bytes of records per produce request (or per topic of an `EventProducer` dispatch). One
 * request carries one record batch per partition, and the broker refuses a batch over
 * `message.max.bytes` (1 MiB by default), whole: a source batch re-keyed into one partition
 * (an aggregation without group-by), or a dispatch of many events to one, would exceed it.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** Records per topic and request: kafkajs groups a topic's records per partition in O(n²). */
export const MAX_REQUEST_MESSAGES = 1_000;

const bytesOf = (data: Buffer | string | null): number =>
  data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length;

/** What a record's size is made of. */
type SizedRecord = Pick<OutgoingMessage, 'key' | 'value' | 'headers'>;

/** What a record takes in a record batch: key, value and headers, plus its framing. */
export function recordBytes(
  key: SizedRecord['key'],
  value: SizedRecord['value'],
  headers: SizedRecord['headers'],
): number {
  let size = bytesOf(key ?? null) + bytesOf(value) + 64;
  for (const name in headers) {
    const header = headers[name];
    if (header === undefined) continue;
    size += Buffer.byteLength(name) + 2;
    if (Array.isArray(header)) for (const v of header) size += bytesOf(v) + 2;
    else size += bytesOf(header);
  }
  return size;
}

/**
 * Records by topic as produce requests of at most ~`maxBytes` and `maxMessages` per topic, in
 * order (sent one after another). A topic appears at most once per request: kafkajs keeps one
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
      const size = recordBytes(msg.key, msg.value, msg.headers);
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

/**
 * Sends records by topic with acks from all replicas, in as many produce requests as the
 * broker's record batch limit needs, one after another. A failure rejects with the first
 * request that failed; the requests before it were written.
 */
export async function sendInRequests(
  producer: Pick<KafkaProducer, 'sendBatch'>,
  messages: ReadonlyMap<string, readonly OutgoingMessage[]>,
): Promise<void> {
  for (const topicMessages of chunkRequests(messages, MAX_REQUEST_BYTES)) {
    await producer.sendBatch({ acks: -1, topicMessages });
  }
}
