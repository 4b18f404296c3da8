import type { Metric, MetricValueWithName, Registry } from 'prom-client';

interface Series {
  /** Observations per bucket (not cumulative); the last one is `+Inf`. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A histogram over one label whose observations come in batches: the events one produce
 * request settled. prom-client's `observe` builds a labels object, validates and hashes it
 * for every value; this counts a batch in one pass over numbers. It is registered as a
 * prom-client metric and exposed exactly as a prom-client `Histogram` with the same name,
 * label and buckets would be.
 */
export class BatchHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** One observation per value, all with `labelValue`. Values must be finite. */
  observeAll(labelValue: string, values: readonly number[]): void {
    let series = this.series.get(labelValue);
    if (series === undefined) {
      series = { counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(labelValue, series);
    }
    const bounds = this.bounds;
    for (const value of values) {
      // The first bucket whose bound holds the value (`le`), as prom-client's.
      let i = 0;
      while (i < bounds.length && value > (bounds[i] as number)) i++;
      (series.counts[i] as number)++;
      series.sum += value;
    }
    series.count += values.length;
  }

  /** What the registry reads at a scrape: prom-client's histogram shape. */
  get(): {
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: MetricValueWithName<string>[];
  } {
    const values: MetricValueWithName<string>[] = [];
    for (const [labelValue, { counts, sum, count }] of this.series) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += counts[i] as number;
        values.push({
          labels: { le: bound, [this.labelName]: labelValue },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { le: '+Inf', [this.labelName]: labelValue },
        value: count,
        metricName: `${this.name}_bucket`,
      });
      values.push({
        labels: { [this.labelName]: labelValue },
        value: sum,
        metricName: `${this.name}_sum`,
      });
      values.push({
        labels: { [this.labelName]: labelValue },
        value: count,
        metricName: `${this.name}_count`,
      });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      values,
    };
  }

  reset(): void {
    this.series.clear();
  }
}
