import type { PlatformMetrics } from '@platform/observability';
import type { RunnerMetrics } from '../pipeline/aggregator-runner';

/** The runner's counters and the transaction latency, as Prometheus metrics. */
export function runnerMetrics(metrics: PlatformMetrics): RunnerMetrics {
  const processed = metrics.counter({
    name: 'aggregator_events_processed_total',
    help: 'Events added to windows',
    labelNames: ['aggregation'],
  });
  const late = metrics.counter({
    name: 'aggregator_late_events_total',
    help: 'Events beyond the allowed lateness, sent to late.<type>',
    labelNames: ['aggregation'],
  });
  const emitted = metrics.counter({
    name: 'aggregator_windows_emitted_total',
    help: 'Window results emitted (each version counts)',
    labelNames: ['aggregation'],
  });
  const tx = metrics.histogram({
    name: 'aggregator_transaction_seconds',
    help: 'Duration of one batch transaction (outputs, changelog and offsets)',
    labelNames: ['success'],
  });
  return {
    eventsProcessed: (aggregation, n) => processed.inc({ aggregation }, n),
    lateEvents: (aggregation, n) => late.inc({ aggregation }, n),
    windowsEmitted: (aggregation, n) => emitted.inc({ aggregation }, n),
    transaction: (seconds, ok) => tx.observe({ success: String(ok) }, seconds),
  };
}
