import type { ProducerRecord } from './record-producer';

/** Records by topic, as the producer port sends them. */
export type RecordBatches = ReadonlyMap<string, readonly ProducerRecord[]>;

/**
 * Records by topic packed into one buffer that owns its memory, so a thread can hand it to
 * another without a copy (a transferred `ArrayBuffer`). Structured cloning would copy every
 * value buffer's whole backing store instead: Node's small buffers share 8 KiB pools.
 */
export interface PackedRecords {
  readonly buffer: ArrayBuffer;
  readonly length: number;
}

const NULL_KEY = 0;
const STRING_KEY = 1;
const BYTES_KEY = 2;

/** Upper bound of a string's UTF-8 length (3 bytes per UTF-16 unit), without measuring it. */
function maxUtf8(text: string): number {
  return text.length * 3;
}

/**
 * Layout, little-endian: u32 topics; per topic u32 name bytes, name, u32 records; per record
 * u8 key kind (0 null, 1 string, 2 bytes), [u32 length, key], u32 length, value, u32
 * headers, per header u32 length, name, u32 length, value.
 */
export function packRecords(batches: RecordBatches): PackedRecords {
  let size = 4;
  for (const [topic, records] of batches) {
    size += 8 + maxUtf8(topic);
    for (const r of records) {
      size += 9 + r.value.length;
      const key = r.key;
      if (key !== null) size += 4 + (typeof key === 'string' ? maxUtf8(key) : key.length);
      const headers = r.headers;
      if (headers !== undefined) {
        for (const name in headers) size += 8 + maxUtf8(name) + maxUtf8(headers[name] ?? '');
      }
    }
  }
  const out = Buffer.allocUnsafeSlow(size);
  let p = out.writeUInt32LE(batches.size, 0);
  const text = (value: string): void => {
    const n = out.write(value, p + 4);
    out.writeUInt32LE(n, p);
    p += 4 + n;
  };
  for (const [topic, records] of batches) {
    text(topic);
    p = out.writeUInt32LE(records.length, p);
    for (const r of records) {
      const key = r.key;
      if (key === null) {
        out[p++] = NULL_KEY;
      } else if (typeof key === 'string') {
        out[p++] = STRING_KEY;
        text(key);
      } else {
        out[p++] = BYTES_KEY;
        p = out.writeUInt32LE(key.length, p);
        p += key.copy(out, p);
      }
      p = out.writeUInt32LE(r.value.length, p);
      p += r.value.copy(out, p);
      const headers = r.headers;
      const at = p;
      let count = 0;
      p += 4;
      if (headers !== undefined) {
        for (const name in headers) {
          text(name);
          text(headers[name] ?? '');
          count++;
        }
      }
      out.writeUInt32LE(count, at);
    }
  }
  return { buffer: out.buffer as ArrayBuffer, length: p };
}

/** The records {@link packRecords} packed; values and byte keys are views into `packed`. */
export function unpackRecords(packed: PackedRecords): Map<string, ProducerRecord[]> {
  const bytes = Buffer.from(packed.buffer, 0, packed.length);
  let p = 0;
  const u32 = (): number => {
    const n = bytes.readUInt32LE(p);
    p += 4;
    return n;
  };
  const slice = (): Buffer => {
    const n = u32();
    p += n;
    return bytes.subarray(p - n, p);
  };
  const text = (): string => {
    const n = u32();
    p += n;
    return bytes.toString('utf8', p - n, p);
  };
  const batches = new Map<string, ProducerRecord[]>();
  for (let topics = u32(); topics > 0; topics--) {
    const topic = text();
    const records: ProducerRecord[] = [];
    for (let n = u32(); n > 0; n--) {
      const kind = bytes[p++];
      const key = kind === NULL_KEY ? null : kind === STRING_KEY ? text() : slice();
      const value = slice();
      const count = u32();
      let headers: Record<string, string> | undefined;
      if (count > 0) {
        // No prototype: a header may be called `__proto__`.
        headers = Object.create(null) as Record<string, string>;
        for (let h = 0; h < count; h++) {
          const name = text();
          headers[name] = text();
        }
      }
      records.push({ key, value, headers });
    }
    batches.set(topic, records);
  }
  return batches;
}
