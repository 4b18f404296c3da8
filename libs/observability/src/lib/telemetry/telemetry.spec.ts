import { context as otelContext, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { tracing } from '@opentelemetry/sdk-node';
import { parentBasedRatioSampler, resolveExporters } from './telemetry';

const { SamplingDecision } = tracing;

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

describe(parentBasedRatioSampler.name, () => {
  const attributes = {};
  const sample = (ratio: number, traceId: string, parentSampled?: boolean): boolean => {
    let ctx = otelContext.active();
    if (parentSampled !== undefined) {
      ctx = trace.setSpanContext(ctx, {
        traceId,
        spanId: '0000000000000001',
        traceFlags: parentSampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
        isRemote: true,
      });
    }
    const { decision } = parentBasedRatioSampler(ratio).shouldSample(
      ctx,
      traceId,
      'span',
      SpanKind.SERVER,
      attributes,
      [],
    );
    return decision === SamplingDecision.RECORD_AND_SAMPLED;
  };

  it('samples new traces at the ratio and follows the caller when a parent is sampled or not', () => {
    const ids = Array.from({ length: 2000 }, (_, i) =>
      (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(32, '0').slice(-32),
    );
    const sampled = ids.filter((id) => sample(0.1, id)).length;
    expect(sampled).toBeGreaterThan(100);
    expect(sampled).toBeLessThan(300);
    expect(ids.every((id) => sample(1, id))).toBe(true);
    expect(ids.some((id) => sample(0, id))).toBe(false);
    // The caller's decision wins over the ratio.
    expect(sample(0, ids[1] as string, true)).toBe(true);
    expect(sample(1, ids[1] as string, false)).toBe(false);
  });

  it('refuses a ratio outside [0, 1]', () => {
    expect(() => parentBasedRatioSampler(1.5)).toThrow(RangeError);
  });
});
