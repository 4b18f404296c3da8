import type { PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import type { KafkaClient } from '@platform/messaging';
import {
  eventually,
  startSchemaRegistry,
  startService,
  type RegistryProcess,
  type ServiceProcess,
} from '@platform/testing';
import { randomUUID } from 'node:crypto';
import {
  avroDecoder,
  configOf,
  createWriteKey,
  http,
  readTopic,
  testEnv,
  testKafka,
  type TestEnv,
  removeTestEnv,
} from '../testing/gateway-harness';

describe('ingestion gateway: SIGTERM', () => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let config: PlatformConfig;
  let kafka: KafkaClient;
  let gateway: ServiceProcess | undefined;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, {
      GATEWAY_MAX_BATCH_EVENTS: '1000',
      GATEWAY_RATE_LIMIT_BURST: '100000',
    });
    config = await configOf(t);
    kafka = testKafka(config);
  });

  afterAll(async () => {
    await gateway?.crash();
    await registry?.stop();
    await removeTestEnv(t, kafka);
  });

  it('finishes in-flight requests, answers new ones 503, and exits 0; every 202 is in Kafka', async () => {
    gateway = await startService({
      entry: 'apps/ingestion-gateway/src/main.ts',
      env: { ...t.env, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'info' },
      healthPath: '/readyz',
    });
    const { url } = gateway;
    const key = (await createWriteKey(t, config, 'web')).key;

    const acknowledged: string[] = [];
    const batch = async (): Promise<number | 'refused'> => {
      const events = Array.from({ length: 1000 }, (_, i) => ({
        type: 'page_view',
        event: { event_id: randomUUID(), user_id: `u${i}`, device_type: 'mobile', country: 'JP' },
      }));
      try {
        const res = await http(`${url}/v1/events`, { key, body: { events } });
        if (res.status === 202) for (const r of res.body.results) acknowledged.push(r.event_id);
        return res.status;
      } catch {
        return 'refused';
      }
    };
    const inFlight = Array.from({ length: 8 }, () => batch());
    // SIGTERM once the gateway holds a batch (the scrape itself counts as one).
    const inFlightNow = async (): Promise<number> => {
      const metrics = (await http(`${url}/metrics`)).text;
      return Number(/^platform_http_requests_in_flight (\d+)$/m.exec(metrics)?.[1] ?? 0);
    };
    await eventually(async () => (await inFlightNow()) >= 2, { timeoutMs: 10_000, intervalMs: 5 });
    const stopped = gateway.stop(60_000); // SIGTERM
    // Draining once readiness turns 503 (or the port is already closed).
    const ready = (): Promise<number> =>
      http(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
    await eventually(async () => (await ready()) !== 200, { timeoutMs: 10_000, intervalMs: 5 });
    const afterSignal = await batch();
    const statuses = await Promise.all(inFlight);
    await stopped;
    const code = await gateway.exited;

    expect(code).toBe(0);
    // Batches that reached the gateway before the signal are answered 202; later ones 503
    // while it drains, or find the port closed once it is done.
    expect(statuses.every((s) => s === 202 || s === 503 || s === 'refused')).toBe(true);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(0);
    expect([503, 'refused']).toContain(afterSignal);
    expect(gateway.output()).toContain('shutdown.drained');
    // Request lines are logged, never the key or the body.
    expect(gateway.output()).toContain('"event":"http.request"');
    expect(gateway.output()).not.toContain(key);
    expect(gateway.output()).not.toContain(acknowledged[0]);

    const decode = avroDecoder(registry.url);
    const records = await readTopic(kafka, eventTopic(config.topics, 'page_view'));
    const ids = new Set(
      await Promise.all(records.map(async (r) => String((await decode(r.value))['event_id']))),
    );
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
  }, 120_000);
});
