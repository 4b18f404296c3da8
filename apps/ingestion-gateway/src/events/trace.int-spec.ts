import { eventTopic } from '@platform/contracts';
import { BatchConsumer, type DecodedRecord } from '@platform/messaging';
import { node, tracing } from '@opentelemetry/sdk-node';
import { SchemaRegistryClient } from '@platform/schema-registry';
import { uniqueName } from '@platform/testing';
import { randomBytes } from 'node:crypto';
import { http, startGatewayRun, type GatewayRun } from '../testing/gateway-harness';

// One trace, as a caller sees it: its request's span → the gateway's server span → the record
// in Kafka → the consumer span of the service that handles the record (the sink writer and the
// subscriptions run on this BatchConsumer).
describe('trace context: HTTP → gateway → Kafka → consumer', () => {
  const exporter = new tracing.InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({
    spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
  });
  let run: GatewayRun;

  beforeAll(async () => {
    // The global provider, context manager and W3C propagator, as startTelemetry sets them.
    provider.register();
    run = await startGatewayRun();
  });

  afterAll(async () => {
    await run?.close();
    await provider.shutdown();
  });

  it('continues the caller’s trace through the gateway and into the consumer of the record', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const res = await http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: { user_id: 'traced', device_type: 'mobile', country: 'JP' },
    });
    expect(res.status).toBe(202);

    const topic = eventTopic(run.config.topics, 'page_view');
    let handled: DecodedRecord | undefined;
    const consumer = new BatchConsumer({
      kafka: run.kafka,
      groupId: uniqueName('gw-trace-reader'),
      topics: [topic],
      registry: new SchemaRegistryClient({ url: run.registry.url }),
      deadLetters: { publish: async () => undefined },
      fromBeginning: true,
      handleBatch: async (records) => {
        handled ??= records.find(
          (r) => (r.value as { event_id: string }).event_id === res.body.event_id,
        );
      },
    });
    await consumer.start();
    const deadline = Date.now() + 30_000;
    while (handled === undefined && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await consumer.stop();
    expect(handled?.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    await provider.forceFlush();
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const server = spans.find((s) => s.name === 'POST /v1/events/:type');
    const processed = spans.find((s) => s.name === `process ${topic}`);
    // The gateway's span is the caller's child; the consumer's is the gateway's child.
    expect(server?.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(processed?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(processed?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.kafka.offset': expect.any(Number),
    });
    // Only this event's trace reached the consumer span of its record.
    expect(spans.filter((s) => s.name === `process ${topic}`)).toHaveLength(1);
  });
});
