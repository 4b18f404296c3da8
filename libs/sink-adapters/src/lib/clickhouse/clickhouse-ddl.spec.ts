import { AGG_SCHEMA, EVENTS_SCHEMA } from '../testing/fixtures';
import { clickHouseType, createTableSql } from './clickhouse-ddl';
import { clickHouseFeatures } from './clickhouse-features';

const OLD = clickHouseFeatures('18.16.1');
const NEW = clickHouseFeatures('26.7.2.1');

describe(clickHouseType.name, () => {
  it.each([
    ['string', 'String'],
    ['int', 'Int64'],
    ['long', 'Int64'],
    ['float', 'Float64'],
    ['double', 'Float64'],
    ['boolean', 'UInt8'],
    ['date', 'Date'],
  ] as const)('maps %s to %s on every server', (type, expected) => {
    expect(clickHouseType({ name: 'c', type }, OLD)).toBe(expected);
    expect(clickHouseType({ name: 'c', type }, NEW)).toBe(expected);
  });

  it('stores times as DateTime64(3) where the server has it, epoch ms Int64 otherwise', () => {
    expect(clickHouseType({ name: 'c', type: 'timestamp' }, NEW)).toBe("DateTime64(3, 'UTC')");
    expect(clickHouseType({ name: 'c', type: 'datetime' }, OLD)).toBe('Int64');
  });

  it('wraps nullable columns', () => {
    expect(clickHouseType({ name: 'c', type: 'string', nullable: true }, OLD)).toBe(
      'Nullable(String)',
    );
  });
});

describe(createTableSql.name, () => {
  it('creates a versioned ReplacingMergeTree ordered by the key', () => {
    expect(createTableSql('db', 'agg', AGG_SCHEMA, OLD)).toBe(
      'CREATE TABLE IF NOT EXISTS `db`.`agg` (`window_start` Int64, `window_end` Int64, ' +
        '`device_type` String, `value` Nullable(Float64), `event_count` Int64, `version` Int64) ' +
        'ENGINE = ReplacingMergeTree(`version`) ORDER BY (`window_start`, `window_end`, `device_type`)',
    );
  });

  it('puts orderBy columns before the key and enables the dedup window on new servers', () => {
    const sql = createTableSql('db', 'ev', { ...EVENTS_SCHEMA, orderBy: ['ts'] }, NEW);
    expect(sql).toContain("`ts` DateTime64(3, 'UTC')");
    expect(sql).toContain('ENGINE = ReplacingMergeTree() ORDER BY (`ts`, `event_id`)');
    expect(sql).toContain('SETTINGS non_replicated_deduplication_window = 1000');
  });
});
