import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;

/**
 * Passes a file's bytes on a line at a time once each line is known to be UTF-8, and fails
 * naming the first line that is not: decoded leniently, its bytes would become U+FFFD and be
 * sent as if the file had held them. A newline byte is never inside a UTF-8 sequence, so each
 * line is checked on its own, whatever the chunks.
 */
export class Utf8Lines extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  /** Lines passed on so far. */
  private lines = 0;

  constructor(private readonly file: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const end = bytes.lastIndexOf(NEWLINE) + 1;
    this.pending = bytes.subarray(end);
    done(this.check(bytes.subarray(0, end)), end === 0 ? undefined : bytes.subarray(0, end));
  }

  override _flush(done: TransformCallback): void {
    done(this.check(this.pending), this.pending.length === 0 ? undefined : this.pending);
  }

  /** Counts the lines of `bytes`, or names the first that is not UTF-8. */
  private check(bytes: Buffer): Error | null {
    const valid = isUtf8(bytes);
    for (let start = 0; start < bytes.length; this.lines++) {
      const newline = bytes.indexOf(NEWLINE, start);
      const stop = newline === -1 ? bytes.length : newline + 1;
      if (!valid && !isUtf8(bytes.subarray(start, stop))) {
        return new Error(
          `${this.file}: line ${this.lines + 1} is not UTF-8; CSV input must be UTF-8 (convert it first, e.g. with iconv)`,
        );
      }
      start = stop;
    }
    return null;
  }
}
