import fc from 'fast-check';
import { crc32C } from './crc32c';

// kafkajs' table-driven implementation: the checksum brokers have always accepted from us.
const reference = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;

describe('crc32C', () => {
  it('loads the native binding here, which gives the standard check value', () => {
    expect(() => require('@node-rs/crc32')).not.toThrow();
    const buffer = Buffer.from('123456789');
    // The check value of CRC-32C (Castagnoli) for "123456789".
    expect(crc32C(buffer)).toBe(0xe3069283);
  });

  it('equals kafkajs on any bytes, as an unsigned 32-bit number', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        expect(crc32C(buffer)).toBe(reference(buffer));
      }),
      { numRuns: 300 },
    );
  });

  it('reads only the view it is given (a subarray of a larger buffer)', () => {
    const whole = Buffer.from('xx123456789yy');
    expect(crc32C(whole.subarray(2, 11))).toBe(0xe3069283);
  });
});
