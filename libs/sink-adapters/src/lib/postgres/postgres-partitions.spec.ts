import { EVENTS_SCHEMA } from '../testing/fixtures';
import {
  DAY_MS,
  hypertableSql,
  partitionDay,
  partitionedTableSql,
  partitionName,
  planPartitions,
  postgresFeatures,
  timeSeriesKey,
} from './postgres-partitions';

const DAY = Date.UTC(2024, 0, 10);
const schema = {
  ...EVENTS_SCHEMA,
  timeSeries: { column: 'timestamp', retentionMs: 30 * DAY_MS },
};

describe('PostgreSQL time series', () => {
  it('detects TimescaleDB from the available extensions', () => {
    expect(postgresFeatures('15.8', ['plpgsql']).timescaledb).toBe(false);
    expect(postgresFeatures('15.8', ['timescaledb']).timescaledb).toBe(true);
  });

  it('keys a partitioned table by its key and time, and partitions it by range of time', () => {
    expect(timeSeriesKey(schema)).toEqual(['event_id', 'timestamp']);
    expect(partitionedTableSql('s', 'events_x', schema)).toMatch(
      /PRIMARY KEY \("event_id", "timestamp"\)\) PARTITION BY RANGE \("timestamp"\)$/,
    );
  });

  it('makes a hypertable of daily chunks, compressed after a week, with the retention policy', () => {
    const sql = hypertableSql('s', 'events_x', schema).join('\n');
    expect(sql).toContain(
      "create_hypertable('s.events_x'::regclass, 'timestamp', chunk_time_interval => interval '1 day', if_not_exists => true)",
    );
    expect(sql).toContain("add_compression_policy('s.events_x'::regclass, interval '7 days'");
    expect(sql).toContain(
      "add_retention_policy('s.events_x'::regclass, interval '2592000 seconds'",
    );
  });

  it('names partitions by day and reads the day back', () => {
    expect(partitionName('events_x', DAY)).toBe('events_x_p20240110');
    expect(partitionDay('events_x', 'events_x_p20240110')).toBe(DAY);
    expect(partitionDay('events_x', 'events_y_p20240110')).toBeUndefined();
  });

  it('plans today and the days ahead, and drops what ended before the retention', () => {
    const existing = [DAY - 40 * DAY_MS, DAY - 31 * DAY_MS, DAY - 30 * DAY_MS, DAY, DAY + DAY_MS];
    const plan = planPartitions(existing, DAY + 3_600_000, 3, 30 * DAY_MS);
    expect(plan.create).toEqual([DAY + 2 * DAY_MS, DAY + 3 * DAY_MS]);
    expect(plan.drop).toEqual([DAY - 40 * DAY_MS, DAY - 31 * DAY_MS]);
    expect(planPartitions(existing, DAY, 0, undefined).drop).toEqual([]);
  });
});
