import * as avro from 'avsc';
import fc from 'fast-check';
import { forSchema } from './avro-types';

/** avsc's own types, without this lib's hooks: the reference for the bytes. */
const reference = (schema: unknown): avro.Type => avro.Type.forSchema(schema as avro.Schema);

describe('strings', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 70 }),
    fc.string({ unit: 'grapheme', maxLength: 70 }),
    fc.string({ unit: 'binary', maxLength: 70 }),
  );

  it('encode to the bytes avsc writes, at every length around the one-byte limit', () => {
    const ours = forSchema('string');
    const theirs = reference('string');
    fc.assert(
      fc.property(text, (s) => {
        const bytes = ours.toBuffer(s);
        expect(bytes).toEqual(theirs.toBuffer(s));
        expect(theirs.fromBuffer(bytes)).toBe(s);
      }),
      { numRuns: 3_000 },
    );
    for (const n of [0, 1, 62, 63, 64, 65, 200]) {
      const s = 'a'.repeat(n);
      expect(ours.toBuffer(s)).toEqual(theirs.toBuffer(s));
    }
  });

  it('encode records of many strings the same as avsc, through its buffer resizing', () => {
    const schema = {
      type: 'record',
      name: 'r',
      // Bare names, object schemas and optional strings.
      fields: Array.from({ length: 40 }, (_, i) => ({
        name: `f${i}`,
        type: ['string', { type: 'string', 'avro.java.string': 'String' }, ['null', 'string']][
          i % 3
        ],
      })),
    };
    const ours = forSchema(schema);
    const theirs = reference(schema);
    fc.assert(
      fc.property(fc.array(text, { minLength: 40, maxLength: 40 }), (values) => {
        const record = Object.fromEntries(values.map((v, i) => [`f${i}`, v]));
        expect(ours.toBuffer(record)).toEqual(theirs.toBuffer(record));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a value that is not a string, as avsc does', () => {
    const ours = forSchema({ type: 'record', name: 'r', fields: [{ name: 's', type: 'string' }] });
    expect(() => ours.toBuffer({ s: 5 })).toThrow(/invalid "string": 5/);
    expect(ours.isValid({ s: 'x' })).toBe(true);
    expect(ours.isValid({ s: 5 })).toBe(false);
  });

  it('exports every string schema as avsc does', () => {
    for (const schema of [
      'string',
      { type: 'string' },
      { type: 'string', logicalType: 'uuid' },
      { type: 'string', 'avro.java.string': 'String' },
    ]) {
      expect(forSchema(schema).schema({ exportAttrs: true })).toEqual(
        reference(schema).schema({ exportAttrs: true }),
      );
    }
  });
});
