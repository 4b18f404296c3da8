import { avroCanonicalForm } from './canonical-form';

const same = (a: unknown, b: unknown): void =>
  expect(avroCanonicalForm(a)).toBe(avroCanonicalForm(b));
const differ = (a: unknown, b: unknown): void =>
  expect(avroCanonicalForm(a)).not.toBe(avroCanonicalForm(b));

const record = (fields: unknown[], extra: Record<string, unknown> = {}) => ({
  type: 'record',
  name: 'Event',
  namespace: 'com.acme',
  fields,
  ...extra,
});

describe(avroCanonicalForm.name, () => {
  it('writes a primitive as its name, with or without the object around it', () => {
    same({ type: 'string' }, 'string');
    same(
      record([{ name: 'a', type: { type: 'string' } }]),
      record([{ name: 'a', type: 'string' }]),
    );
    expect(avroCanonicalForm({ type: 'long' })).toBe('"long"');
  });

  it('uses full names, wherever the namespace was written', () => {
    same(
      { type: 'record', name: 'com.acme.Event', fields: [{ name: 'a', type: 'int' }] },
      record([{ name: 'a', type: 'int' }]),
    );
    expect(avroCanonicalForm(record([]))).toBe(
      '{"name":"com.acme.Event","type":"record","fields":[]}',
    );
  });

  it('ignores key order and whitespace', () => {
    same(
      JSON.parse(
        '{ "fields": [ {"type": "int", "name": "a"} ], "namespace": "com.acme", "name": "Event", "type": "record" }',
      ),
      record([{ name: 'a', type: 'int' }]),
    );
  });

  it('writes a named type once, then by its full name', () => {
    const inner = { type: 'enum', name: 'Kind', symbols: ['A', 'B'] };
    expect(
      avroCanonicalForm(
        record([
          { name: 'a', type: inner },
          { name: 'b', type: 'Kind' },
        ]),
      ),
    ).toBe(
      '{"name":"com.acme.Event","type":"record","fields":[{"name":"a","type":{"name":"com.acme.Kind","type":"enum","symbols":["A","B"]}},{"name":"b","type":"com.acme.Kind"}]}',
    );
  });

  it('keeps what Confluent keeps: doc, default, aliases, order, logical types and custom properties', () => {
    const base = record([{ name: 'a', type: ['null', 'string'], default: null }]);
    differ(base, record([{ name: 'a', type: ['null', 'string'] }]));
    differ(base, { ...base, doc: 'about events' });
    differ(base, record([{ name: 'a', type: ['null', 'string'], default: null, aliases: ['b'] }]));
    differ(
      base,
      record([{ name: 'a', type: ['null', 'string'], default: null, order: 'descending' }]),
    );
    differ({ type: 'long', logicalType: 'timestamp-millis' }, 'long');
    differ({ type: 'string', 'x-owner': 'team-a' }, { type: 'string', 'x-owner': 'team-b' });
    same(
      { type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2 },
      { scale: 2, precision: 9, logicalType: 'decimal', type: 'bytes' },
    );
  });

  it('leaves out an attribute written with the value its absence means, as Avro for Java does', () => {
    const field = { name: 'a', type: 'string' };
    const base = record([field]);
    same({ ...base, doc: null, aliases: [] }, base);
    same(record([{ ...field, doc: null, aliases: [], order: 'ascending' }]), base);
    same({ type: 'string', doc: null }, 'string');
    expect(avroCanonicalForm(record([{ ...field, order: 'ascending' }]))).toBe(
      '{"name":"com.acme.Event","type":"record","fields":[{"name":"a","type":"string"}]}',
    );
    // Any other value means something; `order` on a type is a custom property.
    differ(record([{ ...field, doc: '' }]), base);
    differ(record([{ ...field, order: 'ignore' }]), base);
    differ({ ...base, order: 'ascending' }, base);
  });

  it('keeps the order of fields, symbols and union branches, which is meaningful', () => {
    differ(
      record([
        { name: 'a', type: 'int' },
        { name: 'b', type: 'int' },
      ]),
      record([
        { name: 'b', type: 'int' },
        { name: 'a', type: 'int' },
      ]),
    );
    differ(['null', 'string'], ['string', 'null']);
    differ(
      { type: 'enum', name: 'E', symbols: ['A', 'B'] },
      { type: 'enum', name: 'E', symbols: ['B', 'A'] },
    );
  });
});
