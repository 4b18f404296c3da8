import * as avro from 'avsc';
import { DomainModel, EventTypeSpec } from '@platform/contracts';
import {
  generateAggregateSchema,
  generateAllAggregateSchemas,
  generateAllSchemas,
  generateEventSchema,
  toJson,
} from './avro-schema';
import { loadEcommerceModel } from './testing/ecommerce-model';

const str = (name: string) => ({ name, type: 'string' as const });

/** Seed 002's `page_view` example, as the domain model states it. */
const pageView: EventTypeSpec = {
  name: 'page_view',
  entity: 'user',
  attributes: [str('page_url'), str('page_title')],
  dimensions: [str('device_type')],
};

describe(generateEventSchema.name, () => {
  it("generates seed 002's page_view schema field for field", () => {
    const schema = generateEventSchema(pageView, { primaryKey: 'user_id' }, 'com.streaming.events');

    expect(schema).toEqual({
      type: 'record',
      namespace: 'com.streaming.events',
      name: 'page_view',
      fields: [
        { name: 'event_id', type: 'string' },
        { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'user_id', type: 'string' },
        { name: 'page_url', type: ['null', 'string'], default: null },
        { name: 'page_title', type: ['null', 'string'], default: null },
        { name: 'device_type', type: 'string' },
      ],
    });
  });

  it('serializes to the exact JSON a registry receives, keys in seed order', () => {
    const schema = generateEventSchema(pageView, { primaryKey: 'user_id' });

    expect(toJson(schema)).toBe(
      '{"type":"record","namespace":"com.streaming.events","name":"page_view","fields":[' +
        '{"name":"event_id","type":"string"},' +
        '{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"}},' +
        '{"name":"user_id","type":"string"},' +
        '{"name":"page_url","type":["null","string"],"default":null},' +
        '{"name":"page_title","type":["null","string"],"default":null},' +
        '{"name":"device_type","type":"string"}]}',
    );
  });

  it('maps every field type, and a typed primary key, to its Avro type', () => {
    const schema = generateEventSchema(
      {
        name: 'reading',
        entity: 'sensor',
        description: 'A sensor reading.',
        attributes: [{ name: 'seen_at', type: 'timestamp', description: 'When it was seen.' }],
        dimensions: [
          { name: 'i', type: 'int' },
          { name: 'l', type: 'long' },
          { name: 'f', type: 'float' },
          { name: 'd', type: 'double' },
          { name: 'b', type: 'boolean' },
          { name: 't', type: 'timestamp' },
        ],
      },
      { primaryKey: 'sensor_id', primaryKeyType: 'long' },
      'com.example',
    );

    expect(schema.doc).toBe('A sensor reading.');
    expect(schema.fields).toEqual([
      { name: 'event_id', type: 'string' },
      { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'sensor_id', type: 'long' },
      {
        name: 'seen_at',
        type: ['null', { type: 'long', logicalType: 'timestamp-millis' }],
        default: null,
        doc: 'When it was seen.',
      },
      { name: 'i', type: 'int' },
      { name: 'l', type: 'long' },
      { name: 'f', type: 'float' },
      { name: 'd', type: 'double' },
      { name: 'b', type: 'boolean' },
      { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ]);
  });
});

describe(generateAllSchemas.name, () => {
  const model = loadEcommerceModel();

  it('generates one schema per ecommerce event type, in the contract namespace', () => {
    const schemas = generateAllSchemas(model);

    expect(Object.keys(schemas)).toEqual(['page_view', 'add_to_cart', 'purchase']);
    for (const [name, schema] of Object.entries(schemas)) {
      expect(schema.name).toBe(name);
      expect(schema.namespace).toBe('com.streaming.events');
    }
    expect(schemas['add_to_cart']?.fields.map((f) => [f.name, f.type])).toEqual([
      ['event_id', 'string'],
      ['timestamp', { type: 'long', logicalType: 'timestamp-millis' }],
      ['user_id', 'string'],
      ['price', ['null', 'double']],
      ['product_id', 'string'],
      ['quantity', 'int'],
      ['device_type', 'string'],
    ]);
  });

  it('produces schemas that avsc parses, with the timestamp as a long', () => {
    for (const schema of Object.values(generateAllSchemas(model))) {
      const type = avro.Type.forSchema(JSON.parse(toJson(schema)));
      expect(type.typeName).toBe('record');
      expect(type.name).toBe(`com.streaming.events.${schema.name}`);
    }
  });
});

describe(generateAggregateSchema.name, () => {
  const model = loadEcommerceModel();

  it('describes a count per group with window bounds, value, version and event count', () => {
    const aggregation = model.aggregations.find((a) => a.name === 'page_views_per_minute');
    expect(aggregation).toBeDefined();
    if (!aggregation) return;

    expect(generateAggregateSchema(aggregation, model)).toEqual({
      type: 'record',
      namespace: 'com.streaming.events.aggregates',
      name: 'page_views_per_minute',
      doc: 'Page views per device type, per minute.',
      fields: [
        { name: 'window_start', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'window_end', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'device_type', type: 'string' },
        { name: 'value', type: 'long' },
        { name: 'version', type: 'long' },
        { name: 'event_count', type: 'long' },
      ],
    });
  });

  it('types the value by accumulator and group-by fields as in the event', () => {
    const schemas = generateAllAggregateSchemas(model);
    const fieldsOf = (name: string) =>
      schemas[name]?.fields.map((f) => [f.name, f.type, f.default]);

    expect(fieldsOf('revenue_per_5_minutes')?.slice(2, 4)).toEqual([
      ['currency', 'string', undefined],
      ['value', 'double', undefined],
    ]);
    expect(fieldsOf('active_users_sliding')?.slice(2, 3)).toEqual([['value', 'long', undefined]]);
    expect(fieldsOf('cart_sessions')?.slice(2, 4)).toEqual([
      ['user_id', 'string', undefined],
      ['value', 'double', undefined],
    ]);
  });

  const withAggregation = (
    type: DomainModel['aggregations'][number]['type'],
    field: string | undefined,
    groupBy: readonly string[] = [],
  ): DomainModel => ({
    ...model,
    aggregations: [
      {
        name: 'probe',
        eventType: 'add_to_cart',
        type,
        ...(field === undefined ? {} : { field }),
        window: { type: 'tumbling', sizeMs: 60_000, allowedLatenessMs: 0, outOfOrdernessMs: 0 },
        groupBy,
      },
    ],
  });

  it.each([
    ['count', undefined, 'long'],
    ['count_distinct', 'product_id', 'long'],
    ['sum', 'quantity', 'double'],
    ['avg', 'quantity', 'double'],
    ['min', 'price', 'double'],
    ['max', 'timestamp', 'double'],
    ['first', 'quantity', ['null', 'int']],
    ['last', 'price', ['null', 'double']],
    ['last', 'timestamp', ['null', { type: 'long', logicalType: 'timestamp-millis' }]],
  ] as const)('gives %s of %s a value of type %j', (type, field, expected) => {
    const m = withAggregation(type, field);
    const schema = generateAllAggregateSchemas(m)['probe'];
    const value = schema?.fields.find((f) => f.name === 'value');

    expect(value?.type).toEqual(expected);
    if (type === 'first' || type === 'last') expect(value?.default).toBeNull();
    expect(() => avro.Type.forSchema(JSON.parse(toJson(schema ?? ({} as never))))).not.toThrow();
  });

  it('makes a group-by field nullable when it is an optional attribute of the event', () => {
    const schema = generateAllAggregateSchemas(withAggregation('count', undefined, ['price']))[
      'probe'
    ];

    expect(schema?.fields[2]).toEqual({ name: 'price', type: ['null', 'double'], default: null });
  });

  it('rejects a group-by field the event does not have, naming both', () => {
    const m = withAggregation('count', undefined, ['colour']);
    const aggregation = m.aggregations[0];
    if (!aggregation) throw new Error('fixture');

    expect(() => generateAggregateSchema(aggregation, m)).toThrow(
      'aggregation "probe": group-by field "colour" is not a field of event type "add_to_cart"',
    );
  });

  it('generates avsc-parsable schemas for every ecommerce aggregation', () => {
    for (const schema of Object.values(generateAllAggregateSchemas(model))) {
      expect(avro.Type.forSchema(JSON.parse(toJson(schema))).typeName).toBe('record');
    }
  });
});
