import { createServer } from 'node:net';
import { runIndicator } from '@platform/observability';
import type { KafkaAdmin, KafkaClient } from './kafka-port';
import { intKafka, intKafkaSettings, uniqueName } from '../testing/kafka-int.helpers';
import { kafkaHealth, kafkaIndicator } from './kafka-health';

describe(`${kafkaHealth.name} against the real broker`, () => {
  let kafka: KafkaClient;
  let admin: KafkaAdmin | undefined;

  beforeAll(async () => {
    kafka = intKafka(await intKafkaSettings(), uniqueName('it-health'));
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('reports ok with the broker count, controller and latency', async () => {
    const health = await kafkaHealth(kafka, 10_000);
    expect(health).toMatchObject({ ok: true, brokers: 1 });
    expect(health.error).toBeUndefined();
    expect(typeof health.controller).toBe('number');
    expect(health.latencyMs).toBeGreaterThan(0);
    expect(health.latencyMs).toBeLessThan(10_000);
  });

  it('reports ok through an admin client the caller already holds', async () => {
    admin = kafka.admin();
    await admin.connect();
    const health = await kafkaHealth(admin, 10_000);
    expect(health).toMatchObject({ ok: true, brokers: 1 });
  });
});

describe(`${kafkaIndicator.name} against the real broker`, () => {
  it('is up with the broker count', async () => {
    const kafka = intKafka(await intKafkaSettings(), uniqueName('it-indicator'));
    const status = await runIndicator(kafkaIndicator(kafka, { timeoutMs: 5_000 }));
    expect(status).toMatchObject({ status: 'up', brokers: 1 });
  });

  it('is down within its timeout when the broker address is a closed port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise((resolve) => server.close(resolve));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const settings = { ...(await intKafkaSettings()), brokers: [`127.0.0.1:${address.port}`] };
    const started = Date.now();
    const status = await runIndicator(
      kafkaIndicator(intKafka(settings, uniqueName('it-indicator-down')), { timeoutMs: 1_500 }),
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(status).toMatchObject({ status: 'down', error: expect.any(String) });
  });
});
