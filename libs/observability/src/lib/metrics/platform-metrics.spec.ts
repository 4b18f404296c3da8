import { Registry } from 'prom-client';
import { METRIC_NAMES, metricsRegistry, PlatformMetrics } from './platform-metrics';

describe(PlatformMetrics.name, () => {
  function fresh(): PlatformMetrics {
    return new PlatformMetrics(new Registry());
  }

  it('registers the seed-002 metrics under their exact names', async () => {
    const metrics = fresh();
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name).sort();
    expect(names).toEqual(
      [
        'produce_error_total',
        'produce_latency_seconds',
        'produce_success_total',
        'sink_write_latency_seconds',
        'sink_write_rows_total',
        'sink_write_total',
      ].sort(),
    );
    expect(Object.values(METRIC_NAMES).sort()).toEqual(names);
  });

  it('records produce outcomes and latency by event_type in the text format', async () => {
    const metrics = fresh();
    metrics.produceSettled('page_view', true, [0.004, 0.02]);
    metrics.produceSettled('purchase', false, [1.5]);
    const text = await metrics.metrics();

    expect(text).toContain('# TYPE produce_success_total counter');
    expect(text).toContain('produce_success_total{event_type="page_view"} 2');
    expect(text).toContain('produce_error_total{event_type="purchase"} 1');
    expect(text).toContain('# TYPE produce_latency_seconds histogram');
    expect(text).toContain('produce_latency_seconds_count{event_type="page_view"} 2');
    expect(text).toContain('produce_latency_seconds_bucket{le="0.005",event_type="page_view"} 1');
  });

  it('records sink writes by sink, table and success, counting rows of successful writes', async () => {
    const metrics = fresh();
    metrics.sinkWrite({
      sink: 'clickhouse',
      table: 'page_views_5m',
      rows: 120,
      latencySeconds: 0.05,
    });
    metrics.sinkWrite({ sink: 'clickhouse', table: 'page_views_5m', rows: 30, success: false });
    const text = await metrics.metrics();

    expect(text).toContain(
      'sink_write_total{sink="clickhouse",table="page_views_5m",success="true"} 1',
    );
    expect(text).toContain(
      'sink_write_total{sink="clickhouse",table="page_views_5m",success="false"} 1',
    );
    expect(text).toContain('sink_write_rows_total{sink="clickhouse",table="page_views_5m"} 120');
    expect(text).toContain(
      'sink_write_latency_seconds_count{sink="clickhouse",table="page_views_5m"} 1',
    );
  });

  it('prefixes apps’ own metrics with platform_', async () => {
    const metrics = fresh();
    metrics
      .counter({ name: 'events_accepted_total', help: 'accepted', labelNames: ['event_type'] })
      .inc({ event_type: 'x' }, 3);
    metrics.histogram({ name: 'batch_seconds', help: 'batch' }).observe(0.2);
    metrics.gauge({ name: 'platform_lag', help: 'lag' }).set(5);
    const text = await metrics.metrics();

    expect(text).toContain('platform_events_accepted_total{event_type="x"} 3');
    expect(text).toContain('platform_batch_seconds_count 1');
    expect(text).toContain('platform_lag 5');
    expect(text).not.toContain('platform_platform_lag');
  });

  it('returns the existing metric when one is created twice over the same registry', () => {
    const registry = new Registry();
    const first = new PlatformMetrics(registry);
    expect(() => new PlatformMetrics(registry)).not.toThrow();
    const a = first.counter({ name: 'x_total', help: 'x' });
    const b = first.counter({ name: 'x_total', help: 'x' });
    expect(a).toBe(b);
    expect(() => first.histogram({ name: 'x_total', help: 'x' })).toThrow(/another type/);
  });

  it('uses one process registry with the default process metrics', async () => {
    expect(metricsRegistry()).toBe(metricsRegistry());
    const text = await new PlatformMetrics().metrics();
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_heap_size_used_bytes');
    expect(new PlatformMetrics().contentType).toContain('text/plain');
  });
});
