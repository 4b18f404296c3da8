import { AGG_SCHEMA, EVENTS_SCHEMA } from '../testing/fixtures';
import { createDatabaseSql, createTableSql, keeperPath, onCluster } from './clickhouse-ddl';
import { clickHouseFeatures } from './clickhouse-features';

const NEW = clickHouseFeatures('26.7.2.1');

describe('ClickHouse DDL on a cluster (clickhouse.cluster)', () => {
  it('creates the database on every server of the cluster, or on one without it', () => {
    expect(createDatabaseSql('platform')).toBe('CREATE DATABASE IF NOT EXISTS `platform`');
    expect(createDatabaseSql('platform', 'replicated')).toBe(
      "CREATE DATABASE IF NOT EXISTS `platform` ON CLUSTER 'replicated'",
    );
  });

  it('creates a ReplicatedReplacingMergeTree ON CLUSTER, Keeper path per shard and table, version kept', () => {
    expect(createTableSql('platform', 'agg', AGG_SCHEMA, NEW, 'replicated')).toBe(
      "CREATE TABLE IF NOT EXISTS `platform`.`agg` ON CLUSTER 'replicated' " +
        "(`window_start` DateTime64(3, 'UTC'), `window_end` DateTime64(3, 'UTC'), " +
        '`device_type` String, `value` Nullable(Float64), `event_count` Int64, `version` Int64) ' +
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/platform/agg', '{replica}', `version`) " +
        'ORDER BY (`window_start`, `window_end`, `device_type`)',
    );
  });

  it('leaves out the non-replicated deduplication window (Keeper deduplicates replicated inserts)', () => {
    const single = createTableSql('platform', 'events', EVENTS_SCHEMA, NEW);
    const replicated = createTableSql('platform', 'events', EVENTS_SCHEMA, NEW, 'replicated');
    expect(single).toContain('ENGINE = ReplacingMergeTree()');
    expect(single).toContain('non_replicated_deduplication_window');
    expect(replicated).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/platform/events', '{replica}')",
    );
    expect(replicated).not.toContain('SETTINGS');
  });

  it('quotes the cluster name as a string literal', () => {
    expect(onCluster(undefined)).toBe('');
    expect(onCluster("it's")).toBe(" ON CLUSTER 'it\\'s'");
    expect(keeperPath('db', 't')).toBe('/clickhouse/tables/{shard}/db/t');
  });
});
