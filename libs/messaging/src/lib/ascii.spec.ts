import fc from 'fast-check';
import { utf8Length, writeUtf8 } from './ascii';

describe('short ASCII strings written in JavaScript', () => {
  const texts = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.uuid(),
  );

  it("measures and writes any text as Node's UTF-8 encoder does", () => {
    fc.assert(
      fc.property(texts, fc.nat(16), (text, at) => {
        const expected = Buffer.from(text, 'utf8');
        expect(utf8Length(text)).toBe(expected.length);
        const target = Buffer.alloc(at + expected.length + 4, 0xaa);
        expect(writeUtf8(target, at, text)).toBe(expected.length);
        expect(target.subarray(at, at + expected.length)).toEqual(expected);
        // Nothing around it is touched.
        expect(target.subarray(0, at).every((b) => b === 0xaa)).toBe(true);
        expect(target.subarray(at + expected.length).every((b) => b === 0xaa)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
