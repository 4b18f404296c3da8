import type { MetricValueWithName } from 'prom-client';

/**
 * One label set of a histogram counted in plain numbers: observations per bucket (not
 * cumulative; the last one is `+Inf`), their sum and their count. Shared by the metrics that
 * bypass prom-client's `Histogram` on hot paths and expose themselves as it would.
 */
export interface HistogramSeries {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export function histogramSeries(bounds: readonly number[]): HistogramSeries {
  return { counts: new Float64Array(bounds.length + 1), sum: 0, count: 0 };
}

/** Counts `value` into the first bucket whose bound holds it (`le`), as prom-client's. */
export function observeInto(
  series: HistogramSeries,
  bounds: readonly number[],
  value: number,
): void {
  let i = 0;
  while (i < bounds.length && value > (bounds[i] as number)) i++;
  (series.counts[i] as number)++;
  series.sum += value;
  series.count += 1;
}

/** Appends `series` to `values` as prom-client's histogram exposes it: buckets, sum, count. */
export function pushHistogramValues(
  values: MetricValueWithName<string>[],
  name: string,
  bounds: readonly number[],
  labels: Readonly<Record<string, string>>,
  { counts, sum, count }: HistogramSeries,
): void {
  let cumulative = 0;
  bounds.forEach((bound, i) => {
    cumulative += counts[i] as number;
    values.push({
      labels: { le: bound, ...labels },
      value: cumulative,
      metricName: `${name}_bucket`,
    });
  });
  values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${name}_bucket` });
  values.push({ labels: { ...labels }, value: sum, metricName: `${name}_sum` });
  values.push({ labels: { ...labels }, value: count, metricName: `${name}_count` });
}
