import {
  context as contextApi,
  propagation,
  trace,
  TraceFlags,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/** Kafka record headers as kafkajs hands them to a consumer. */
export type KafkaHeadersIn = Readonly<
  Record<string, string | Buffer | ReadonlyArray<string | Buffer> | undefined>
>;

/** Kafka record headers as a producer builds them. */
export type KafkaHeadersOut = Record<string, string | Buffer>;

function headerText(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString('utf8');
}

const setter: TextMapSetter<KafkaHeadersOut> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<KafkaHeadersIn> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    // Kafka header names are case-sensitive, but other producers may capitalise them.
    let value = carrier[key];
    if (value === undefined) {
      const match = Object.keys(carrier).find((name) => name.toLowerCase() === key);
      value = match === undefined ? undefined : carrier[match];
    }
    if (value === undefined) return undefined;
    if (typeof value === 'string' || Buffer.isBuffer(value)) return headerText(value);
    return (value as ReadonlyArray<string | Buffer>).map(headerText);
  },
};

/**
 * Writes the trace context of `ctx` (default: the active one) into Kafka headers, through
 * the global propagator (W3C `traceparent`/`tracestate` and `baggage` once
 * `startTelemetry` ran). Mutates and returns `headers`.
 */
export function injectTraceContext<H extends KafkaHeadersOut>(
  headers: H,
  ctx: Context = contextApi.active(),
): H {
  propagation.inject(ctx, headers, setter);
  return headers;
}

/**
 * {@link injectTraceContext} for a sampled trace only: an unsampled one leaves `headers` as
 * they are. Consumers start spans only for sampled records ({@link isSampledTraceparent}), so
 * an unsampled `traceparent` buys nothing downstream, and costs every record 66 bytes.
 */
export function injectSampledTraceContext<H extends KafkaHeadersOut>(
  headers: H,
  ctx: Context = contextApi.active(),
): H {
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || (spanContext.traceFlags & TraceFlags.SAMPLED) === 0)
    return headers;
  return injectTraceContext(headers, ctx);
}

/**
 * Reads a trace context from Kafka headers into a new `Context` derived from `parent`
 * (default: the active one). Headers without trace context give `parent` back unchanged.
 */
export function extractTraceContext(
  headers: KafkaHeadersIn | undefined,
  parent: Context = contextApi.active(),
): Context {
  if (headers === undefined) return parent;
  return propagation.extract(parent, headers, getter);
}

/** True for a W3C `traceparent` whose flags say sampled: the cheap test before any span work. */
export function isSampledTraceparent(traceparent: string | undefined): boolean {
  return traceparent !== undefined && (Number.parseInt(traceparent.slice(-2), 16) & 1) === 1;
}

/** Runs `fn` inside the trace context carried by `headers`, so its spans and logs join that trace. */
export function withTraceContext<T>(headers: KafkaHeadersIn | undefined, fn: () => T): T {
  return contextApi.with(extractTraceContext(headers), fn);
}

/** `{ trace_id, span_id }` of the active span, or `{}` outside a valid span. */
export function activeTraceFields(ctx: Context = contextApi.active()): {
  trace_id?: string;
  span_id?: string;
} {
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
