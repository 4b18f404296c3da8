import type { Metric, MetricValueWithName, Registry } from 'prom-client';
import {
  histogramSeries,
  observeInto,
  pushHistogramValues,
  type HistogramSeries,
} from './histogram-series';

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
  private readonly series = new Map<string, HistogramSeries>();

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
      series = histogramSeries(this.bounds);
      this.series.set(labelValue, series);
    }
    for (const value of values) observeInto(series, this.bounds, value);
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
    for (const [labelValue, series] of this.series)
      pushHistogramValues(values, this.name, this.bounds, { [this.labelName]: labelValue }, series);
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
