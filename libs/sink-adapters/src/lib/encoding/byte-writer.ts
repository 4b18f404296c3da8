/** Bytes are gathered in buffers of about this size (a larger value gets its own). */
const CHUNK_BYTES = 1 << 20;

/**
 * Appends binary and text fields straight into preallocated buffers: no string per row, no
 * copy of a joined string into a Buffer. `finish()` hands over the filled parts, ready to be
 * streamed as they are.
 */
export class ByteWriter {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly chunkBytes = CHUNK_BYTES) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    let n = this.pos;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  /** Room for `n` more bytes in the current buffer. */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkBytes, n));
    this.pos = 0;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  int16BE(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }

  int32BE(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }

  /** A safe integer (|v| < 2^53) as a big-endian int64, without a BigInt. */
  int64BE(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    const lo = v - hi * 4294967296;
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(lo, this.pos + 4);
    this.pos += 8;
  }

  bigInt64BE(v: bigint): void {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
  }

  doubleBE(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** ASCII text (the caller knows every char is < 0x80), one byte per char. */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** UTF-8 text, unframed. */
  utf8(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.writeUtf8At(s, this.pos);
  }

  /** UTF-8 text after its byte length as a big-endian int32 (a binary COPY field). */
  int32BEPrefixedUtf8(s: string): void {
    this.ensure(4 + s.length * 3);
    const n = this.writeUtf8At(s, this.pos + 4);
    this.buf.writeInt32BE(n, this.pos);
    this.pos += 4 + n;
  }

  /**
   * `src[start, end)` after its length as a big-endian int32 (a binary COPY text field),
   * when every byte is ASCII; false, with nothing written, otherwise.
   */
  int32BEPrefixedAsciiBytes(src: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    this.ensure(4 + n);
    const buf = this.buf;
    let p = this.pos + 4;
    for (let i = start; i < end; i++) {
      const c = src[i] as number;
      if (c >= 0x80) return false;
      buf[p++] = c;
    }
    buf.writeInt32BE(n, this.pos);
    this.pos = p;
    return true;
  }

  /**
   * `src[start, end)` when every byte is printable ASCII other than a backslash (text that
   * needs no escape in TabSeparated); false, with nothing written, otherwise.
   */
  plainAsciiBytes(src: Uint8Array, start: number, end: number): boolean {
    this.ensure(end - start);
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) {
      const c = src[i] as number;
      if (c >= 0x80 || c < 0x20 || c === 0x5c) return false;
      buf[p++] = c;
    }
    this.pos = p;
    return true;
  }

  /** The bytes written, as buffers that can be streamed in order. */
  finish(): Buffer[] {
    const out = this.chunks;
    if (this.pos > 0) out.push(this.buf.subarray(0, this.pos));
    this.chunks = [];
    this.buf = Buffer.allocUnsafe(0);
    this.pos = 0;
    return out;
  }

  /** Writes `s` at `at` (room reserved by the caller), returns its byte length. */
  private writeUtf8At(s: string, at: number): number {
    const n = s.length;
    if (n < 64) {
      const buf = this.buf;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === n) return n;
    }
    return this.buf.write(s, at, 'utf8');
  }
}
