import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { PLATFORM_CONFIG, type PlatformConfig } from '@platform/config';
import {
  isSeriesRequest,
  SINKS,
  isSinkError,
  planQuery,
  planSeries,
  type OutputColumn,
  type Sink,
} from '@platform/sink-adapters';
import { GatewayError } from '../http/gateway.error';

export interface QueryResponse {
  /** What was read: an aggregation, or (time series) an event type. */
  readonly aggregation?: string;
  readonly event_type?: string;
  readonly columns: readonly OutputColumn[];
  readonly rows: readonly Record<string, string | number | boolean | null>[];
  readonly row_count: number;
  /** Time series: there were more rows than `limit`. */
  readonly truncated?: boolean;
  readonly backend: string;
}

/** `POST /v1/query`: plan (contract checks), then the sink answers the plan in its own dialect. */
@Injectable()
export class QueryService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(QueryService.name);
  readonly sink: Sink;
  private connected: Promise<void> | undefined;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(SINKS) sinks: readonly Sink[],
  ) {
    const [sink] = sinks;
    if (sink === undefined) throw new Error('no query backend configured');
    this.sink = sink;
  }

  onModuleInit(): void {
    // The query backend is not on the ingest path: a ClickHouse outage must not stop events,
    // so it is not a readiness check either; `/v1/query` answers 503 while it is down.
    void this.connect().catch((e: unknown) =>
      this.logger.warn({
        event: 'query_backend_unavailable',
        backend: this.sink.name,
        error: String(e),
      }),
    );
  }

  async run(body: unknown, authorize: (eventType: string) => void): Promise<QueryResponse> {
    if (isSeriesRequest(body)) {
      const planned = planSeries(this.config.model, body);
      if (!planned.ok) throw GatewayError.invalid('invalid query', planned.failures);
      const plan = planned.plan;
      authorize(plan.eventType);
      const out = await this.read(
        `${plan.source === 'events' ? 'event type' : 'aggregation'} ${plan.name}`,
        plan.table,
        () => this.sink.querySeries(plan),
      );
      return {
        ...(plan.source === 'events' ? { event_type: plan.name } : { aggregation: plan.name }),
        columns: plan.columns,
        rows: out.rows,
        row_count: out.rows.length,
        truncated: out.truncated,
        backend: this.sink.name,
      };
    }
    const planned = planQuery(this.config.model, body);
    if (!planned.ok) throw GatewayError.invalid('invalid query', planned.failures);
    authorize(planned.plan.aggregation.eventType);
    const plan = planned.plan;
    const rows = await this.read(`aggregation ${plan.aggregation.name}`, plan.table, () =>
      this.sink.queryAggregates(plan),
    );
    return {
      aggregation: plan.aggregation.name,
      columns: plan.columns,
      rows,
      row_count: rows.length,
      backend: this.sink.name,
    };
  }

  /** Runs a query on the sink; a missing table is 404, a backend failure 503 or 502. */
  private async read<T>(name: string, table: string, query: () => Promise<T>): Promise<T> {
    try {
      await this.connect();
    } catch {
      throw GatewayError.unavailable(`the query backend (${this.sink.name}) is unavailable`, 5);
    }
    try {
      return await query();
    } catch (e) {
      if (isSinkError(e) && e.code === 'UNKNOWN_TABLE') {
        // "No table" is not "no data": the sink writer creates the table with the first rows.
        throw new GatewayError(
          404,
          'TABLE_NOT_FOUND',
          `${name} has no table yet (${table} in ${this.sink.name}): the sink writer creates it when it writes the first rows`,
        );
      }
      this.logger.error({
        event: 'query_failed',
        backend: this.sink.name,
        error: e instanceof Error ? e.message : String(e),
      });
      if (isSinkError(e) && e.retriable)
        throw GatewayError.unavailable('the query backend failed; retry later', 2);
      throw new GatewayError(502, 'UNAVAILABLE', 'the query backend could not run the query');
    }
  }

  private connect(): Promise<void> {
    this.connected ??= this.sink.connect().catch((e: unknown) => {
      this.connected = undefined;
      throw e;
    });
    return this.connected;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sink.close().catch(() => undefined);
  }
}
