import { eventTopic } from '@platform/contracts';
import { BatchConsumer, type DecodedRecord, type KafkaClient } from '@platform/messaging';
import { node, tracing } from '@opentelemetry/sdk-node';
import { SchemaRegistryClient } from '@platform/schema-registry';
import {
  startSchemaRegistry,
  startService,
  uniqueName,
  type RegistryProcess,
  type ServiceProcess,
} from '@platform/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  avroDecoder,
  configOf,
  createWriteKey,
  DROP_BOTS_MODULE,
  ecommerceWithProcessors,
  http,
  readTopic,
  removeTestEnv,
  startGatewayRun,
  testEnv,
  testKafka,
  type GatewayRun,
  type TestEnv,
} from '../testing/gateway-harness';

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

// The gateway as its image runs it (`main.ts`: telemetry started first, with the synchronous
// context manager, ADR 0027): the active context does not follow awaits, so each path that
// produces after one carries the caller's trace on itself.
describe('trace context of the gateway as deployed: every path into Kafka', () => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let kafka: KafkaClient;
  let topics: string[];
  let gateway: ServiceProcess;
  let key: string;
  let dir: string;

  beforeAll(async () => {
    // The shipped domain with a processor that dead-letters page views sent without a
    // User-Agent: a batch with one waits for its dead letter's write before its produce.
    dir = mkdtempSync(join(tmpdir(), 'gw-trace-'));
    const domain = ecommerceWithProcessors(
      dir,
      `  - name: drop-bots\n    module: ${JSON.stringify(DROP_BOTS_MODULE)}\n    event_types: [page_view]\n`,
    );
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, { DOMAIN_FILE: domain });
    const config = await configOf(t);
    kafka = testKafka(config);
    topics = ['page_view', 'add_to_cart'].map((type) => eventTopic(config.topics, type));
    gateway = await startService({
      entry: 'apps/ingestion-gateway/src/main.ts',
      env: t.env,
      healthPath: '/readyz',
    });
    key = (await createWriteKey(t, config, 'web')).key;
  });

  afterAll(async () => {
    await gateway?.stop();
    await registry?.stop();
    await removeTestEnv(t, kafka);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the caller’s sampled trace id into the headers of the events of each kind of request', async () => {
    const pageView = (user: string) => ({ user_id: user, device_type: 'mobile', country: 'JP' });
    const send = async (
      path: string,
      body: unknown,
      gzip: boolean,
      headers: Record<string, string> = {},
    ) => {
      const traceId = randomBytes(16).toString('hex');
      const text = JSON.stringify(body);
      const res = await http(`${gateway.url}${path}`, {
        key,
        raw: gzip ? gzipSync(text) : text,
        headers: {
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          ...headers,
        },
      });
      return { traceId, res };
    };
    // GATEWAY_KEY_CACHE_TTL_MS is 0 in tests: every request waits for its key's lookup, so
    // each answer and produce runs after an await.
    const cases = {
      single: await send('/v1/events/page_view', pageView('single'), false),
      batch: await send(
        '/v1/events',
        { events: [{ type: 'page_view', event: pageView('b') }] },
        false,
      ),
      // A refused event beside a valid one: the path that writes its bad row beside the produce.
      refusedBeside: await send(
        '/v1/events',
        {
          events: [
            { type: 'page_view', event: pageView('side') },
            { type: 'page_view', event: { user_id: 7 } },
          ],
        },
        false,
      ),
      // A dead-lettered page view beside an add to cart, produced once the letter is written.
      deadLetterFirst: await send(
        '/v1/events',
        {
          events: [
            { type: 'page_view', event: pageView('letter') },
            {
              type: 'add_to_cart',
              event: {
                user_id: 'letter',
                product_id: 'p1',
                quantity: 1,
                price: 2.5,
                device_type: 'desktop',
              },
            },
          ],
        },
        false,
        { 'user-agent': '' },
      ),
      clientId: await send(
        '/v1/events/page_view',
        { ...pageView('client'), event_id: randomUUID() },
        false,
      ),
      // gzip bodies are served by the Nest controller, not the fast path.
      gzipSingle: await send('/v1/events/page_view', pageView('gz'), true),
      gzipBatch: await send(
        '/v1/events',
        { events: [{ type: 'page_view', event: pageView('gzb') }] },
        true,
      ),
      // A caller's unsampled trace: logged, but not written into the records (nothing
      // downstream traces an unsampled record).
      unsampled: await send('/v1/events/page_view', pageView('unsampled'), false, {
        traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
      }),
    };
    const ids = new Map<string, string>();
    for (const [name, { res }] of Object.entries(cases)) {
      expect([name, res.status]).toEqual([name, 202]);
      const accepted = res.body.results?.find(
        (r: { status: string }) => r.status === 'accepted',
      ) ?? { event_id: res.body.event_id };
      ids.set(String(accepted.event_id), name);
    }
    const decode = avroDecoder(registry.url);
    const traceOf = new Map<string, string | undefined>();
    for (const topic of topics)
      for (const record of await readTopic(kafka, topic)) {
        const name = ids.get(String((await decode(record.value))['event_id']));
        if (name !== undefined) traceOf.set(name, record.headers['traceparent']);
      }
    expect([...traceOf.keys()].sort()).toEqual(Object.keys(cases).sort());
    for (const [name, { traceId }] of Object.entries(cases))
      expect([name, traceOf.get(name)]).toEqual([
        name,
        name === 'unsampled'
          ? undefined
          : expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`)),
      ]);
  });
});
