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

/** Writes `n` as 4 little-endian bytes at `at` (no range checks: the buffer was sized for it). */
function u32At(out: Buffer, at: number, n: number): void {
  out[at] = n;
  out[at + 1] = n >>> 8;
  out[at + 2] = n >>> 16;
  out[at + 3] = n >>> 24;
}

/** Writes `text` as u32 length and UTF-8 at `at`; returns the end. ASCII is copied by hand. */
function textAt(out: Buffer, at: number, text: string): number {
  const n = text.length;
  let p = at + 4;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      const length = out.write(text, at + 4);
      u32At(out, at, length);
      return at + 4 + length;
    }
    out[p++] = c;
  }
  u32At(out, at, n);
  return p;
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
  u32At(out, 0, batches.size);
  let p = 4;
  for (const [topic, records] of batches) {
    p = textAt(out, p, topic);
    u32At(out, p, records.length);
    p += 4;
    for (const r of records) {
      const key = r.key;
      if (key === null) {
        out[p++] = NULL_KEY;
      } else if (typeof key === 'string') {
        out[p++] = STRING_KEY;
        p = textAt(out, p, key);
      } else {
        out[p++] = BYTES_KEY;
        u32At(out, p, key.length);
        out.set(key, p + 4);
        p += 4 + key.length;
      }
      const value = r.value;
      u32At(out, p, value.length);
      out.set(value, p + 4);
      p += 4 + value.length;
      const headers = r.headers;
      const countAt = p;
      let count = 0;
      p += 4;
      if (headers !== undefined) {
        for (const name in headers) {
          p = textAt(out, p, name);
          p = textAt(out, p, headers[name] ?? '');
          count++;
        }
      }
      u32At(out, countAt, count);
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
