import type { Admin, Kafka } from 'kafkajs';
import { intKafka, intKafkaSettings, uniqueName } from '../testing/kafka-int.helpers';
import { kafkaHealth } from './kafka-health';

describe(`${kafkaHealth.name} against the real broker`, () => {
  let kafka: Kafka;
  let admin: Admin | undefined;

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
