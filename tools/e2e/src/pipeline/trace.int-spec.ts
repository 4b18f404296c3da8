import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { load } from '@platform/config';
import { aggregateTopic, eventTopic } from '@platform/contracts';
import { ensureDomainTopics, TopicAdmin } from '@platform/messaging';
import {
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  freePort,
  runTs,
  startService,
  uniqueName,
  withPg,
  type ServiceProcess,
} from '@platform/testing';
import { clickHouseRows, kafkaOf, orEmpty } from './aggregate-sinks';

/** A span as OTLP/HTTP JSON carries it (ids in hex), with the service that sent it. */
interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly links?: readonly { traceId: string; spanId: string }[];
}

interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { spans?: Omit<ReceivedSpan, 'service'>[] }[];
  }[];
}

/** An OTLP/HTTP receiver (JSON), the collector the services export to. */
function startReceiver(port: number, spans: ReceivedSpan[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces;
        for (const rs of body.resourceSpans ?? []) {
          const service =
            rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ??
            '?';
          for (const ss of rs.scopeSpans ?? []) {
            for (const span of ss.spans ?? []) spans.push({ ...span, service });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/**
 * One sampled event's trace across the real services, each exporting to this test's OTLP
 * receiver: the caller's request → the gateway → Kafka → the aggregator's span for the event
 * → the span of the window it fell in (a child of the event's, linking every traced input)
 * → the sink writer storing that window.
 */
describe('trace: HTTP → gateway → Kafka → aggregator → sink writer', () => {
  const ns = uniqueName('e2e_trace');
  const spans: ReceivedSpan[] = [];
  const services: ServiceProcess[] = [];
  let receiver: Server;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const port = await freePort();
    receiver = await startReceiver(port, spans);
    env = {
      ENVIRONMENT: 'test',
      NAMESPACE: ns,
      GATEWAY_SUBSCRIPTIONS_ENABLED: 'false',
      AGGREGATOR_AGGREGATIONS: 'page_views_per_minute',
      SINK_WRITER_STREAMS: 'aggregates',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const registry = await startService({ entry: 'apps/schema-registry/src/main.ts', env });
    services.push(registry);
    env['PLATFORM__schema_registry__url'] = registry.url;
    await ensureDomainTopics(
      kafkaOf(await load({ environment: 'test', env: { ...process.env, ...env } })),
      await load({ environment: 'test', env: { ...process.env, ...env } }),
    );
  }, 120_000);

  afterAll(async () => {
    for (const service of services.reverse()) await service.stop().catch(() => undefined);
    receiver?.close();
    const config = await load({ environment: 'test', env: { ...process.env, ...env } });
    const admin = new TopicAdmin(kafkaOf(config));
    await admin.connect();
    try {
      await admin.deleteTopicsWithPrefix(`${ns}.`);
    } finally {
      await admin.disconnect();
    }
    await dropClickHouseDatabase(config.clickhouse.database);
    await dropPgSchema(config.postgres.schema);
    const schemas = await withPg(async (pg) =>
      (
        await pg.query<{ name: string }>(
          `SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE $1`,
          [`${ns}%`],
        )
      ).rows.map((r) => r.name),
    );
    for (const schema of schemas) await dropPgSchema(schema);
  }, 60_000);

  it('runs from the caller to the stored window, the window’s span linking its input', async () => {
    const config = await load({ environment: 'test', env: { ...process.env, ...env } });
    const [gateway, writer] = await Promise.all([
      startService({ entry: 'apps/ingestion-gateway/src/main.ts', env, healthPath: '/readyz' }),
      startService({ entry: 'apps/sink-writer/src/main.ts', env }),
    ]);
    services.push(gateway, writer);
    const created = await runTs(
      'apps/ingestion-gateway/src/cli.ts',
      ['keys', 'create', '--source', 'trace', '--json'],
      env,
    );
    expect(created.code).toBe(0);
    const key = (JSON.parse(created.stdout) as { key: string }).key;

    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const at = Date.now() - 10 * 60_000;
    // A page view in the window of `at`, sent within the trace `traceparent` names.
    const send = (userId: string, traceparent: string) =>
      fetch(`${gateway.url}/v1/events/page_view`, {
        method: 'POST',
        headers: { 'x-write-key': key, 'content-type': 'application/json', traceparent },
        body: JSON.stringify({
          user_id: userId,
          device_type: 'tablet',
          country: 'JP',
          timestamp: new Date(at).toISOString(),
        }),
      });
    expect((await send('traced', `00-${traceId}-${callerSpanId}-01`)).status).toBe(202);
    // An event of an unsampled trace, in the same window: counted, not linked.
    const unsampled = `00-${randomBytes(16).toString('hex')}-${callerSpanId}-00`;
    expect((await send('untraced', unsampled)).status).toBe(202);

    // run-once: up to the end offsets, every window flushed, spans exported before it exits.
    const aggregated = await runTs('apps/aggregator/src/cli.ts', ['run-once'], env);
    expect({
      code: aggregated.code,
      stderr: aggregated.code === 0 ? '' : aggregated.stderr,
    }).toEqual({ code: 0, stderr: '' });
    const eventsTopic = eventTopic(config.topics, 'page_view');
    const outputTopic = aggregateTopic(config.topics, 'page_views_per_minute');
    const stored = () =>
      spans.find(
        (s) =>
          s.traceId === traceId &&
          s.name === `process ${outputTopic}` &&
          s.service === 'sink-writer',
      );
    const arrived = await eventually(async () => stored() !== undefined, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    if (!arrived) {
      throw new Error(
        `no sink-writer span in the trace; spans of it: ${JSON.stringify(spans.filter((s) => s.traceId === traceId))}\n--- writer ---\n${writer.output()}`,
      );
    }

    const inTrace = spans.filter((s) => s.traceId === traceId);
    const server = inTrace.find(
      (s) => s.service === 'ingestion-gateway' && s.parentSpanId === callerSpanId,
    );
    const input = inTrace.find((s) => s.name === `aggregate ${eventsTopic}`);
    const emitted = inTrace.find((s) => s.name === 'emit page_views_per_minute');
    expect(server).toBeDefined();
    expect(input).toMatchObject({ service: 'aggregator', parentSpanId: server?.spanId });
    expect(emitted).toMatchObject({ service: 'aggregator', parentSpanId: input?.spanId });
    expect(emitted?.links).toEqual([expect.objectContaining({ traceId, spanId: input?.spanId })]);
    expect(stored()).toMatchObject({ parentSpanId: emitted?.spanId });
    // Only the traced event became a span of the aggregator.
    expect(spans.filter((s) => s.name === `aggregate ${eventsTopic}`)).toHaveLength(1);

    // The window the trace ends in holds both events.
    const spec = config.model.aggregations.find((a) => a.name === 'page_views_per_minute');
    if (spec === undefined) throw new Error('page_views_per_minute is not in the domain');
    const minute = Math.floor(at / 60_000) * 60_000;
    const window = async () =>
      (await orEmpty(clickHouseRows(config.clickhouse.database, spec))).find(
        (r) => r.windowStart === minute && r.group['device_type'] === 'tablet',
      );
    await eventually(async () => (await window()) !== undefined, { timeoutMs: 30_000 });
    expect(await window()).toMatchObject({ eventCount: 2, value: 2 });
  });
});
