import { BaseSink } from './base.sink';
import type { QueryPlan } from './query/query-request';
import { buildQuery, toOutputRows, type OutputRow, type SqlDialect } from './query/query-sql';
import {
  buildSeriesQuery,
  toSeriesRows,
  type SeriesPlan,
  type SeriesRows,
} from './query/series-query';
import type { QueryParams, QueryRow } from './sink.port';

/**
 * A driver that speaks SQL: it answers the query plans by rendering them in its dialect and
 * running them through its own `query`, which stays outside the port.
 */
export abstract class SqlSink extends BaseSink {
  /** Runs `sql` with the dialect's parameters (DDL, deletes, tests). */
  abstract query(sql: string, params?: QueryParams): Promise<QueryRow[]>;
  /** A fresh dialect (it collects the parameters of one statement). */
  protected abstract dialect(): SqlDialect;

  async queryAggregates(plan: QueryPlan): Promise<OutputRow[]> {
    const built = buildQuery(plan, this.dialect());
    return toOutputRows(plan, await this.query(built.sql, built.params));
  }

  async querySeries(plan: SeriesPlan): Promise<SeriesRows> {
    const built = buildSeriesQuery(plan, this.dialect());
    return toSeriesRows(plan, await this.query(built.sql, built.params));
  }
}
