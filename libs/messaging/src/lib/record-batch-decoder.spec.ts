import { CompressionTypes } from 'kafkajs';
import { createRecordBatchDecoder, decodeRecords } from './record-batch-decoder';

// kafkajs' own encoder and decoder: the reference this decoder must equal.
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (batch: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (
  record: Record<string, unknown>,
) => unknown;
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;
const kafkajsDecode = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: unknown,
) => Promise<unknown>;
const Long = require('kafkajs/src/utils/long') as { fromString(s: string): unknown };

const ours = createRecordBatchDecoder();

interface TestRecord {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[]>;
  timestampDelta?: number;
}

async function batch(
  records: readonly TestRecord[],
  options: {
    firstOffset?: string;
    firstTimestamp?: number | string;
    compression?: CompressionTypes;
    attributesOr?: number;
  } = {},
): Promise<Buffer> {
  const firstTimestamp = options.firstTimestamp ?? 1_700_000_000_000;
  const encoded = await RecordBatch({
    compression: options.compression ?? CompressionTypes.None,
    firstOffset: Long.fromString(options.firstOffset ?? '0'),
    firstTimestamp:
      typeof firstTimestamp === 'string' ? Long.fromString(firstTimestamp) : firstTimestamp,
    maxTimestamp: 1_700_000_009_999,
    lastOffsetDelta: records.length - 1,
    transactional: true,
    producerId: Long.fromString('4242'),
    records: records.map((r, i) =>
      Record({
        key: r.key ?? null,
        value: r.value,
        headers: r.headers ?? {},
        offsetDelta: i,
        timestampDelta: r.timestampDelta ?? i,
      }),
    ),
  });
  const buffer = Buffer.from(encoded.buffer);
  // Attributes (int16) sit after firstOffset(8) length(4) leaderEpoch(4) magic(1) crc(4).
  if (options.attributesOr !== undefined) {
    buffer.writeInt16BE(buffer.readInt16BE(21) | options.attributesOr, 21);
  }
  return buffer;
}

async function expectSameAsKafkajs(buffer: Buffer): Promise<unknown> {
  const expected = await kafkajsDecode(new Decoder(buffer));
  const actual = await ours(new Decoder(buffer) as never);
  expect(actual).toEqual(expected);
  return actual;
}

const value = (text: string): Buffer => Buffer.from(text);

describe('record batch decoder', () => {
  it('decodes records with keys, null keys and values, and headers as kafkajs does', async () => {
    const decoded = (await expectSameAsKafkajs(
      await batch([
        { key: value('k1'), value: value('v1'), headers: { a: value('1') } },
        { key: null, value: value('v2') },
        { key: value('k3'), value: null, headers: { a: [value('x'), value('y')], b: value('') } },
        { key: value(''), value: value('é€😀'.repeat(100)) },
      ]),
    )) as { records: { offset: string; headers: Record<string, unknown> }[] };
    expect(decoded.records.map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
    expect(decoded.records[2]?.headers).toEqual({ a: [value('x'), value('y')], b: value('') });
  });

  it('keeps offsets and timestamps exact beyond 2^53', async () => {
    const decoded = (await expectSameAsKafkajs(
      await batch([{ value: value('a') }, { value: value('b'), timestampDelta: 300_000 }], {
        firstOffset: '9007199254740991',
        firstTimestamp: '9007199254740000',
      }),
    )) as { records: { offset: string; timestamp: string }[] };
    expect(decoded.records.map((r) => r.offset)).toEqual(['9007199254740991', '9007199254740992']);
    expect(decoded.records[1]?.timestamp).toBe('9007199255040000');
  });

  it('reads negative and large timestamp deltas', async () => {
    await expectSameAsKafkajs(
      await batch([
        { value: value('a'), timestampDelta: -5 },
        { value: value('b'), timestampDelta: 2 ** 40 },
        { value: value('c'), timestampDelta: -(2 ** 35) },
      ]),
    );
  });

  it('decodes gzip-compressed batches', async () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      key: value(`k${i}`),
      value: value(`v${i}`),
    }));
    await expectSameAsKafkajs(await batch(records, { compression: CompressionTypes.GZIP }));
  });

  it('marks the records of control batches, and takes the batch time under LOG_APPEND_TIME', async () => {
    const control = (await expectSameAsKafkajs(
      await batch([{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], {
        attributesOr: 0x20,
      }),
    )) as { isControlBatch: boolean; records: { isControlRecord: boolean }[] };
    expect(control.isControlBatch).toBe(true);
    expect(control.records[0]?.isControlRecord).toBe(true);
    const appended = (await expectSameAsKafkajs(
      await batch([{ value: value('a') }, { value: value('b') }], { attributesOr: 0x08 }),
    )) as { records: { timestamp: string }[] };
    expect(appended.records.map((r) => r.timestamp)).toEqual(['1700000009999', '1700000009999']);
  });

  it('refuses a batch cut short, as kafkajs does, so the fetch stops before it', async () => {
    const whole = await batch([{ value: value('a') }, { value: value('b') }]);
    const cut = whole.subarray(0, whole.length - 3);
    await expect(kafkajsDecode(new Decoder(cut))).rejects.toMatchObject({
      name: 'KafkaJSPartialMessageError',
    });
    await expect(ours(new Decoder(cut) as never)).rejects.toMatchObject({
      name: 'KafkaJSPartialMessageError',
    });
  });

  it('refuses a record whose length runs past the batch', () => {
    const context = {
      firstOffset: '0',
      firstTimestamp: '0',
      maxTimestamp: '0',
      timestampType: 0,
      isControlBatch: false,
      magicByte: 2,
    };
    // length 40 (zigzag 80), then only a few bytes.
    expect(() => decodeRecords(Buffer.from([80, 0, 0, 0]), 0, 1, context)).toThrow(RangeError);
  });
});
