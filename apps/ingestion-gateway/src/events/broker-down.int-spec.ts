import type { PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import type { KafkaClient } from '@platform/messaging';
import {
  startSchemaRegistry,
  startTcpProxy,
  type RegistryProcess,
  type TcpProxy,
} from '@platform/testing';
import { randomUUID } from 'node:crypto';
import {
  avroDecoder,
  configOf,
  createWriteKey,
  http,
  kafkaThrough,
  readTopic,
  startGateway,
  testEnv,
  testKafka,
  type RunningGateway,
  type TestEnv,
  removeTestEnv,
} from '../testing/gateway-harness';

// The shared broker stays up for everyone else: the gateway reaches it only through a proxy
// (its one bootstrap address, and every advertised broker address re-routed to it), and the
// test cuts the proxy.
describe('ingestion gateway: broker down', () => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let config: PlatformConfig;
  let gateway: RunningGateway;
  let proxy: TcpProxy;
  let key: string;
  let kafka: KafkaClient;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, { GATEWAY_PRODUCE_TIMEOUT_MS: '2500' });
    config = await configOf(t);
    kafka = testKafka(config);
    const [host, port] = (config.kafka.brokers[0] ?? '127.0.0.1:9092').split(':');
    proxy = await startTcpProxy(host ?? '127.0.0.1', Number(port ?? 9092));
    gateway = await startGateway(t, { kafkaFactory: kafkaThrough(proxy) });
    key = (await createWriteKey(t, config, 'web')).key;
  });

  afterAll(async () => {
    await gateway?.close().catch(() => undefined);
    await proxy?.close();
    await registry?.stop();
    await removeTestEnv(t, kafka);
  });

  const event = (i: number): Record<string, unknown> => ({
    event_id: randomUUID(),
    user_id: `u${i}`,
    device_type: 'mobile',
    country: 'FR',
  });

  it('answers 503 (never 202) while the broker is unreachable, and loses nothing it acknowledged', async () => {
    const acknowledged: string[] = [];
    const send = async (i: number): Promise<number> => {
      const body = event(i);
      const res = await http(`${gateway.url}/v1/events/page_view`, { key, body });
      if (res.status === 202) acknowledged.push(String(body['event_id']));
      return res.status;
    };
    const sendBatch = async (from: number): Promise<number> => {
      const events = Array.from({ length: 20 }, (_, i) => ({
        type: 'page_view',
        event: event(from + i),
      }));
      const res = await http(`${gateway.url}/v1/events`, { key, body: { events } });
      for (const r of res.body.results ?? [])
        if (r.status === 'accepted') acknowledged.push(r.event_id);
      return res.status;
    };

    for (let i = 0; i < 10; i++) expect(await send(i)).toBe(202);
    expect(await sendBatch(100)).toBe(202);

    proxy.cut();
    const during = await Promise.all([send(200), send(201), sendBatch(300), send(202)]);
    expect(during).toEqual([503, 503, 503, 503]);
    const single = await http(`${gateway.url}/v1/events/page_view`, { key, body: event(9) });
    expect(single.status).toBe(503);
    expect(single.headers.get('retry-after')).toBeTruthy();
    expect(single.body.error.code).toBe('UNAVAILABLE');
    // Sent without an event_id: the 503 returns the one the gateway generated.
    const { event_id: _none, ...anonymous } = event(8);
    const generated = await http(`${gateway.url}/v1/events/page_view`, { key, body: anonymous });
    expect(generated.status).toBe(503);
    const generatedId = String(generated.body.error.event_id);
    expect(generatedId).toMatch(/^[0-9a-f-]{36}$/);

    proxy.restore();
    // The producer reconnects on its own; requests are acknowledged again.
    const deadline = Date.now() + 90_000;
    let status = 0;
    let i = 400;
    while (Date.now() < deadline) {
      status = await send(i++);
      if (status === 202) break;
      expect(status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(status).toBe(202);
    expect(await sendBatch(500)).toBe(202);
    // The retry with that id is acknowledged once, whether or not the first attempt landed.
    let retry = 0;
    while (retry !== 202 && Date.now() < deadline) {
      retry = (
        await http(`${gateway.url}/v1/events/page_view`, {
          key,
          body: { ...anonymous, event_id: generatedId },
        })
      ).status;
    }
    expect(retry).toBe(202);

    // Restart the gateway: what was acknowledged is in Kafka.
    await gateway.close();
    gateway = await startGateway(t, { kafkaFactory: kafkaThrough(proxy) });
    expect(await send(600)).toBe(202);

    const decode = avroDecoder(registry.url);
    const records = await readTopic(kafka, eventTopic(config.topics, 'page_view'));
    const all = await Promise.all(
      records.map(async (r) => String((await decode(r.value))['event_id'])),
    );
    const ids = new Set(all);
    expect(all.filter((id) => id === generatedId)).toHaveLength(1);
    const missing = acknowledged.filter((id) => !ids.has(id));
    expect(acknowledged.length).toBeGreaterThanOrEqual(10 + 20 + 1 + 20 + 1);
    expect(missing).toEqual([]);
  }, 180_000);
});
