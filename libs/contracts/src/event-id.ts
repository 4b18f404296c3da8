import { randomFillSync } from 'node:crypto';

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const TEXT = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');
const IDS_PER_FILL = 256;
const entropy = Buffer.allocUnsafe(16 * IDS_PER_FILL);
let next = entropy.length;

/** The low `digits` hex digits of `w`, lowercase, into TEXT at `at`. */
function hexInto(at: number, digits: number, w: number): void {
  for (let i = at + digits - 1; i >= at; i--) {
    TEXT[i] = HEX[w & 15] as number;
    w >>>= 4;
  }
}

/**
 * The text of a version 4 UUID made of four 32-bit words (big-endian), with its version and
 * variant bits set. Written into a buffer and read back as one flat string: joining hex pieces
 * makes a rope of small strings that every later read (the Avro writer's) has to flatten.
 */
export function uuidText(w0: number, w1: number, w2: number, w3: number): string {
  hexInto(0, 8, w0);
  const versioned = (w1 & 0xffff0fff) | 0x00004000;
  hexInto(9, 4, versioned >>> 16);
  hexInto(14, 4, versioned);
  const variant = (w2 & 0x3fffffff) | 0x80000000;
  hexInto(19, 4, variant >>> 16);
  hexInto(24, 4, variant);
  hexInto(28, 8, w3);
  return TEXT.toString('latin1');
}

/**
 * A random version 4 UUID for an event that came without an `event_id`, as
 * `crypto.randomUUID()` makes, from a pool of random bytes refilled for 256 ids at a time.
 * `randomUUID()` builds its text by concatenation (see {@link uuidText}): about twice the time
 * and 400 bytes of garbage per event.
 */
export function randomEventId(): string {
  if (next === entropy.length) {
    randomFillSync(entropy);
    next = 0;
  }
  const at = next;
  next += 16;
  return uuidText(
    entropy.readUInt32BE(at),
    entropy.readUInt32BE(at + 4),
    entropy.readUInt32BE(at + 8),
    entropy.readUInt32BE(at + 12),
  );
}
