import { CompressionTypes } from 'kafkajs';
import { crc32C } from './crc32c';
import {
  createProduceRequests,
  createProduceRequestV3,
  encodeProduceRequest,
  type ProduceRequest,
  type ProduceRequests,
} from './produce-request-encoder';

// kafkajs' own encoder: the reference these bytes must equal.
const kafkajsRequest = require('kafkajs/src/protocol/requests/produce/v3/request') as (
  request: ProduceRequest,
) => { encode(): Promise<{ buffer: Buffer }> };
const Long = require('kafkajs/src/utils/long') as { fromString(s: string): unknown };
const { lookupCodec } = require('kafkajs/src/protocol/message/compression') as {
  lookupCodec: (c: number) => { compress(e: { buffer: Buffer }): Promise<Buffer> } | null;
};
const deps = { crc32C, lookupCodec };

const NOW = 1_700_000_123_456;

async function expectSameBytes(request: ProduceRequest): Promise<Buffer> {
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
  const expected = (await kafkajsRequest(request).encode()).buffer;
  const actual = await encodeProduceRequest(request, deps, NOW);
  expect(actual.toString('hex')).toBe(expected.toString('hex'));
  return actual;
}

afterEach(() => jest.restoreAllMocks());

describe('produce request encoder', () => {
  it('writes the bytes kafkajs writes: keys, null keys and values, strings, headers', async () => {
    await expectSameBytes({
      acks: -1,
      timeout: 30_000,
      topicData: [
        {
          topic: 'orders',
          partitions: [
            {
              partition: 0,
              firstSequence: 7,
              messages: [
                { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: NOW - 5 },
                { key: null, value: 'a string value é€😀', timestamp: NOW },
                { value: null, headers: { h: Buffer.from('1'), many: ['a', Buffer.from('b')] } },
              ],
            },
            { partition: 2, messages: [{ key: 'k', value: Buffer.alloc(300, 1) }] },
          ],
        },
        { topic: 'ünïcode-topic', partitions: [{ partition: 1, messages: [{ value: 'x' }] }] },
      ],
    });
  });

  it('writes a headers object shared by many records, across partitions and topics, as kafkajs does', async () => {
    const shared = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      source: 'web',
    };
    const other = { source: 'app', empty: [] as string[] };
    await expectSameBytes({
      acks: -1,
      timeout: 30_000,
      topicData: [
        {
          topic: 'a',
          partitions: [
            {
              partition: 0,
              messages: [
                { value: 'v1', headers: shared },
                { value: 'v2', headers: other },
                { value: 'v3', headers: shared },
                { value: 'v4', headers: {} },
              ],
            },
            { partition: 1, messages: [{ value: 'v5', headers: shared }] },
          ],
        },
        {
          topic: 'b',
          partitions: [{ partition: 0, messages: [{ value: 'v6', headers: shared }] }],
        },
      ],
    });
  });

  it('writes transactional batches with the producer id and epoch', async () => {
    await expectSameBytes({
      acks: -1,
      timeout: 5_000,
      transactionalId: 'app-task-0',
      producerId: Long.fromString('123456789012') as never,
      producerEpoch: 3,
      topicData: [
        {
          topic: 't',
          partitions: [
            {
              partition: 0,
              firstSequence: 1_000_000,
              messages: Array.from({ length: 200 }, (_, i) => ({
                key: `key-${i}`,
                value: JSON.stringify({ i, text: 'x'.repeat(i) }),
                timestamp: String(NOW + i * 1_000),
              })),
            },
          ],
        },
      ],
    });
  });

  it('compresses the same record bytes with the registered codec', async () => {
    const request: ProduceRequest = {
      acks: 1,
      timeout: 1_000,
      compression: CompressionTypes.GZIP,
      topicData: [
        {
          topic: 'g',
          partitions: [
            {
              partition: 0,
              messages: Array.from({ length: 50 }, (_, i) => ({ value: `v${i}`, timestamp: NOW })),
            },
          ],
        },
      ],
    };
    // gzip output carries no timestamp in Node's zlib, so the bytes are stable.
    await expectSameBytes(request);
  });

  it('frames the body as kafkajs frames a request encoder', async () => {
    const request = createProduceRequestV3()({
      acks: 0,
      timeout: 10,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v' }] }] }],
    });
    expect(request.expectResponse()).toBe(false);
    expect(request.apiVersion).toBe(3);
    const encoder = (await request.encode()) as unknown as { buffer: Buffer; size(): number };
    expect(encoder.size()).toBe(encoder.buffer.length);
  });

  it("keeps kafkajs' table of produce versions: same requests and responses for every version", async () => {
    const kafkajsTable = require('kafkajs/src/protocol/requests/produce') as ProduceRequests;
    // kafkajs' own module: jest's registry ignores the replacement made as the encoder loaded.
    expect(Object.getOwnPropertySymbols(kafkajsTable)).toEqual([]);
    const ours = createProduceRequests();
    expect(ours.versions).toEqual(kafkajsTable.versions);
    const args = {
      acks: -1,
      timeout: 1_000,
      compression: CompressionTypes.None,
      transactionalId: 'tx',
      producerId: 9,
      producerEpoch: 2,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v' }] }] }],
    };
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    type Request = { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
    for (const version of kafkajsTable.versions.map(Number)) {
      const expected = kafkajsTable.protocol({ version })(args);
      const actual = ours.protocol({ version })(args);
      expect(actual.response).toBe(expected.response);
      const [a, b] = [actual.request as Request, expected.request as Request];
      expect([a.apiKey, a.apiVersion]).toEqual([b.apiKey, b.apiVersion]);
      expect((await a.encode()).buffer.toString('hex')).toBe(
        (await b.encode()).buffer.toString('hex'),
      );
    }
  });
});
