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

describe('unions of null and a primitive', () => {
  /** avsc's own union writer, which every other union keeps. */
  const stock = (avro.types as unknown as { UnwrappedUnionType: { prototype: object } })
    .UnwrappedUnionType.prototype;
  const branches = {
    string: fc.string({ unit: 'binary', maxLength: 70 }),
    int: fc.integer(),
    float: fc.float({ noNaN: true }),
    double: fc.double(),
    boolean: fc.boolean(),
    // Not written by the nullable union's own path; within 2^52, where avsc's stock long is exact.
    long: fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
  } as const;
  const names = Object.keys(branches) as (keyof typeof branches)[];
  const schema = {
    type: 'record',
    name: 'r',
    fields: [
      // Null first and null second, in records, arrays and maps, with and without a default.
      ...names.map((t) => ({ name: `a_${t}`, type: ['null', t], default: null })),
      ...names.map((t) => ({ name: `b_${t}`, type: [t, 'null'] })),
      { name: 'items', type: { type: 'array', items: ['null', 'string'] } },
      { name: 'values', type: { type: 'map', values: ['double', 'null'] } },
    ],
  };
  const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
  const record = fc.record({
    ...Object.fromEntries(
      names.map((t) => [`a_${t}`, nullable<unknown>(branches[t] as fc.Arbitrary<unknown>)]),
    ),
    ...Object.fromEntries(
      names.map((t) => [`b_${t}`, nullable<unknown>(branches[t] as fc.Arbitrary<unknown>)]),
    ),
    items: fc.array(nullable(branches.string), { maxLength: 5 }),
    values: fc.dictionary(fc.string({ maxLength: 5 }), nullable(branches.double), { maxKeys: 5 }),
  });

  it('encode to the bytes avsc writes', () => {
    const ours = forSchema(schema);
    const theirs = reference(schema);
    // Each self-checking pair writes through its own path; the others stay avsc's.
    const ownPath = (ours as avro.types.RecordType).fields
      .slice(0, 2 * names.length)
      .map((f) => Object.getPrototypeOf(f.type) !== stock);
    expect(ownPath).toEqual([...names, ...names].map((t) => t !== 'long'));
    fc.assert(
      fc.property(record, (r) => {
        expect(ours.toBuffer(r)).toEqual(theirs.toBuffer(r));
      }),
      { numRuns: 1_000 },
    );
  });

  it('take a primitive written as an object, also with a logical type Avro reads as the primitive', () => {
    const cases: [unknown, unknown[]][] = [
      [
        ['null', { type: 'double' }],
        [null, 1.5, -0.25],
      ],
      [
        [{ type: 'int', logicalType: 'date' }, 'null'],
        [null, 19_000, -3],
      ],
      [
        ['null', { type: 'string', 'avro.java.string': 'String' }],
        [null, 'ok', 'é'],
      ],
    ];
    for (const [schema, values] of cases) {
      const ours = forSchema(schema);
      expect(Object.getPrototypeOf(ours)).not.toBe(stock);
      for (const v of values) expect(ours.toBuffer(v)).toEqual(reference(schema).toBuffer(v));
    }
  });

  it('refuse what avsc refuses: a value of another type, a missing field without a default', () => {
    const ours = forSchema(schema);
    const theirs = reference(schema);
    const valid = fc.sample(record, { numRuns: 1, seed: 1 })[0] as Record<string, unknown>;
    const wrong: [string, unknown][] = [
      ['a_string', 5],
      ['a_int', 1.5],
      ['a_int', '1'],
      ['b_float', 'x'],
      ['b_double', true],
      ['b_boolean', 0],
      ['a_long', 'x'],
      ['items', [3]],
      ['values', { k: 'x' }],
    ];
    for (const [field, value] of wrong) {
      const r = { ...valid, [field]: value };
      expect(() => theirs.toBuffer(r)).toThrow();
      expect(() => ours.toBuffer(r)).toThrow();
    }
    const { b_string: _, ...missing } = valid;
    expect(() => theirs.toBuffer(missing)).toThrow();
    expect(() => ours.toBuffer(missing)).toThrow();
    // A missing field with a default writes the default, as avsc does.
    const { a_string: __, ...defaulted } = valid;
    expect(ours.toBuffer(defaulted)).toEqual(theirs.toBuffer(defaulted));
  });
});
