import { Partitioners } from 'kafkajs';
import { writeUtf8 } from './ascii';
import type { PartitionerFactory } from './kafka-port';

const M = 0x5bd1e995;

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, which picks a keyed record's partition) in
 * 32-bit integer arithmetic. kafkajs computes the same hash with a `Long` object per step, about
 * forty allocations for a 36-character key; every step here keeps to the low 32 bits, which is
 * all those 64-bit products contribute to the result.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= (data[whole + 2] as number) << 16;
    if (rest >= 2) h ^= (data[whole + 1] as number) << 8;
    h ^= data[whole] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Keys up to this many UTF-8 bytes are hashed without a buffer of their own. */
const SCRATCH_BYTES = 1024;

/**
 * The Java client's default partitioner, as kafkajs' `DefaultPartitioner` implements it: an
 * explicit partition wins, a keyed record goes to `murmur2(key) & 0x7fffffff` modulo the
 * partition count, a record without a key round-robins over the available partitions (left to
 * kafkajs' own). Keyed records cost no allocation: a string key is encoded into a scratch buffer.
 */
export const murmur2Partitioner: PartitionerFactory = () => {
  const keyless = Partitioners.DefaultPartitioner();
  const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key === null || key === undefined) return keyless(args);
    let hash: number;
    if (Buffer.isBuffer(key)) hash = murmur2(key);
    else {
      const text = String(key);
      // At most 3 UTF-8 bytes per UTF-16 unit: short keys fit without measuring them.
      const fits = text.length * 3 <= SCRATCH_BYTES || Buffer.byteLength(text) <= SCRATCH_BYTES;
      hash = fits
        ? murmur2(scratch, writeUtf8(scratch, 0, text))
        : murmur2(Buffer.from(text, 'utf8'));
    }
    return (hash & 0x7fffffff) % partitionMetadata.length;
  };
};
