import { Partitioners } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { murmur2, murmur2Partitioner } from './murmur2-partitioner';

// kafkajs' own, read from its source file: ours must hash exactly as it (and the Java client) does.
const original = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer | string,
) => number;

describe('murmur2', () => {
  it('gives the Java client’s values', () => {
    // Kafka's UtilsTest#testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('equals kafkajs’ for random keys of every length remainder, and empty ones', () => {
    for (let length = 0; length < 70; length++) {
      for (let n = 0; n < 20; n++) {
        const key = randomBytes(length);
        expect(murmur2(key)).toBe(original(key));
      }
    }
  });
});

describe('murmur2Partitioner', () => {
  const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
  const kafkajs = Partitioners.DefaultPartitioner();
  const ours = murmur2Partitioner();
  const both = (message: { key?: string | Buffer | null; partition?: number }) => {
    const args = { topic: 't', partitionMetadata, message: { value: 'v', ...message } };
    return [ours(args), kafkajs(args)];
  };

  it('puts a keyed record where kafkajs’ default partitioner does', () => {
    const keys = [
      ...Array.from({ length: 2_000 }, (_, i) => `user_${i}`),
      'ünïcødé-ключ-鍵-🔑',
      'k'.repeat(400), // longer than the scratch buffer's 3-bytes-per-unit bound
      'é'.repeat(600), // 1,200 UTF-8 bytes: hashed from a buffer of its own
      randomBytes(40),
    ];
    for (const key of keys) {
      const [a, b] = both({ key });
      expect(a).toBe(b);
    }
  });

  it('keeps an explicit partition, and spreads keyless records over every partition', () => {
    expect(both({ key: 'user_1', partition: 7 })).toEqual([7, 7]);
    const seen = new Set(Array.from({ length: 48 }, () => both({ key: null })[0]));
    expect(seen.size).toBe(12);
  });
});
