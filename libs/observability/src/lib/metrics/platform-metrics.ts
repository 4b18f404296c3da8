import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type Metric,
} from 'prom-client';
import { BatchHistogram } from './batch-histogram';

/** Prefix of every metric apps create through {@link PlatformMetrics.counter} and friends. */
export const METRIC_PREFIX = 'platform_';

/** Seconds; from a fast in-process call up to a slow sink flush. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** The metric names of seed 002, kept as they are so existing dashboards keep working. */
export const METRIC_NAMES = {
  produceSuccess: 'produce_success_total',
  produceError: 'produce_error_total',
  produceLatency: 'produce_latency_seconds',
  sinkWriteRows: 'sink_write_rows_total',
  sinkWrite: 'sink_write_total',
  sinkWriteLatency: 'sink_write_latency_seconds',
} as const;

let processRegistry: Registry | undefined;

/**
 * The one registry of this process, with prom-client's default process metrics
 * (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, event-loop lag, …).
 */
export function metricsRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface MetricOptions<L extends string> {
  /** Without the prefix: `events_accepted_total` becomes `platform_events_accepted_total`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Default {@link LATENCY_BUCKETS}. */
  readonly buckets?: readonly number[];
}

export interface SinkWrite {
  readonly sink: string;
  readonly table: string;
  readonly rows: number;
  readonly latencySeconds?: number;
  /** Default true. Rows are counted for successful writes only. */
  readonly success?: boolean;
}

/**
 * The platform's Prometheus metrics, framework-free (`ObservabilityModule` provides one
 * over the process registry). Creating a metric that already exists in the registry returns
 * the existing one, so several instances over the same registry never clash.
 */
export class PlatformMetrics {
  private readonly produceSuccessTotal: Counter<'event_type'>;
  private readonly produceErrorTotal: Counter<'event_type'>;
  private readonly produceLatency: BatchHistogram;
  private readonly sinkWriteRowsTotal: Counter<'sink' | 'table'>;
  private readonly sinkWriteTotal: Counter<'sink' | 'table' | 'success'>;
  private readonly sinkWriteLatency: Histogram<'sink' | 'table'>;

  constructor(readonly registry: Registry = metricsRegistry()) {
    this.produceSuccessTotal = this.counterNamed(
      METRIC_NAMES.produceSuccess,
      'Events acknowledged by Kafka',
      ['event_type'],
    );
    this.produceErrorTotal = this.counterNamed(
      METRIC_NAMES.produceError,
      'Events Kafka did not acknowledge',
      ['event_type'],
    );
    this.produceLatency =
      this.existing<BatchHistogram>(METRIC_NAMES.produceLatency, BatchHistogram) ??
      new BatchHistogram(
        METRIC_NAMES.produceLatency,
        'Time from send to Kafka acknowledgement (or failure), in seconds',
        'event_type',
        LATENCY_BUCKETS,
        registry,
      );
    this.sinkWriteRowsTotal = this.counterNamed(
      METRIC_NAMES.sinkWriteRows,
      'Rows written by sinks',
      ['sink', 'table'],
    );
    this.sinkWriteTotal = this.counterNamed(
      METRIC_NAMES.sinkWrite,
      'Sink write operations, by outcome',
      ['sink', 'table', 'success'],
    );
    this.sinkWriteLatency = this.histogramNamed(
      METRIC_NAMES.sinkWriteLatency,
      'Duration of one sink write, in seconds',
      ['sink', 'table'],
      LATENCY_BUCKETS,
    );
  }

  /**
   * Events of one type that one produce request settled: acknowledged by Kafka when `ok`,
   * else refused or never acknowledged; one latency per event, from send, in seconds.
   */
  produceSettled(eventType: string, ok: boolean, latenciesSeconds: readonly number[]): void {
    if (latenciesSeconds.length === 0) return;
    (ok ? this.produceSuccessTotal : this.produceErrorTotal).inc(
      { event_type: eventType },
      latenciesSeconds.length,
    );
    this.produceLatency.observeAll(eventType, latenciesSeconds);
  }

  /** One sink write (a batch of `rows` into `table`). */
  sinkWrite(write: SinkWrite): void {
    const success = write.success ?? true;
    const labels = { sink: write.sink, table: write.table };
    this.sinkWriteTotal.inc({ ...labels, success: String(success) });
    if (success && write.rows > 0) this.sinkWriteRowsTotal.inc(labels, write.rows);
    if (write.latencySeconds !== undefined)
      this.sinkWriteLatency.observe(labels, write.latencySeconds);
  }

  /** An app's own counter, named `platform_<name>`. */
  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.counterNamed(prefixed(options.name), options.help, options.labelNames ?? []);
  }

  /** An app's own histogram, named `platform_<name>`; seconds buckets by default. */
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.histogramNamed(
      prefixed(options.name),
      options.help,
      options.labelNames ?? [],
      options.buckets ?? LATENCY_BUCKETS,
    );
  }

  /** An app's own gauge, named `platform_<name>`. */
  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    const name = prefixed(options.name);
    return (
      this.existing<Gauge<L>>(name, Gauge) ??
      new Gauge<L>({
        name,
        help: options.help,
        labelNames: [...(options.labelNames ?? [])],
        registers: [this.registry],
      })
    );
  }

  /** The Prometheus text exposition of the registry. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counterNamed<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
  ): Counter<L> {
    return (
      this.existing<Counter<L>>(name, Counter) ??
      new Counter<L>({ name, help, labelNames: [...labelNames], registers: [this.registry] })
    );
  }

  private histogramNamed<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: readonly number[],
  ): Histogram<L> {
    return (
      this.existing<Histogram<L>>(name, Histogram) ??
      new Histogram<L>({
        name,
        help,
        labelNames: [...labelNames],
        buckets: [...buckets],
        registers: [this.registry],
      })
    );
  }

  private existing<M extends Metric | BatchHistogram>(
    name: string,
    kind: abstract new (...args: never[]) => unknown,
  ): M | undefined {
    const found = this.registry.getSingleMetric(name);
    if (found === undefined) return undefined;
    if (!(found instanceof kind)) {
      throw new Error(`Metric ${name} is already registered as another type`);
    }
    return found as M;
  }
}

function prefixed(name: string): string {
  return name.startsWith(METRIC_PREFIX) ? name : `${METRIC_PREFIX}${name}`;
}
