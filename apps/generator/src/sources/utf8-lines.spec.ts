import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { Utf8Lines } from './utf8-lines';

/** The bytes `chunks` come out as through the checker, or its error message. */
async function through(chunks: readonly Buffer[]): Promise<Buffer | string> {
  try {
    return await buffer(Readable.from(chunks).pipe(new Utf8Lines('in.csv')));
  } catch (error) {
    return (error as Error).message;
  }
}

/** Splits `bytes` at the given cut points (any, mid-character included). */
function cut(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    parts.push(bytes.subarray(from, c));
    from = c;
  }
  parts.push(bytes.subarray(from));
  return parts.filter((p) => p.length > 0);
}

describe(Utf8Lines.name, () => {
  it('passes UTF-8 through unchanged however it is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (lines, cuts) => {
          const bytes = Buffer.from(lines.join('\n'), 'utf8');
          expect(await through(cut(bytes, cuts))).toEqual(bytes);
        },
      ),
    );
  });

  it('names the first line that is not UTF-8, however it is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (before, cuts) => {
          // Latin-1 "Zürich": 0xFC alone is no UTF-8 sequence.
          const bytes = Buffer.concat([
            Buffer.from(before.map((l) => `${l}\n`).join(''), 'utf8'),
            Buffer.from('u1,Zürich\nu2,ok\n', 'latin1'),
          ]);
          expect(await through(cut(bytes, cuts))).toBe(
            `in.csv: line ${before.length + 1} is not UTF-8; CSV input must be UTF-8 (convert it first, e.g. with iconv)`,
          );
        },
      ),
    );
  });

  it('refuses a sequence cut short by the end of the file', async () => {
    const euro = Buffer.from('€', 'utf8');
    expect(await through([Buffer.from('a\n'), euro.subarray(0, 2)])).toMatch(/line 2 is not UTF-8/);
  });
});
