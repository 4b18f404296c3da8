import fc from 'fast-check';
import { SerdeError } from './serde.error';
import { decodeFrame, encodeFrame } from './wire-format';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof SerdeError ? err.code : `not a SerdeError: ${String(err)}`;
  }
  return undefined;
};

describe(encodeFrame.name, () => {
  it('writes magic byte 0, the schema id big-endian, then the payload', () => {
    const frame = encodeFrame(0x01020304, Buffer.from([0xaa, 0xbb]));

    expect([...frame]).toEqual([0x00, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb]);
  });

  it.each([-1, 1.5, 2 ** 32, Number.NaN])('refuses schema id %p with ENCODE_FAILED', (id) => {
    expect(codeOf(() => encodeFrame(id, Buffer.alloc(0)))).toBe('ENCODE_FAILED');
  });
});

describe(decodeFrame.name, () => {
  it('splits any frame back into its schema id and payload', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array(), (id, payload) => {
        const frame = decodeFrame(encodeFrame(id, payload));
        expect(frame.schemaId).toBe(id);
        expect([...frame.payload]).toEqual([...payload]);
      }),
    );
  });

  it('accepts a plain Uint8Array view into a larger buffer', () => {
    const backing = new Uint8Array([9, 9, 0, 0, 0, 0, 7, 42, 9]);

    expect(decodeFrame(backing.subarray(2, 8))).toEqual({
      schemaId: 7,
      payload: Buffer.from([42]),
    });
  });

  it('rejects an empty message as TRUNCATED', () => {
    expect(() => decodeFrame(Buffer.alloc(0))).toThrow(
      expect.objectContaining({ code: 'TRUNCATED', message: expect.stringContaining('empty') }),
    );
  });

  it('rejects a header shorter than 5 bytes as TRUNCATED, saying how long it was', () => {
    expect(() => decodeFrame(Buffer.from([0, 0, 1]))).toThrow(
      expect.objectContaining({ code: 'TRUNCATED', message: expect.stringContaining('3 byte(s)') }),
    );
  });

  it('rejects a message not starting with 0 as UNKNOWN_MAGIC_BYTE, naming the byte', () => {
    expect(() => decodeFrame(Buffer.from('{"json":true}'))).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_MAGIC_BYTE',
        message: expect.stringContaining('0x7b'),
      }),
    );
  });

  it('throws nothing but SerdeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        const code = codeOf(() => decodeFrame(bytes));
        expect([undefined, 'TRUNCATED', 'UNKNOWN_MAGIC_BYTE']).toContain(code);
      }),
    );
  });
});
