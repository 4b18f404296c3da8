import type { Metric, MetricValueWithName, Registry } from 'prom-client';
import { LATENCY_BUCKETS, METRIC_PREFIX } from './platform-metrics';

export const HTTP_METRIC_NAMES = {
  requests: `${METRIC_PREFIX}http_requests_total`,
  latency: `${METRIC_PREFIX}http_request_duration_seconds`,
  inFlight: `${METRIC_PREFIX}http_requests_in_flight`,
} as const;

/** One method and route: its answers by status, and its latency buckets. */
interface RouteSeries {
  readonly method: string;
  readonly route: string;
  readonly statuses: Map<number, number>;
  /** Observations per bucket (not cumulative); the last one is `+Inf`. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
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
  private readonly routes = new Map<string, RouteSeries>();
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
    const key = `${method} ${route}`;
    let series = this.routes.get(key);
    if (series === undefined) {
      series = {
        method,
        route,
        statuses: new Map(),
        counts: new Float64Array(this.bounds.length + 1),
        sum: 0,
        count: 0,
      };
      this.routes.set(key, series);
    }
    series.statuses.set(status, (series.statuses.get(status) ?? 0) + 1);
    // The first bucket whose bound holds the value (`le`), as prom-client's.
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++;
    (series.counts[i] as number)++;
    series.sum += seconds;
    series.count += 1;
  }

  private requestValues(): MetricValueWithName<string>[] {
    const values: MetricValueWithName<string>[] = [];
    for (const { method, route, statuses } of this.routes.values())
      for (const [status, value] of statuses)
        values.push({
          labels: { method, route, status: String(status) },
          value,
          metricName: HTTP_METRIC_NAMES.requests,
        });
    return values;
  }

  private latencyValues(): MetricValueWithName<string>[] {
    const name = HTTP_METRIC_NAMES.latency;
    const values: MetricValueWithName<string>[] = [];
    for (const { method, route, counts, sum, count } of this.routes.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += counts[i] as number;
        values.push({
          labels: { le: bound, method, route },
          value: cumulative,
          metricName: `${name}_bucket`,
        });
      });
      values.push({
        labels: { le: '+Inf', method, route },
        value: count,
        metricName: `${name}_bucket`,
      });
      values.push({ labels: { method, route }, value: sum, metricName: `${name}_sum` });
      values.push({ labels: { method, route }, value: count, metricName: `${name}_count` });
    }
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
