/**
 * A faster encoder for kafkajs 2.2.4's Produce request (version 3, which versions 4 to 7
 * reuse), in place of kafkajs' own (see docs/adr/0009-correct-read-committed-filter-for-kafkajs.md).
 *
 * kafkajs builds each record in an `Encoder` of its own, sized with 64-bit `Long`
 * arithmetic, then copies records into a batch, the batch into a partition, the partition
 * into a topic and the topic into the request. This writes the same bytes (magic 2 record
 * batches, CRC-32C) into one buffer, sized up front. Compressed batches compress the same
 * record bytes with the codec kafkajs has registered.
 */
import { utf8Length, writeUtf8 } from './ascii';
import { crc32C } from './crc32c';
import { replaceKafkajsModule } from './kafkajs-modules';

type Bytes = Buffer | string | null | undefined;

interface ProduceMessage {
  readonly key?: Bytes;
  readonly value: Bytes;
  readonly headers?: Readonly<Record<string, Bytes | readonly Bytes[]>>;
  readonly timestamp?: string | number;
}

interface PartitionData {
  readonly partition: number;
  readonly firstSequence?: number;
  readonly messages: readonly ProduceMessage[];
}

interface TopicData {
  readonly topic: string;
  readonly partitions: readonly PartitionData[];
}

/** kafkajs' 64-bit integer (`utils/long`), or anything `Long.fromValue` takes. */
type LongLike = number | string | bigint | { toString(): string };

export interface ProduceRequest {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: LongLike;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: readonly TopicData[];
}

/** A codec as kafkajs registers it: compresses the records of an `Encoder`. */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
}

export interface EncoderDeps {
  readonly crc32C: (buffer: Buffer) => number;
  readonly lookupCodec: (compression: number) => Codec | null;
}

const MAGIC = 2;
const TRANSACTIONAL = 0x10;
const COMPRESSION_MASK = 0x07;
/** Bytes of a batch from its attributes (where the CRC starts) to its record count. */
const BATCH_HEADER_AFTER_CRC = 2 + 4 + 8 + 8 + 8 + 2 + 4;

