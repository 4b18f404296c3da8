import { aggregateTableSchema, eventTableSchema, validateTableSchema } from './table-schema';
import { SinkError } from './sink.error';
import { AGG_SCHEMA, MODEL } from './testing/fixtures';

describe(eventTableSchema.name, () => {
  it('derives the event columns from the contract, attributes nullable, keyed by event_id', () => {
    const schema = eventTableSchema(MODEL.eventTypes[0], MODEL);
    expect(schema.columns).toEqual([
      { name: 'event_id', type: 'string', nullable: false },
      { name: 'timestamp', type: 'timestamp', nullable: false },
      { name: 'user_id', type: 'string', nullable: false },
      { name: 'referrer', type: 'string', nullable: true },
      { name: 'load_ms', type: 'int', nullable: true },
      { name: 'page', type: 'string', nullable: false },
      { name: 'device_type', type: 'string', nullable: false },
    ]);
    expect(schema.key).toEqual(['event_id']);
    expect(schema.versionColumn).toBeUndefined();
    expect(() => validateTableSchema('events_page_view', schema)).not.toThrow();
  });
});

describe(aggregateTableSchema.name, () => {
  it('keys an aggregation by window and group and versions it', () => {
    const schema = aggregateTableSchema(MODEL.aggregations[0], MODEL);
    expect(schema.columns.map((c) => [c.name, c.type])).toEqual([
      ['window_start', 'timestamp'],
      ['window_end', 'timestamp'],
      ['device_type', 'string'],
      ['value', 'long'],
      ['event_count', 'long'],
      ['version', 'long'],
    ]);
    expect(schema.key).toEqual(['window_start', 'window_end', 'device_type']);
    expect(schema.versionColumn).toBe('version');
    expect(() => validateTableSchema('agg_page_views_per_minute', schema)).not.toThrow();
  });

  it('stores an average as a nullable double', () => {
    const value = aggregateTableSchema(MODEL.aggregations[1], MODEL).columns.find(
      (c) => c.name === 'value',
    );
    expect(value).toEqual({ name: 'value', type: 'double', nullable: true });
  });

  it('rejects an aggregation over an unknown event type', () => {
    expect(() =>
      aggregateTableSchema({ ...MODEL.aggregations[0], eventType: 'nope' }, MODEL),
    ).toThrow(SinkError);
  });
});

describe(validateTableSchema.name, () => {
  const invalid = (patch: object, table = 't'): string => {
    try {
      validateTableSchema(table, { ...AGG_SCHEMA, ...patch });
      return 'valid';
    } catch (e) {
      return (e as SinkError).code;
    }
  };

  it('accepts a well-formed schema', () => expect(invalid({})).toBe('valid'));
  it('rejects a bad table name', () => expect(invalid({}, 'a-b')).toBe('INVALID_IDENTIFIER'));
  it('rejects a bad column name', () =>
    expect(invalid({ columns: [{ name: 'x y', type: 'string' }], key: ['x y'] })).toBe(
      'INVALID_IDENTIFIER',
    ));
  it('rejects a key column that does not exist', () =>
    expect(invalid({ key: ['nope'] })).toBe('INVALID_SCHEMA'));
  it('rejects a nullable key column', () =>
    expect(invalid({ key: ['value'] })).toBe('INVALID_SCHEMA'));
  it('rejects an empty key', () => expect(invalid({ key: [] })).toBe('INVALID_SCHEMA'));
  it('rejects a string version column', () =>
    expect(invalid({ versionColumn: 'device_type', key: ['window_start'] })).toBe(
      'INVALID_SCHEMA',
    ));
  it('rejects an unknown type', () =>
    expect(
      invalid({ columns: [{ name: 'a', type: 'uuid' }], key: ['a'], versionColumn: undefined }),
    ).toBe('INVALID_SCHEMA'));
});
