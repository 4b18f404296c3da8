// The aggregator's spans (ADR 0023): one per sampled input event in its source task, one per
// window emitted with sampled inputs, linking them. Unsampled events cost one header lookup.
import { ROOT_CONTEXT, SpanKind, trace, type Link } from '@opentelemetry/api';
import type { RecordHeaders, StreamRecord } from '@platform/messaging';
import {
  extractTraceContext,
  injectTraceContext,
  isSampledTraceparent,
} from '@platform/observability';
import type { WindowResult } from '@platform/windowing';
import { repartitionKey, TRACEPARENT } from './keys';
import type { Plan } from './plan';
import { header, type RecordSource } from './router';
import type { TraceLinks } from './trace-links';

const tracer = trace.getTracer('@platform/aggregator');

/**
 * The source task's span for an event of a sampled trace: a child of the producer's
 * context in its headers. Returns the `traceparent` that carries the trace on, through the
 * repartition topic, to the window that emits the event.
 */
export function sourceSpan(source: RecordSource, m: StreamRecord): string | undefined {
  if (!isSampledTraceparent(header(m.headers, TRACEPARENT))) return undefined;
  const span = tracer.startSpan(
    `aggregate ${source.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': source.topic,
        'messaging.destination.partition.id': String(source.partition),
        'messaging.kafka.offset': Number(m.offset),
      },
    },
    extractTraceContext(m.headers, ROOT_CONTEXT),
  );
  span.end();
  const headers: Record<string, string> = {};
  return injectTraceContext(headers, trace.setSpan(ROOT_CONTEXT, span))[TRACEPARENT];
}

/**
 * A window emitted with sampled inputs: its span links every one of them (a window has many
 * parents, a span one), and continues the first one's trace, so that a traced event's trace
 * runs on to the sinks. The output record's `headers` get this span's context.
 */
export function windowSpan(
  plan: Plan,
  traces: TraceLinks,
  row: WindowResult,
  headers: RecordHeaders,
): void {
  const { spec } = plan;
  const inputs = traces.within(repartitionKey(spec, row.group), row.windowStart, row.windowEnd);
  if (inputs.length === 0) return;
  const links: Link[] = [];
  for (const traceparent of inputs) {
    const context = trace.getSpanContext(extractTraceContext({ traceparent }, ROOT_CONTEXT));
    if (context !== undefined) links.push({ context });
  }
  const span = tracer.startSpan(
    `emit ${spec.name}`,
    {
      kind: SpanKind.PRODUCER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.destination.name': plan.outputTopic,
        'aggregator.window.start': row.windowStart,
        'aggregator.window.end': row.windowEnd,
        'aggregator.window.events': row.eventCount,
      },
    },
    extractTraceContext({ traceparent: inputs[0] }, ROOT_CONTEXT),
  );
  span.end();
  injectTraceContext(headers as Record<string, string>, trace.setSpan(ROOT_CONTEXT, span));
}
