import { copyBinaryBody } from './postgres-binary';

const specs = [
  { name: 'id', type: 'string' as const },
  { name: 'n', type: 'int' as const, nullable: true },
  { name: 'big', type: 'long' as const },
  { name: 'x', type: 'double' as const },
  { name: 'ok', type: 'boolean' as const },
  { name: 'at', type: 'timestamp' as const },
  { name: 'day', type: 'date' as const },
];

describe(copyBinaryBody.name, () => {
  it('writes the header, one tuple per row in column order, and the trailer', () => {
    const at = Date.UTC(2000, 0, 1, 0, 0, 1, 5); // 1.005 s after PostgreSQL's epoch
    const body = Buffer.concat(
      copyBinaryBody(
        [{ id: 'é', big: 9_007_199_254_740_993n, x: 1.5, ok: true, at, day: '2000-01-03' }],
        specs,
      ),
    );
    expect(body.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    expect(body.readInt32BE(11)).toBe(0); // flags
    expect(body.readInt32BE(15)).toBe(0); // header extension
    let p = 19;
    expect(body.readInt16BE(p)).toBe(7);
    p += 2;
    const field = (): Buffer => {
      const n = body.readInt32BE(p);
      p += 4;
      if (n < 0) return Buffer.alloc(0);
      p += n;
      return body.subarray(p - n, p);
    };
    expect(field().toString('utf8')).toBe('é');
    expect(body.readInt32BE(p)).toBe(-1); // NULL n
    field();
    expect(field().readBigInt64BE()).toBe(9_007_199_254_740_993n);
    expect(field().readDoubleBE()).toBe(1.5);
    expect(field()[0]).toBe(1);
    expect(field().readBigInt64BE()).toBe(1_005_000n);
    expect(field().readInt32BE()).toBe(2);
    expect(body.readInt16BE(p)).toBe(-1);
    expect(body.length).toBe(p + 2);
  });

  it('encodes negative and large numbers exactly', () => {
    const before = Date.UTC(1999, 11, 31, 23, 59, 59, 999);
    const body = Buffer.concat(
      copyBinaryBody(
        [
          {
            id: 'a',
            n: -5,
            big: -(2 ** 40) - 3,
            x: -0.25,
            ok: false,
            at: before,
            day: '1999-12-31',
          },
        ],
        specs,
      ),
    );
    let p = 21 + 4 + 1; // header, field count, 'a'
    expect(body.readInt32BE(p + 4)).toBe(-5);
    p += 8;
    expect(Number(body.readBigInt64BE(p + 4))).toBe(-(2 ** 40) - 3);
    p += 12 + 12 + 5;
    expect(body.readBigInt64BE(p + 4)).toBe(-1000n);
    p += 12;
    expect(body.readInt32BE(p + 4)).toBe(-1);
  });

  it('rejects a missing required value, a non-number and an int out of range before sending', () => {
    const row = { id: 'a', big: 1, x: 1, ok: true, at: 0, day: '2024-01-01' };
    expect(() => copyBinaryBody([{ ...row, id: null }], specs)).toThrow(/not nullable/);
    expect(() => copyBinaryBody([{ ...row, x: 'abc' }], specs)).toThrow(/not a number/);
    expect(() => copyBinaryBody([{ ...row, n: 2 ** 31 }], specs)).toThrow(/out of range/);
  });

  it('writes NaN and the infinities of a double as they are', () => {
    const row = { id: 'a', big: 1, ok: true, at: 0, day: '2024-01-01' };
    for (const x of [NaN, Infinity, -Infinity]) {
      const body = Buffer.concat(copyBinaryBody([{ ...row, x }], specs));
      expect(body.includes(Buffer.from(new Float64Array([x]).buffer).reverse())).toBe(true);
    }
  });

  it('stores a nested value of a text column as its JSON, as the column mapping does', () => {
    const body = Buffer.concat(
      copyBinaryBody(
        [{ id: { a: 1 } as never, big: 1, x: 1, ok: true, at: 0, day: '2024-01-01' }],
        specs,
      ),
    );
    expect(body.subarray(25, 25 + 7).toString()).toBe('{"a":1}');
  });
});
