import type { Metric, MetricValueWithName, Registry } from 'prom-client';
import {
  histogramSeries,
  observeInto,
  pushHistogramValues,
  type HistogramSeries,
} from './histogram-series';
import { LATENCY_BUCKETS, METRIC_PREFIX } from './platform-metrics';

export const HTTP_METRIC_NAMES = {
  requests: `${METRIC_PREFIX}http_requests_total`,
  latency: `${METRIC_PREFIX}http_request_duration_seconds`,
  inFlight: `${METRIC_PREFIX}http_requests_in_flight`,
} as const;

/** One method and route: its answers by status, and its latency. */
interface RouteSeries {
  readonly statuses: Map<number, number>;
  readonly latency: HistogramSeries;
}

type Exposed = {
  name: string;
  help: string;
  type: 'counter' | 'histogram' | 'gauge';
  aggregator: 'sum';
  values: MetricValueWithName<string>[];
};

/**
 * A server's `platform_http_*` metrics: requests by method, route and status, their latency by
 * method and route, and the requests in flight. Counted in plain numbers, and exposed at a
 * scrape exactly as prom-client's `Counter`, `Histogram` and `Gauge` of the same names, labels
 * and buckets would be. Through prom-client each request built label objects, validated and
 * hashed them four times: about 5 % of the gateway's capacity for single events (ADR 0014).
 * One per registry ({@link httpRequestMetrics}), shared by every path that answers requests.
 */
export class HttpRequestMetrics {
  private inFlight = 0;
  /** By method, then route: no key built per request. */
  private readonly routes = new Map<string, Map<string, RouteSeries>>();
  private readonly bounds = LATENCY_BUCKETS;

  constructor(registry: Registry) {
    const view = (
      name: string,
      help: string,
      type: Exposed['type'],
      values: () => MetricValueWithName<string>[],
    ) =>
      registry.registerMetric({
        name,
        help,
        type,
        aggregator: 'sum',
        owner: this,
        get: (): Exposed => ({ name, help, type, aggregator: 'sum', values: values() }),
        reset: () => this.reset(),
      } as unknown as Metric);
    view(HTTP_METRIC_NAMES.requests, 'HTTP requests, by method, route and status', 'counter', () =>
      this.requestValues(),
    );
    view(
      HTTP_METRIC_NAMES.latency,
      'HTTP request latency in seconds, by method and route',
      'histogram',
      () => this.latencyValues(),
    );
    view(
      HTTP_METRIC_NAMES.inFlight,
      'HTTP requests received and not yet answered (what a drain waits for)',
      'gauge',
      () => [{ labels: {}, value: this.inFlight, metricName: HTTP_METRIC_NAMES.inFlight }],
    );
  }

  /** A request came in; every `enter` needs one `leave`. */
  enter(): void {
    this.inFlight += 1;
  }

  leave(): void {
    this.inFlight -= 1;
  }

  /** A request was answered with `status` (499: the client hung up first) after `seconds`. */
  record(method: string, route: string, status: number, seconds: number): void {
    let byRoute = this.routes.get(method);
    if (byRoute === undefined) this.routes.set(method, (byRoute = new Map()));
    let series = byRoute.get(route);
    if (series === undefined) {
      series = { statuses: new Map(), latency: histogramSeries(this.bounds) };
      byRoute.set(route, series);
    }
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1);
    observeInto(series.latency, this.bounds, seconds);
  }

  private *series(): Generator<[string, string, RouteSeries]> {
    for (const [method, byRoute] of this.routes)
      for (const [route, series] of byRoute) yield [method, route, series];
  }

  private requestValues(): MetricValueWithName<string>[] {
    const values: MetricValueWithName<string>[] = [];
    for (const [method, route, { statuses }] of this.series())
      for (const [status, value] of statuses)
        values.push({
          labels: { method, route, status: String(status) },
          value,
          metricName: HTTP_METRIC_NAMES.requests,
        });
    return values;
  }

  private latencyValues(): MetricValueWithName<string>[] {
    const values: MetricValueWithName<string>[] = [];
    for (const [method, route, { latency }] of this.series())
      pushHistogramValues(
        values,
        HTTP_METRIC_NAMES.latency,
        this.bounds,
        { method, route },
        latency,
      );
    return values;
  }

  private reset(): void {
    this.routes.clear();
  }
}

/** The registry's one {@link HttpRequestMetrics}, created on first use. */
export function httpRequestMetrics(registry: Registry): HttpRequestMetrics {
  const found = registry.getSingleMetric(HTTP_METRIC_NAMES.inFlight) as
    | { owner?: unknown }
    | undefined;
  if (found === undefined) return new HttpRequestMetrics(registry);
  if (!(found.owner instanceof HttpRequestMetrics))
    throw new Error(`Metric ${HTTP_METRIC_NAMES.inFlight} is already registered as another type`);
  return found.owner;
}
