import type { OutboxRecord } from './stream-tasks/outbox';
import type { SendBatchRequest } from './kafka-port';
import { chunkRequests, MAX_REQUEST_BYTES, sendInRequests } from './produce-requests';

const msg = (key: string, bytes: number): OutboxRecord => ({
  key,
  value: Buffer.alloc(bytes),
});

describe('chunkRequests', () => {
  it('keeps a small outbox in one request, topics in order', () => {
    const requests = chunkRequests(
      new Map([
        ['a', [msg('1', 10), msg('2', 10)]],
        ['b', [msg('3', 10)]],
      ]),
      10_000,
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]?.map((r) => [r.topic, r.messages.map((m) => m.key)])).toEqual([
      ['a', ['1', '2']],
      ['b', ['3']],
    ]);
  });

  it('splits by size without reordering, a topic may continue in the next request', () => {
    const requests = chunkRequests(
      new Map([
        ['a', [msg('1', 400), msg('2', 400), msg('3', 400)]],
        ['b', [msg('4', 400)]],
      ]),
      1_000,
    );
    const flat = requests.map((r) =>
      r.map((t) => `${t.topic}:${t.messages.map((m) => m.key).join('')}`),
    );
    expect(flat).toEqual([['a:12'], ['a:3', 'b:4']]);
  });

  it('counts headers towards the size: a dead letter can carry more in them than in its value', () => {
    const withHeaders = (key: string): OutboxRecord => ({
      ...msg(key, 10),
      headers: { 'dlq.error.message': 'x'.repeat(300), 'dlq.source': ['a', 'b'] },
    });
    const requests = chunkRequests(new Map([['a', [withHeaders('1'), withHeaders('2')]]]), 600);
    expect(requests.map((r) => r.map((t) => t.messages.length))).toEqual([[1], [1]]);
  });

  it('sends a record larger than the limit alone rather than not at all', () => {
    const requests = chunkRequests(new Map([['a', [msg('1', 5_000), msg('2', 10)]]]), 1_000);
    expect(requests.map((r) => r[0]?.messages.map((m) => m.key))).toEqual([['1'], ['2']]);
  });

  it('gives no request for an empty outbox', () => {
    expect(chunkRequests(new Map(), 1_000)).toEqual([]);
  });
});

describe('chunkRequests with a message limit', () => {
  it('starts a new request when a topic has maxMessages in this one', () => {
    const requests = chunkRequests(
      new Map([['a', [msg('1', 1), msg('2', 1), msg('3', 1)]]]),
      10_000,
      2,
    );
    expect(requests.map((r) => r.map((t) => t.messages.map((m) => m.key)))).toEqual([
      [['1', '2']],
      [['3']],
    ]);
  });
});

describe('sendInRequests', () => {
  it('sends every record once, acks from all replicas, in requests under the byte bound', async () => {
    const sent: SendBatchRequest[] = [];
    const producer = { sendBatch: async (r: SendBatchRequest) => (sent.push(r), []) };
    const records = Array.from({ length: 30 }, (_, i) => msg(String(i), 100 * 1024));
    await sendInRequests(producer, new Map([['dlq', records]]));
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.every((r) => r.acks === -1)).toBe(true);
    const sizes = sent.map((r) =>
      (r.topicMessages ?? [])
        .flatMap((t) => t.messages)
        .reduce((n, m) => n + (m.value?.length ?? 0), 0),
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    const keys = sent.flatMap((r) =>
      (r.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.key)),
    );
    expect(keys).toEqual(records.map((r) => r.key));
  });

  it('stops at the first request that fails', async () => {
    let calls = 0;
    const producer = {
      sendBatch: async () => {
        calls += 1;
        throw new Error('broker gone');
      },
    };
    const records = Array.from({ length: 30 }, (_, i) => msg(String(i), 100 * 1024));
    await expect(sendInRequests(producer, new Map([['dlq', records]]))).rejects.toThrow(
      'broker gone',
    );
    expect(calls).toBe(1);
  });
});
