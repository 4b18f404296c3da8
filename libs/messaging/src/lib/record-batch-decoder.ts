/**
 * A faster decoder for the records of a fetched record batch, in place of kafkajs 2.2.4's
 * (see docs/adr/0009-correct-read-committed-filter-for-kafkajs.md).
 *
 * kafkajs decodes each record through a fresh `Decoder` over a copy-free slice of it, with
 * 64-bit `Long` arithmetic and two `Long → string` conversions for its offset and timestamp,
 * and folds its headers with an object spread per header: about a dozen allocations per
 * record, which dominated a consumer that reads hundreds of thousands of records a second.
 * This reads the same wire format in one pass over the batch with plain numbers (exact
 * below 2^53; larger values take a BigInt path) and builds the same record objects, so
 * nothing above the decoder changes.
 */
import { replaceKafkajsModule } from './kafkajs-modules';

/** A fetched record, in the shape kafkajs hands to consumers. */
export interface DecodedRecord {
  readonly magicByte: number;
  readonly attributes: number;
  readonly timestamp: string;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
  readonly batchContext: RecordBatchContext;
}

/** The batch fields every record of the batch shares (kafkajs' `recordContext`). */
export interface RecordBatchContext {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly maxTimestamp: string;
  readonly timestampType: number;
  readonly isControlBatch: boolean;
  readonly magicByte: number;
  readonly [field: string]: unknown;
}

const LOG_APPEND_TIME = 1;

/** The headers of every record that has none: one frozen object, not one per record. */
const NO_HEADERS: Readonly<Record<string, never>> = Object.freeze({});

/** The read position inside the buffer being decoded (one decode runs at a time). */
let pos = 0;

function truncated(): never {
  throw new RangeError(`record batch truncated at byte ${pos}`);
}

/** A zigzag varint of at most 32 bits. */
function readVarInt(buf: Buffer): number {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    if (pos >= buf.length) truncated();
    byte = buf[pos++] as number;
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while ((byte & 0x80) !== 0 && shift < 35);
  if ((byte & 0x80) !== 0) throw new RangeError(`varint longer than 5 bytes at byte ${pos}`);
  return (value >>> 1) ^ -(value & 1);
}

/** A zigzag varlong, as a number when exact (|v| < 2^53) and as a bigint otherwise. */
function readVarLong(buf: Buffer): number | bigint {
  const start = pos;
  let value = 0;
  let scale = 1;
  let byte: number;
  do {
    if (pos >= buf.length) truncated();
    byte = buf[pos++] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
  } while ((byte & 0x80) !== 0 && pos - start < 10);
  if ((byte & 0x80) !== 0) throw new RangeError(`varlong longer than 10 bytes at byte ${pos}`);
  if (value <= Number.MAX_SAFE_INTEGER) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  let big = 0n;
  for (let i = pos - 1; i >= start; i--) big = (big << 7n) | BigInt((buf[i] as number) & 0x7f);
  return (big >> 1n) ^ -(big & 1n);
}

function readBytes(buf: Buffer): Buffer | null {
  const length = readVarInt(buf);
  if (length < 0) return null;
  const end = pos + length;
  if (end > buf.length) truncated();
  const bytes = buf.subarray(pos, end);
  pos = end;
  return bytes;
}

/** `base + delta` as a decimal string, exact for any int64. */
function add(base: string, baseNumber: number, delta: number | bigint): string {
  if (typeof delta === 'number') {
    const sum = baseNumber + delta;
    if (Number.isSafeInteger(baseNumber) && Number.isSafeInteger(sum)) return String(sum);
  }
  return (BigInt(base) + BigInt(delta)).toString();
}

/**
 * Decodes `count` records starting at `offset` in `buf`, as kafkajs' record decoder
 * (`recordBatch/record/v0/decoder`) would, for the batch described by `context`.
 */
