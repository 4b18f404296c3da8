import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { capturingLogger } from '../testing/log-capture';
import { startTelemetry, type TelemetryHandle } from './telemetry';
import {
  activeTraceFields,
  extractTraceContext,
  injectSampledTraceContext,
  injectTraceContext,
  withTraceContext,
} from './trace-context';

describe('trace context in Kafka headers', () => {
  let telemetry: TelemetryHandle;

  beforeAll(() => {
    // No OTLP endpoint: a real tracer provider that exports nothing.
    telemetry = startTelemetry({ serviceName: 'trace-context-spec', env: {} });
  });

  afterAll(() => telemetry.shutdown());

  function inSpan<T>(fn: (span: Span) => T): T {
    return trace.getTracer('spec').startActiveSpan('produce', (span) => {
      try {
        return fn(span);
      } finally {
        span.end();
      }
    });
  }

  it('starts idempotently, exporting nothing without an OTLP endpoint', () => {
    expect(startTelemetry({ serviceName: 'other' })).toBe(telemetry);
    expect(telemetry.exporters).toEqual({ traces: 'none', metrics: 'none', logs: 'none' });
  });

  it('injects a W3C traceparent for the active span', () => {
    const headers: Record<string, string | Buffer> = { 'content-type': 'avro' };
    const spanContext = inSpan((span) => {
      injectTraceContext(headers);
      return span.spanContext();
    });

    expect(headers['traceparent']).toBe(`00-${spanContext.traceId}-${spanContext.spanId}-01`);
    expect(headers['content-type']).toBe('avro');
  });

  it('injects a sampled trace only when asked for sampled ones', () => {
    const sampled = { source: 'web' };
    const spanContext = inSpan((span) => {
      injectSampledTraceContext(sampled);
      return span.spanContext();
    });
    expect(sampled).toEqual({
      source: 'web',
      traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-01`,
    });
    const unsampled = { source: 'web' };
    const caller = extractTraceContext({
      traceparent: `00-${spanContext.traceId}-${spanContext.spanId}-00`,
    });
    expect(injectSampledTraceContext(unsampled, caller)).toEqual({ source: 'web' });
    expect(injectSampledTraceContext({ source: 'web' }, context.active())).toEqual({
      source: 'web',
    });
    // The same unsampled context, injected whole: the difference is the sampled flag alone.
    expect(injectTraceContext({}, caller)).toHaveProperty('traceparent');
  });

  it('extracts on the consumer side the span context injected on the producer side', () => {
    const headers: Record<string, string | Buffer> = {};
    const produced = inSpan((span) => {
      injectTraceContext(headers);
      return span.spanContext();
    });
    // kafkajs hands headers to consumers as Buffers.
    const received = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]),
    );

    const extracted = trace.getSpanContext(extractTraceContext(received));
    expect(extracted).toMatchObject({
      traceId: produced.traceId,
      spanId: produced.spanId,
      isRemote: true,
    });

    const child = withTraceContext(received, () =>
      trace.getTracer('spec').startActiveSpan('consume', (span) => {
        span.end();
        return span.spanContext();
      }),
    );
    expect(child.traceId).toBe(produced.traceId);
    expect(child.spanId).not.toBe(produced.spanId);
  });

  it('leaves the parent context alone when headers carry no trace', () => {
    const parent = context.active();
    expect(extractTraceContext({ other: Buffer.from('x') }, parent)).toBe(parent);
    expect(extractTraceContext(undefined, parent)).toBe(parent);
    expect(trace.getSpanContext(extractTraceContext({}))).toBeUndefined();
  });

  it('uses the W3C trace context and baggage propagators', () => {
    expect(propagation.fields()).toEqual(
      expect.arrayContaining(['traceparent', 'tracestate', 'baggage']),
    );
  });

  it('puts the active trace_id and span_id on log lines', () => {
    const { logger, capture } = capturingLogger();
    logger.info('outside');
    const spanContext = inSpan((span) => {
      logger.info('inside');
      return span.spanContext();
    });

    const [outside, inside] = capture.records();
    expect(outside['trace_id']).toBeUndefined();
    expect(inside).toMatchObject({ trace_id: spanContext.traceId, span_id: spanContext.spanId });
    expect(activeTraceFields()).toEqual({});
  });
});
