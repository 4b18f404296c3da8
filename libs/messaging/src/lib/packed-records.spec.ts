import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import fc from 'fast-check';
import { packRecords, unpackRecords, type RecordBatches } from './packed-records';
import type { ProducerRecord } from './record-producer';

const text = fc.string({ unit: 'binary', maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
const record: fc.Arbitrary<ProducerRecord> = fc.record({
  key: fc.oneof(fc.constant(null), text, bytes),
  value: bytes,
  headers: fc.option(fc.dictionary(text, text, { maxKeys: 4 }), { nil: undefined }),
});
const batches: fc.Arbitrary<RecordBatches> = fc
  .uniqueArray(fc.tuple(text, fc.array(record, { maxLength: 20 })), {
    selector: ([topic]) => topic,
    maxLength: 4,
  })
  .map((entries) => new Map(entries));

/** What a record is on the wire: strings as their UTF-8 bytes, no headers as none. */
function wire(r: ProducerRecord): unknown {
  const headers = Object.entries(r.headers ?? {}).map(([k, v]) => [
    Buffer.from(k).toString('hex'),
    Buffer.from(v).toString('hex'),
  ]);
  return {
    key: r.key === null ? null : Buffer.from(r.key).toString('hex'),
    keyIsText: typeof r.key === 'string',
    value: r.value.toString('hex'),
    headers,
  };
}

describe('packRecords / unpackRecords', () => {
  it('give back every topic and record, in order, with the same bytes', () => {
    fc.assert(
      fc.property(batches, (original) => {
        const unpacked = unpackRecords(packRecords(original));
        expect([...unpacked.keys()]).toEqual([...original.keys()]);
        for (const [topic, records] of original) {
          expect(unpacked.get(topic)?.map(wire)).toEqual(records.map(wire));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('pack into a buffer of their own, which another thread takes without a copy', () => {
    const value = Buffer.from('{"a":1}');
    // A small buffer is a view of Node's shared 8 KiB pool: the packed one must not be.
    expect(value.buffer.byteLength).toBeGreaterThan(value.length);
    const packed = packRecords(new Map([['t', [{ key: 'k', value, headers: { h: 'v' } }]]]));
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(packed, [packed.buffer]);
      // Transferred: detached here.
      expect(packed.buffer.byteLength).toBe(0);
      const received = receiveMessageOnPort(port2)?.message as typeof packed;
      const [r] = unpackRecords(received).get('t') ?? [];
      expect(r?.key).toBe('k');
      expect(r?.value.toString()).toBe('{"a":1}');
      expect(r?.headers).toEqual({ h: 'v' });
    } finally {
      port1.close();
    }
  });

  it('keep a header named __proto__ as a header', () => {
    const packed = packRecords(
      new Map([
        ['t', [{ key: null, value: Buffer.from('v'), headers: JSON.parse('{"__proto__":"x"}') }]],
      ]),
    );
    const [r] = unpackRecords(packed).get('t') ?? [];
    expect(Object.entries(r?.headers ?? {})).toEqual([['__proto__', 'x']]);
  });

  it('pack nothing as an empty set of topics', () => {
    expect(unpackRecords(packRecords(new Map())).size).toBe(0);
  });
});