function sizeOfVarInt(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

/** Zigzag varlong size for a safe integer. */
function sizeOfVarLong(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

function toBytes(value: Bytes): Buffer | string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value : String(value);
}

function byteLength(value: Buffer | string | null): number {
  return value === null ? -1 : typeof value === 'string' ? utf8Length(value) : value.length;
}

function sizeOfBytes(value: Buffer | string | null): number {
  const length = byteLength(value);
  return length < 0 ? 1 : sizeOfVarInt(length) + length;
}

/** A write cursor over a buffer sized up front. */
class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  int8(v: number): void {
    // A plain store: the buffer was sized up front, so Buffer#writeInt8's checks add nothing.
    this.buf[this.pos++] = v & 0xff;
  }
  int16(v: number): void {
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  int32(v: number): void {
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }
  int64(v: LongLike): void {
    this.buf.writeBigInt64BE(BigInt(typeof v === 'object' ? v.toString() : v), this.pos);
    this.pos += 8;
  }
  string(v: string | null): void {
    if (v === null) return this.int16(-1);
    const length = Buffer.byteLength(v);
    this.int16(length);
    this.pos += this.buf.write(v, this.pos, length, 'utf8');
  }
  varInt(value: number): void {
    let v = ((value << 1) ^ (value >> 31)) >>> 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }
  varLong(value: number): void {
    let v = value >= 0 ? value * 2 : -value * 2 - 1;
    while (v >= 128) {
      this.buf[this.pos++] = v % 128 | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  bytes(value: Buffer | string | null): void {
    if (value === null) return this.varInt(-1);
    if (typeof value === 'string') {
      this.varInt(utf8Length(value));
      this.pos += writeUtf8(this.buf, this.pos, value);
    } else {
      this.varInt(value.length);
      // TypedArray set: no argument checks of Buffer.copy per record.
      this.buf.set(value, this.pos);
      this.pos += value.length;
    }
  }
}

interface EncodedRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  /** The record's headers section as sent: the count, then each name and value. */
  readonly headers: Buffer;
  readonly timestampDelta: number;
  readonly bodySize: number;
}

/** The headers section of a record without headers: a count of zero. */
const NO_HEADERS: Buffer = Buffer.from([0]);

/** `headers` encoded, once per headers object in `cache`. */
function headersOf(headers: ProduceMessage['headers'], cache: Map<object, Buffer>): Buffer {
  if (headers === undefined || headers === null) return NO_HEADERS;
  let encoded = cache.get(headers);
  if (encoded === undefined) {
    encoded = encodeHeaders(headers);
    cache.set(headers, encoded);
  }
  return encoded;
}

/** A record's headers section: the count, then each name and value (a value per array item). */
function encodeHeaders(headers: NonNullable<ProduceMessage['headers']>): Buffer {
  const pairs: [string, Buffer | string | null][] = [];
  for (const [name, raw] of Object.entries(headers)) {
    const values = Array.isArray(raw) ? (raw as readonly Bytes[]) : [raw as Bytes];
    for (const v of values) pairs.push([name, toBytes(v)]);
  }
  if (pairs.length === 0) return NO_HEADERS;
  let size = sizeOfVarInt(pairs.length);
  for (const [name, v] of pairs) size += sizeOfBytes(name) + sizeOfBytes(v);
  const w = new Writer(Buffer.allocUnsafe(size));
  w.varInt(pairs.length);
  for (const [name, v] of pairs) {
    w.bytes(name);
    w.bytes(v);
  }
  return w.buf;
}

interface BatchPlan {
  readonly partition: number;
  readonly firstSequence: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly records: readonly EncodedRecord[];
  /** Size of the records section (uncompressed, or the compressed bytes). */
  readonly recordsSize: number;
  readonly compressed: Buffer | null;
}

/**
 * `headersCache`: the encoded headers of each headers object met in this request. Senders
 * share one headers object among many records (the gateway: one per HTTP request, with its
 * trace context), so each is encoded once per produce request, not once per record.
 */
function planRecords(
  messages: readonly ProduceMessage[],
  now: number,
  headersCache: Map<object, Buffer>,
) {
  let first = Infinity;
  let max = -Infinity;
  for (const m of messages) {
    if (m.timestamp === undefined || m.timestamp === null) continue;
    const t = Number(m.timestamp);
    if (t < first) first = t;
    if (t > max) max = t;
  }
  if (first === Infinity) first = max = now;
  let recordsSize = 0;
  const records: EncodedRecord[] = messages.map((m, i) => {
    const key = toBytes(m.key);
    const value = toBytes(m.value);
    const headers = headersOf(m.headers, headersCache);
    const t = m.timestamp === undefined || m.timestamp === null ? now : Number(m.timestamp);
    const timestampDelta = t - first;
    const bodySize =
      1 +
      sizeOfVarLong(timestampDelta) +
      sizeOfVarInt(i) +
      sizeOfBytes(key) +
      sizeOfBytes(value) +
      headers.length;
    recordsSize += sizeOfVarInt(bodySize) + bodySize;
    return { key, value, headers, timestampDelta, bodySize };
  });
  return { records, recordsSize, firstTimestamp: first, maxTimestamp: max };
}

function writeRecords(w: Writer, records: readonly EncodedRecord[]): void {
  records.forEach((r, i) => {
    w.varInt(r.bodySize);
    w.int8(0); // attributes: unused by records
    w.varLong(r.timestampDelta);
    w.varInt(i);
    w.bytes(r.key);
    w.bytes(r.value);
    r.headers.copy(w.buf, w.pos);
    w.pos += r.headers.length;
  });
}

/** The request body (after kafkajs' request header), byte for byte what kafkajs would send. */
export async function encodeProduceRequest(
  request: ProduceRequest,
  deps: EncoderDeps,
  now = Date.now(),
): Promise<Buffer> {
  const compression = (request.compression ?? 0) & COMPRESSION_MASK;
  const codec = compression === 0 ? null : deps.lookupCodec(compression);
  const transactionalId = request.transactionalId ?? null;
  const topics: { topic: string; batches: BatchPlan[] }[] = [];
  const headersCache = new Map<object, Buffer>();
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  for (const { topic, partitions } of request.topicData) {
    size += 2 + Buffer.byteLength(topic) + 4;
    const batches: BatchPlan[] = [];
    for (const p of partitions) {
      const plan = planRecords(p.messages, now, headersCache);
      let compressed: Buffer | null = null;
      let recordsSize = plan.recordsSize;
      if (codec !== null) {
        const w = new Writer(Buffer.allocUnsafe(plan.recordsSize));
        writeRecords(w, plan.records);
        compressed = await codec.compress({ buffer: w.buf });
        recordsSize = compressed.length;
      }
      batches.push({
        partition: p.partition,
        firstSequence: p.firstSequence ?? 0,
        ...plan,
        recordsSize,
        compressed,
      });
      // partition, batch size, then the batch: offset, length, epoch, magic, crc, header, count.
      size += 4 + 4 + 8 + 4 + 4 + 1 + 4 + BATCH_HEADER_AFTER_CRC + 4 + recordsSize;
    }
    topics.push({ topic, batches });
  }
  const w = new Writer(Buffer.allocUnsafe(size));
  w.string(transactionalId);
  w.int16(request.acks);
  w.int32(request.timeout);
  w.int32(topics.length);
  for (const { topic, batches } of topics) {
    w.string(topic);
    w.int32(batches.length);
    for (const b of batches) {
      const batchLength = 4 + 1 + 4 + BATCH_HEADER_AFTER_CRC + 4 + b.recordsSize;
      w.int32(b.partition);
      w.int32(8 + 4 + batchLength);
      w.int64(0); // first offset: the broker assigns offsets
      w.int32(batchLength);
      w.int32(0); // partition leader epoch
      w.int8(MAGIC);
      const crcAt = w.pos;
      w.pos += 4;
      w.int16(compression | (transactionalId === null ? 0 : TRANSACTIONAL));
      w.int32(b.records.length - 1);
      w.int64(b.firstTimestamp);
      w.int64(b.maxTimestamp);
      w.int64(request.producerId ?? -1);
      w.int16(request.producerEpoch ?? 0);
      w.int32(b.firstSequence);
      w.int32(b.records.length);
      if (b.compressed === null) writeRecords(w, b.records);
      else {
        b.compressed.copy(w.buf, w.pos);
        w.pos += b.compressed.length;
      }
      w.buf.writeUInt32BE(deps.crc32C(w.buf.subarray(crcAt + 4, w.pos)), crcAt);
    }
  }
  if (w.pos !== size) throw new Error(`produce request sized ${size} bytes, wrote ${w.pos}`);
  return w.buf;
}

/** kafkajs' `Encoder`, as its request framing reads one: `buf`, `offset`, `buffer`, `size()`. */
interface KafkaEncoder {
  buf: Buffer;
  offset: number;
}

/** kafkajs' produce v3 request module, with {@link encodeProduceRequest} as its encoder. */
export function createProduceRequestV3() {
  const Encoder = require('kafkajs/src/protocol/encoder') as new (size?: number) => KafkaEncoder;
  const { lookupCodec } = require('kafkajs/src/protocol/message/compression') as {
    lookupCodec: EncoderDeps['lookupCodec'];
  };
  const { Produce: apiKey } = require('kafkajs/src/protocol/requests/apiKeys') as {
    Produce: number;
  };
  if (typeof lookupCodec !== 'function') {
    throw new Error('kafkajs internals changed: review the produce request encoder');
  }
  return (request: ProduceRequest) => ({
    apiKey,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => request.acks !== 0,
    encode: async () => {
      const body = await encodeProduceRequest(request, { crc32C, lookupCodec });
      const encoder = new Encoder(0);
      encoder.buf = body;
      encoder.offset = body.length;
      return encoder;
    },
  });
}

type ProduceRequestModule = (args: object) => unknown;
type ProduceVersionModules = readonly [request: ProduceRequestModule, response: unknown];

/** kafkajs' `protocol/requests/produce` module: its versions, and the request of each. */
export interface ProduceRequests {
  readonly versions: readonly string[];
  protocol(version: { version: number }): (args: object) => { request: unknown; response: unknown };
}

/**
 * kafkajs' table of produce request versions, with each version's modules required once.
 * kafkajs' own `produce/index.js` requires them on every produce request, and under
 * OpenTelemetry's require hook each `require` resolves the file name again: about 1 % of a
 * loaded gateway's CPU. The arguments are handed on whole; each version's request reads
 * the ones it knows, as kafkajs' table picks them.
 */
export function createProduceRequests(): ProduceRequests {
  const loaders: Record<string, () => ProduceVersionModules> = {
    0: () => [
      require('kafkajs/src/protocol/requests/produce/v0/request'),
      require('kafkajs/src/protocol/requests/produce/v0/response'),
    ],
    1: () => [
      require('kafkajs/src/protocol/requests/produce/v1/request'),
      require('kafkajs/src/protocol/requests/produce/v1/response'),
    ],
    2: () => [
      require('kafkajs/src/protocol/requests/produce/v2/request'),
      require('kafkajs/src/protocol/requests/produce/v2/response'),
    ],
    3: () => [
      require('kafkajs/src/protocol/requests/produce/v3/request'),
      require('kafkajs/src/protocol/requests/produce/v3/response'),
    ],
    4: () => [
      require('kafkajs/src/protocol/requests/produce/v4/request'),
      require('kafkajs/src/protocol/requests/produce/v4/response'),
    ],
    5: () => [
      require('kafkajs/src/protocol/requests/produce/v5/request'),
      require('kafkajs/src/protocol/requests/produce/v5/response'),
    ],
    6: () => [
      require('kafkajs/src/protocol/requests/produce/v6/request'),
      require('kafkajs/src/protocol/requests/produce/v6/response'),
    ],
    7: () => [
      require('kafkajs/src/protocol/requests/produce/v7/request'),
      require('kafkajs/src/protocol/requests/produce/v7/response'),
    ],
  };
  const versions: Record<string, (args: object) => { request: unknown; response: unknown }> = {};
  for (const [version, load] of Object.entries(loaders)) {
    let modules: ProduceVersionModules | undefined;
    versions[version] = (args) => {
      modules ??= load();
      return { request: modules[0](args), response: modules[1] };
    };
  }
  return {
    versions: Object.keys(versions),
    protocol: ({ version }: { version: number }) => versions[version],
  };
}

/**
 * Puts {@link encodeProduceRequest} in place of kafkajs' produce request encoding, once per
 * process, before kafkajs loads it. `createKafka` calls it.
 */
export function installProduceRequestEncoder(): void {
  replaceKafkajsModule('kafkajs/src/protocol/requests/produce/v3/request', createProduceRequestV3);
}

// The version table loads with kafkajs itself (the v3 request only on the first produce), so
// it is replaced as this module loads: kafka-client.ts imports it before anything imports kafkajs.
replaceKafkajsModule('kafkajs/src/protocol/requests/produce', createProduceRequests);
