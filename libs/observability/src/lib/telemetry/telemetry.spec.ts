import { resolveExporters } from './telemetry';

describe(resolveExporters.name, () => {
  it('exports nothing when no collector is configured', () => {
    expect(resolveExporters({})).toEqual({ traces: 'none', metrics: 'none', logs: 'none' });
  });

  it('exports traces and metrics over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
    expect(resolveExporters({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' })).toEqual({
      traces: 'otlp',
      metrics: 'otlp',
      logs: 'none',
    });
  });

  it('honours a signal-specific endpoint and explicit exporter choices', () => {
    expect(
      resolveExporters({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://otel:4318/v1/traces' }).traces,
    ).toBe('otlp');
    expect(
      resolveExporters({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'otlp',
        OTEL_TRACES_EXPORTER: 'console',
      }),
    ).toEqual({ traces: 'console', metrics: 'none', logs: 'otlp' });
  });
});
