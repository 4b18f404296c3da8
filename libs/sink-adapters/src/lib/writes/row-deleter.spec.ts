import type { TableSchema } from '../sink.port';
import { clickHouseDeleteStatement, postgresDeleteStatement } from './row-deleter';

const schema: TableSchema = {
  columns: [
    { name: 'window_start', type: 'timestamp' },
    { name: 'window_end', type: 'timestamp' },
    { name: 'page_url', type: 'string' },
    { name: 'value', type: 'long' },
    { name: 'version', type: 'long' },
  ],
  key: ['window_start', 'window_end', 'page_url'],
  versionColumn: 'version',
};
const row = { window_start: 0, window_end: 60_000, page_url: "/a'b", value: 1, version: 3 };

describe('retraction deletes', () => {
  it('guards a ClickHouse delete by key and version, with typed placeholders', () => {
    const s = clickHouseDeleteStatement('db', 'agg_x', schema, [row], false);
    expect(s.sql).toBe(
      'ALTER TABLE `db`.`agg_x` DELETE WHERE (`window_start` = {p0:Int64} AND `window_end` = {p1:Int64} AND `page_url` = {p2:String} AND `version` <= {p3:Int64})',
    );
    expect(s.params).toEqual({ p0: 0, p1: 60_000, p2: "/a'b", p3: 3 });
    expect(clickHouseDeleteStatement('db', 'agg_x', schema, [row], true).sql).toContain(
      "{p0:DateTime64(3, 'UTC')}",
    );
  });

  it('guards a PostgreSQL delete by key and version, with positional parameters', () => {
    const s = postgresDeleteStatement('sch', 'agg_x', schema, [row, { ...row, version: 4 }]);
    expect(s.sql).toBe(
      'DELETE FROM "sch"."agg_x" WHERE ("window_start" = $1 AND "window_end" = $2 AND "page_url" = $3 AND "version" <= $4) OR ("window_start" = $5 AND "window_end" = $6 AND "page_url" = $7 AND "version" <= $8)',
    );
    expect(s.params[0]).toEqual(new Date(0));
    expect(s.params[3]).toBe(3);
  });
});