export function decodeRecords(
  buf: Buffer,
  offset: number,
  count: number,
  context: RecordBatchContext,
): DecodedRecord[] {
  const records = new Array<DecodedRecord>(count);
  const { firstOffset, firstTimestamp, maxTimestamp, magicByte, isControlBatch } = context;
  const appendTime = context.timestampType === LOG_APPEND_TIME && Boolean(maxTimestamp);
  const firstOffsetNumber = Number(firstOffset);
  const firstTimestampNumber = Number(firstTimestamp);
  pos = offset;
  for (let i = 0; i < count; i++) {
    const length = readVarInt(buf);
    const end = pos + length;
    if (length < 0 || end > buf.length) truncated();
    const attributes = buf.readInt8(pos++);
    const timestampDelta = readVarLong(buf);
    const timestamp = appendTime
      ? maxTimestamp
      : add(firstTimestamp, firstTimestampNumber, timestampDelta);
    const recordOffset = add(firstOffset, firstOffsetNumber, readVarInt(buf));
    const key = readBytes(buf);
    const value = readBytes(buf);
    const headerCount = readVarInt(buf);
    const headers: Record<string, Buffer | null | (Buffer | null)[]> =
      headerCount === 0 ? NO_HEADERS : {};
    for (let h = 0; h < headerCount; h++) {
      const keyBytes = readBytes(buf);
      const headerValue = readBytes(buf);
      // kafkajs reads a null header key as the property "null".
      const name = keyBytes === null ? 'null' : keyBytes.toString('utf8');
      const existing = headers[name];
      headers[name] =
        existing === undefined
          ? headerValue
          : Array.isArray(existing)
            ? [...existing, headerValue]
            : [existing, headerValue];
    }
    if (pos > end) truncated();
    pos = end;
    records[i] = {
      magicByte,
      attributes,
      timestamp,
      offset: recordOffset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext: context,
    };
  }
  return records;
}

/** The parts of kafkajs' `Decoder` that the batch header is read with. */
interface KafkaDecoder {
  readonly buffer: Buffer;
  offset: number;
  readInt8(): number;
  readInt16(): number;
  readInt32(): number;
  readInt64(): bigint;
  slice(size: number): KafkaDecoder;
  forward(size: number): void;
  readAll(): Buffer;
}

interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}

interface KafkaInternals {
  readonly lookupCodecByAttributes: (attributes: number) => Codec | null;
  readonly PartialMessageError: new (message: string) => Error;
}

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;

/**
 * kafkajs' record batch decoder (`recordBatch/v0/decoder`) with {@link decodeRecords} for the
 * records: the batch header is read field for field as kafkajs reads it, and compressed
 * records are inflated by the codecs kafkajs has registered.
 */
export function createRecordBatchDecoder() {
  const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression') as {
    lookupCodecByAttributes?: KafkaInternals['lookupCodecByAttributes'];
  };
  const { KafkaJSPartialMessageError } = require('kafkajs/src/errors') as {
    KafkaJSPartialMessageError?: KafkaInternals['PartialMessageError'];
  };
  if (lookupCodecByAttributes === undefined || KafkaJSPartialMessageError === undefined) {
    throw new Error('kafkajs internals changed: review the record batch decoder');
  }
  const kafka: KafkaInternals = {
    lookupCodecByAttributes,
    PartialMessageError: KafkaJSPartialMessageError,
  };
  return async (fetchDecoder: KafkaDecoder) => {
    const firstOffset = fetchDecoder.readInt64().toString();
    const length = fetchDecoder.readInt32();
    const decoder = fetchDecoder.slice(length);
    fetchDecoder.forward(length);
    if (decoder.buffer.length < length) {
      throw new kafka.PartialMessageError(
        `Tried to decode a partial record batch: remainingBytes(${decoder.buffer.length}) < recordBatchLength(${length})`,
      );
    }
    const partitionLeaderEpoch = decoder.readInt32();
    const magicByte = decoder.readInt8();
    decoder.readInt32(); // CRC, not checked (nor by kafkajs)
    const attributes = decoder.readInt16();
    const lastOffsetDelta = decoder.readInt32();
    const firstTimestamp = decoder.readInt64().toString();
    const maxTimestamp = decoder.readInt64().toString();
    const producerId = decoder.readInt64().toString();
    const producerEpoch = decoder.readInt16();
    const firstSequence = decoder.readInt32();
    const batch = {
      firstOffset,
      firstTimestamp,
      partitionLeaderEpoch,
      inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
      isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
      lastOffsetDelta,
      producerId,
      producerEpoch,
      firstSequence,
      maxTimestamp,
      timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : 0,
    };
    const context: RecordBatchContext = { ...batch, magicByte };
    const count = decoder.readInt32();
    const codec = kafka.lookupCodecByAttributes(attributes);
    let records: DecodedRecord[] = [];
    if (codec === null) {
      if (count > 0) records = decodeRecords(decoder.buffer, decoder.offset, count, context);
    } else if (count > 0) {
      const decompressed = await codec.decompress(decoder.readAll());
      records = decodeRecords(decompressed, 0, count, context);
    }
    return { ...batch, records };
  };
}

/**
 * Puts {@link decodeRecords} in place of kafkajs' record decoding, once per process, before
 * kafkajs loads it. `createKafka` calls it.
 */
export function installRecordBatchDecoder(): void {
  replaceKafkajsModule('kafkajs/src/protocol/recordBatch/v0/decoder', createRecordBatchDecoder);
}
