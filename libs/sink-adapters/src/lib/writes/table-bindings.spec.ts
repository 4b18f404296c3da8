import fc from 'fast-check';
import type { TableSchema } from '../sink.port';
import { rowKey } from './table-bindings';

const schema = (key: readonly string[]): TableSchema => ({
  columns: key.map((name) => ({ name, type: 'string' })),
  key,
});

/** A key value of any type a decoded record can hold in a key column. */
const keyValue = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.boolean(),
  fc.date({ noInvalidDate: true }),
);

/**
 * What makes two key values the same identity: a Date is its time in ms, a bigint its
 * decimal text (a key column holds one type, so neither meets the other kind).
 */
const identity = (v: unknown): string => {
  if (v instanceof Date) return `number:${v.getTime()}`;
  if (typeof v === 'bigint') return `string:${v}`;
  if (typeof v === 'number') return `number:${Object.is(v, -0) ? 0 : v}`;
  return `${typeof v}:${String(v)}`;
};

/** A copy of `v` that is not the same object (a Date is a new Date). */
const copy = (v: unknown): unknown => (v instanceof Date ? new Date(v.getTime()) : v);

describe(rowKey.name, () => {
  it('gives two rows the same key exactly when their key values are the same', () => {
    const columns = ['a', 'b', 'c'];
    fc.assert(
      fc.property(
        fc.array(keyValue, { minLength: 3, maxLength: 3 }),
        // Each value of the second row is either the first row's (copied) or another one.
        fc.array(fc.option(keyValue, { nil: undefined }), { minLength: 3, maxLength: 3 }),
        (x, changes) => {
          const y = x.map((v, i) => (changes[i] === undefined ? copy(v) : changes[i]));
          const row = (values: unknown[]) =>
            Object.fromEntries(columns.map((c, i) => [c, values[i]]));
          const same = x.map(identity).join('|') === y.map(identity).join('|');
          expect(rowKey(schema(columns), row(x)) === rowKey(schema(columns), row(y))).toBe(same);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('tells apart strings that only a separator would confuse', () => {
    const two = schema(['a', 'b']);
    const keys = [
      { a: 'x:1', b: 'y' },
      { a: 'x', b: ':1y' },
      { a: '1:x', b: '' },
      { a: '', b: '1:x' },
      { a: 'n1;', b: 'z' },
    ].map((row) => rowKey(two, row));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('has no key for a row missing a key column', () => {
    expect(rowKey(schema(['a', 'b']), { a: 'x', b: null })).toBeUndefined();
    expect(rowKey(schema(['a']), { b: 'x' })).toBeUndefined();
    expect(rowKey(schema(['a']), { a: 'x' })).toBe('x');
  });
});
