/**
 * Short ASCII strings (record keys: ids, UUIDs) written a byte per char in JavaScript: for a
 * few dozen chars that is cheaper than a call into Node's UTF-8 encoder, which
 * `Buffer.byteLength` and `Buffer#write` each make. Longer or non-ASCII text goes to Node.
 */
const SHORT = 64;

/** Bytes `text` takes as UTF-8. */
export function utf8Length(text: string): number {
  return isShortAscii(text) ? text.length : Buffer.byteLength(text);
}

/** Writes `text` as UTF-8 into `target` at `at`; returns the bytes written. */
export function writeUtf8(target: Buffer, at: number, text: string): number {
  if (text.length > SHORT) return target.write(text, at, 'utf8');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Not ASCII: Node writes the whole text over what was copied so far.
    if (c >= 0x80) return target.write(text, at, 'utf8');
    target[at + i] = c;
  }
  return text.length;
}

function isShortAscii(text: string): boolean {
  if (text.length > SHORT) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}
