import { randomFillSync } from 'node:crypto';

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const IDS_PER_FILL = 256;
const entropy = Buffer.allocUnsafe(16 * IDS_PER_FILL);
let next = entropy.length;
const text = Buffer.allocUnsafe(36);

/**
 * A random (version 4) UUID for an event that came without an `event_id`, as
 * `crypto.randomUUID()` makes, from a pool of random bytes refilled for 256 ids at a time.
 * Written into a buffer and read back as one flat string: `randomUUID()` builds its text by
 * concatenation, a rope of about 20 pieces that the Avro writer then flattens, which cost about
 * twice the time and 400 bytes of garbage per event.
 */
export function randomEventId(): string {
  if (next === entropy.length) {
    randomFillSync(entropy);
    next = 0;
  }
  const from = next;
  next += 16;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d; // '-'
    let byte = entropy[from + i] as number;
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    text[at++] = HEX[byte >> 4] as number;
    text[at++] = HEX[byte & 0x0f] as number;
  }
  return text.toString('latin1', 0, 36);
}
