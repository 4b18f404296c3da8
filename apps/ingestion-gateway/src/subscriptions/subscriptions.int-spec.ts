import type { PlatformConfig } from '@platform/config';
import type { KafkaClient } from '@platform/messaging';
import { randomUUID } from 'node:crypto';
import { eventually, startSchemaRegistry, type RegistryProcess } from '@platform/testing';
import {
  avroDecoder,
  configOf,
  countRecords,
  createWriteKey,
  http,
  readTopic,
  startGateway,
  testEnv,
  testKafka,
  type RunningGateway,
  type TestEnv,
  removeTestEnv,
} from '../testing/gateway-harness';

describe('ingestion gateway: subscriptions', () => {
  let registry: RegistryProcess;
  let t: TestEnv;
  let config: PlatformConfig;
  let gateway: RunningGateway;
  let kafka: KafkaClient;
  let key: string;

  beforeAll(async () => {
    registry = await startSchemaRegistry();
    t = testEnv(registry.url, {
      GATEWAY_SUBSCRIPTIONS_ENABLED: 'true',
      GATEWAY_SUBSCRIPTIONS_REFRESH_MS: '500',
    });
    t.env['GATEWAY_SUBSCRIPTIONS_GROUP_ID'] = `${t.id}-subs`;
    config = await configOf(t);
    kafka = testKafka(config);
    gateway = await startGateway(t);
    key = (await createWriteKey(t, config, 'web')).key;
  });

  afterAll(async () => {
    await gateway?.close();
    await registry?.stop();
    await removeTestEnv(t, kafka);
  });

  const purchase = (currency: string): Record<string, unknown> => ({
    event_id: randomUUID(),
    user_id: 'buyer',
    order_id: randomUUID(),
    revenue: 10,
    currency,
    device_type: 'mobile',
  });
  const send = async (
    events: { type: string; event: Record<string, unknown> }[],
  ): Promise<void> => {
    const res = await http(`${gateway.url}/v1/events`, { key, body: { events } });
    expect(res.status).toBe(202);
  };
  const pageView = (): Record<string, unknown> => ({
    event_id: randomUUID(),
    user_id: 'v',
    device_type: 'mobile',
    country: 'US',
  });

  it('delivers exactly the matching events produced after it started, across a restart, until deleted', async () => {
    // Before the subscription: never delivered.
    await send([
      { type: 'purchase', event: purchase('EUR') },
      { type: 'purchase', event: purchase('EUR') },
    ]);

    const created = await http(`${gateway.url}/v1/subscribe`, {
      key,
      body: {
        event_types: ['purchase'],
        filters: [{ field: 'currency', op: 'in', value: ['EUR', 'GBP'] }],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      subscription_id: expect.stringMatching(/^[a-z0-9]{20}$/),
      topic: `${t.id}.subscriptions.${created.body.subscription_id}`,
      schema: { type: 'record', name: 'purchase' },
    });
    const topic: string = created.body.topic;

    const expected: string[] = [];
    const batch: { type: string; event: Record<string, unknown> }[] = [];
    for (let i = 0; i < 12; i++) {
      const currency = ['EUR', 'USD', 'GBP'][i % 3] as string;
      const event = purchase(currency);
      if (currency !== 'USD') expected.push(String(event['event_id']));
      batch.push({ type: 'purchase', event }, { type: 'page_view', event: pageView() });
    }
    await send(batch);
    expect(
      await eventually(async () => (await countRecords(kafka, topic)) >= expected.length, {
        timeoutMs: 60_000,
      }),
    ).toBe(true);

    // Restart: the subscription (stored in PostgreSQL) and the group's offsets survive.
    await gateway.close();
    gateway = await startGateway(t);
    const later = [purchase('GBP'), purchase('USD'), purchase('EUR')];
    expected.push(String(later[0]?.['event_id']), String(later[2]?.['event_id']));
    await send(later.map((event) => ({ type: 'purchase', event })));
    expect(
      await eventually(async () => (await countRecords(kafka, topic)) >= expected.length, {
        timeoutMs: 60_000,
      }),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // nothing extra arrives

    const decode = avroDecoder(registry.url);
    const records = await readTopic(kafka, topic);
    const delivered = await Promise.all(
      records.map(async (r) => ({ headers: r.headers, value: await decode(r.value) })),
    );
    expect(delivered.map((d) => String(d.value['event_id'])).sort()).toEqual([...expected].sort());
    expect(delivered.every((d) => d.headers['event_type'] === 'purchase')).toBe(true);
    expect(delivered.every((d) => d.value['currency'] !== 'USD')).toBe(true);

    const fetched = await http(`${gateway.url}/v1/subscribe/${created.body.subscription_id}`, {
      key,
    });
    expect(fetched.status).toBe(200);

    const removed = await http(`${gateway.url}/v1/subscribe/${created.body.subscription_id}`, {
      key,
      method: 'DELETE',
    });
    expect(removed.status).toBe(204);
    expect(
      (await http(`${gateway.url}/v1/subscribe/${created.body.subscription_id}`, { key })).status,
    ).toBe(404);
    await send([{ type: 'purchase', event: purchase('EUR') }]);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await countRecords(kafka, topic)).toBe(expected.length);
  }, 180_000);

  it('validates the filter against the contract', async () => {
    const res = await http(`${gateway.url}/v1/subscribe`, {
      key,
      body: {
        event_types: ['purchase', 'refund'],
        filters: [{ field: 'country', op: 'eq', value: 'US' }],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.failures.map((f: { field: string }) => f.field)).toEqual([
      'event_types.1',
      'filters.0.field',
    ]);
    expect(
      (await http(`${gateway.url}/v1/subscribe`, { body: { event_types: ['purchase'] } })).status,
    ).toBe(401);
    // Values PostgreSQL's jsonb cannot hold are refused before any topic is made.
    for (const value of ['a\u0000b', 'a\ud800b']) {
      const bad = await http(`${gateway.url}/v1/subscribe`, {
        key,
        body: { event_types: ['purchase'], filters: [{ field: 'currency', op: 'eq', value }] },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.failures).toEqual([
        { field: 'filters.0.value', reason: 'must be well-formed Unicode without U+0000' },
      ]);
    }
  });

  it('shows and deletes a subscription only for a key that may use its event types', async () => {
    const created = await http(`${gateway.url}/v1/subscribe`, {
      key,
      body: { event_types: ['page_view'] },
    });
    expect(created.status).toBe(201);
    const path = `${gateway.url}/v1/subscribe/${String(created.body.subscription_id)}`;
    const purchasesOnly = (await createWriteKey(t, config, 'shop', ['purchase'])).key;
    for (const method of ['GET', 'DELETE'] as const) {
      const refused = await http(path, { key: purchasesOnly, method });
      expect(refused.status).toBe(403);
    }
    expect((await http(path, { key })).status).toBe(200);
    expect((await http(path, { key, method: 'DELETE' })).status).toBe(204);
    expect((await http(path, { key })).status).toBe(404);
  });
});
