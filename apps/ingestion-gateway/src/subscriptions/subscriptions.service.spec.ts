import type { PlatformConfig } from '@platform/config';
import { eventTopic } from '@platform/contracts';
import {
  InMemorySchemaRegistrar,
  fakeKafkaConsumer,
  type DeadLetter,
  type KafkaProducer,
} from '@platform/messaging';
import { PlatformMetrics } from '@platform/observability';
import { AvroSerde, generateAllSchemas, toJson } from '@platform/schema-registry';
import { Registry } from 'prom-client';
import { loadGatewaySettings } from '../config/gateway-settings';
import { GatewayMetrics } from '../core/gateway-metrics';
import { ecommerceModel } from '../testing/ecommerce-model';
import type { SubscriptionRecord } from './subscription.store';
import {
  SubscriptionsService,
  type SubscriptionsDatabase,
  type SubscriptionsKafka,
} from './subscriptions.service';

const model = ecommerceModel();
const config: Pick<PlatformConfig, 'model' | 'topics' | 'kafka'> = {
  model,
  topics: { events: 'ev', aggregates: 'agg', dlq: 'dlq', late: 'late', subscriptions: 'subs' },
  // Read only when a subscription's topic is created.
  kafka: {} as PlatformConfig['kafka'],
};
const PURCHASES = eventTopic(config.topics, 'purchase');
const VIEWS = eventTopic(config.topics, 'page_view');
/** When the records of a test were stamped by Kafka. */
const STAMPED = 1_700_000_000_000;

const subscription = (
  id: string,
  eventTypes: string[],
  filters: SubscriptionRecord['filters'] = [],
  createdAtMs = STAMPED - 1_000,
): SubscriptionRecord => ({
  id,
  topic: `subs.${id}`,
  eventTypes,
  filters,
  source: 'web',
  createdAtMs,
});

type Sent = { topic: string; value: Buffer | null; headers: Record<string, unknown> };

/**
 * The service, started, with typed fakes of its ports: the store answers `stored` (as of
 * `asOfMs`), the producer records what it delivered and can be made to fail, and the fake
 * consumer takes batches and records the commits in `log` with the deliveries.
 */
async function newSubscriptions(
  options: {
    stored?: SubscriptionRecord[];
    asOfMs?: number;
    active?: () => Promise<void>;
    sendBatch?: () => Promise<void>;
    createTopic?: () => Promise<void>;
  } = {},
) {
  const log: string[] = [];
  const consumer = fakeKafkaConsumer((line) => log.push(line));
  const sent: Sent[] = [];
  const producer: Pick<KafkaProducer, 'connect' | 'sendBatch' | 'disconnect'> = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: async ({ topicMessages }) => {
      await options.sendBatch?.();
      for (const { topic, messages } of topicMessages ?? []) {
        for (const m of messages) {
          sent.push({
            topic,
            value: m.value as Buffer | null,
            headers: { ...m.headers },
          });
          log.push(`deliver ${topic}`);
        }
      }
      return [];
    },
  };
  const registry = new InMemorySchemaRegistrar();
  const letters: DeadLetter[] = [];
  const kafka: SubscriptionsKafka = {
    kafka: {
      consumer: consumer.consumer,
      // The service makes one producer, with the options of an idempotent one.
      producer: () => producer as KafkaProducer,
      // A subscription topic is never created here: the admin fails on connect.
      admin: () => {
        throw new Error('no broker in a unit test');
      },
    },
    registry,
    deadLetters: { publish: async (batch) => void letters.push(...batch) },
  };
  const stored = [...(options.stored ?? [])];
  let activeReads = 0;
  const database: SubscriptionsDatabase = {
    subscriptions: {
      create: async () => {
        throw new Error('not reached: the topic is created first');
      },
      get: async (id) => stored.find((s) => s.id === id),
      active: async () => {
        activeReads += 1;
        await options.active?.();
        return { records: [...stored], asOfMs: options.asOfMs ?? STAMPED + 60_000 };
      },
      delete: async (id) => {
        const index = stored.findIndex((s) => s.id === id);
        if (index >= 0) stored.splice(index, 1);
        return index >= 0;
      },
    },
  };
  const metricsRegistry = new Registry();
  const sut = new SubscriptionsService(
    config,
    {
      ...loadGatewaySettings({}),
      subscriptionsEnabled: true,
      subscriptionsRefreshMs: 3_600_000,
    },
    database,
    kafka,
    new GatewayMetrics(new PlatformMetrics(metricsRegistry)),
    { register: () => undefined },
  );
  await sut.onApplicationBootstrap();

  const serde = new AvroSerde(registry);
  const schemas = generateAllSchemas(model);
  const encode = async (type: string, event: Record<string, unknown>): Promise<Buffer> => {
    const schema = schemas[type];
    if (schema === undefined) throw new Error(`no schema for ${type}`);
    const id = await registry.register(`${eventTopic(config.topics, type)}-value`, toJson(schema));
    return serde.encode(id, schema, event);
  };
  const delivered = async (id: string): Promise<number> => {
    const metric = await metricsRegistry.getSingleMetric(
      'platform_gateway_subscription_deliveries_total',
    );
    const values = (await metric?.get())?.values ?? [];
    return values.find((v) => v.labels['subscription'] === id)?.value ?? 0;
  };
  return {
    sut,
    consumer,
    encode,
    log,
    sent,
    letters,
    stored,
    delivered,
    activeReads: () => activeReads,
  };
}

const purchase = (currency: string, id = `o-${currency}`): Record<string, unknown> => ({
  event_id: id,
  timestamp: STAMPED,
  user_id: 'buyer',
  order_id: id,
  revenue: 10,
  currency,
  device_type: 'mobile',
  coupon_code: null,
});
const view: Record<string, unknown> = {
  event_id: 'v1',
  timestamp: STAMPED,
  user_id: 'u1',
  page_url: '/',
  page_title: null,
  referrer: null,
  device_type: 'mobile',
  country: 'DE',
};

describe(SubscriptionsService.name, () => {
  let running: SubscriptionsService | undefined;
  afterEach(async () => {
    await running?.onApplicationShutdown();
    running = undefined;
  });

  it('delivers a matching record byte for byte with its headers and event_type, then commits', async () => {
    const eur = subscription(
      'eur',
      ['purchase'],
      [{ field: 'currency', op: 'eq', values: ['EUR'] }],
    );
    const s = await newSubscriptions({ stored: [eur] });
    running = s.sut;
    const value = await s.encode('purchase', purchase('EUR'));
    await s.consumer.deliver(PURCHASES, 2, 7, [
      { value, key: Buffer.from('buyer'), headers: { source: 'web' }, timestamp: STAMPED },
    ]);
    await s.consumer.committed(PURCHASES, 2, '8');
    expect(s.sent).toEqual([
      { topic: 'subs.eur', value, headers: { source: 'web', event_type: 'purchase' } },
    ]);
    expect(s.log).toEqual(['deliver subs.eur', `commit ${PURCHASES}[2]@8`]);
    expect(await s.delivered('eur')).toBe(1);
    expect(s.letters).toEqual([]);
  });

  it('passes over records of other types, not matching the filters, or stamped before the subscription was made', async () => {
    const eur = subscription(
      'eur',
      ['purchase'],
      [{ field: 'currency', op: 'eq', values: ['EUR'] }],
    );
    const later = subscription('later', ['purchase'], [], STAMPED + 1);
    const s = await newSubscriptions({ stored: [eur, later] });
    running = s.sut;
    await s.consumer.deliver(PURCHASES, 0, 0, [
      { value: await s.encode('purchase', purchase('USD')), timestamp: STAMPED },
      { value: await s.encode('purchase', purchase('EUR')), timestamp: STAMPED },
    ]);
    await s.consumer.deliver(VIEWS, 0, 0, [
      { value: await s.encode('page_view', view), timestamp: STAMPED + 5 },
    ]);
    await s.consumer.committed(PURCHASES, 0, '2');
    await s.consumer.committed(VIEWS, 0, '1');
    // Only the EUR purchase, to `eur`; `later` was made after it was stamped.
    expect(s.sent.map((m) => m.topic)).toEqual(['subs.eur']);
    expect(await s.delivered('later')).toBe(0);
  });

  it('fans a record out to every subscription it matches', async () => {
    const all = subscription('all', ['purchase', 'page_view']);
    const eur = subscription(
      'eur',
      ['purchase'],
      [{ field: 'currency', op: 'in', values: ['EUR', 'GBP'] }],
    );
    const s = await newSubscriptions({ stored: [all, eur] });
    running = s.sut;
    await s.consumer.deliver(PURCHASES, 0, 0, [
      { value: await s.encode('purchase', purchase('GBP')), timestamp: STAMPED },
    ]);
    await s.consumer.committed(PURCHASES, 0, '1');
    expect(s.sent.map((m) => m.topic).sort()).toEqual(['subs.all', 'subs.eur']);
  });

  it('leaves the offsets uncommitted while delivery fails, and delivers the batch once it works', async () => {
    let failures = 1;
    const s = await newSubscriptions({
      stored: [subscription('all', ['purchase'])],
      sendBatch: async () => {
        if (failures-- > 0) throw new Error('broker unavailable');
      },
    });
    running = s.sut;
    await s.consumer.deliver(PURCHASES, 0, 0, [
      { value: await s.encode('purchase', purchase('EUR')), timestamp: STAMPED },
    ]);
    await s.consumer.committed(PURCHASES, 0, '1');
    // The failed send recorded nothing; the commit follows the retried one.
    expect(s.log).toEqual(['deliver subs.all', `commit ${PURCHASES}[0]@1`]);
    expect(s.letters).toEqual([]);
  });

  it('reads the subscriptions again before passing over a record newer than its last read', async () => {
    const s = await newSubscriptions({ asOfMs: STAMPED - 10 });
    running = s.sut;
    const reads = s.activeReads();
    // Made on another instance after this one read the store.
    s.stored.push(subscription('elsewhere', ['purchase'], [], STAMPED - 5));
    await s.consumer.deliver(PURCHASES, 0, 0, [
      { value: await s.encode('purchase', purchase('EUR')), timestamp: STAMPED },
    ]);
    await s.consumer.committed(PURCHASES, 0, '1');
    expect(s.activeReads()).toBe(reads + 1);
    expect(s.sent.map((m) => m.topic)).toEqual(['subs.elsewhere']);
  });

  it('retries a batch uncommitted while the store cannot be read, then delivers it', async () => {
    let failures = 0;
    const s = await newSubscriptions({
      stored: [subscription('all', ['purchase'])],
      asOfMs: STAMPED - 10,
      active: async () => {
        if (failures-- > 0) throw new Error('postgres down');
      },
    });
    running = s.sut;
    failures = 1;
    await s.consumer.deliver(PURCHASES, 0, 0, [
      { value: await s.encode('purchase', purchase('EUR')), timestamp: STAMPED },
    ]);
    await s.consumer.committed(PURCHASES, 0, '1');
    expect(failures).toBe(-1);
    expect(s.log).toEqual(['deliver subs.all', `commit ${PURCHASES}[0]@1`]);
  });

  it('stops delivering to a removed subscription, and answers 404 for one it does not know', async () => {
    const s = await newSubscriptions({
      stored: [subscription('keep0001', ['purchase']), subscription('gone0001', ['purchase'])],
    });
    running = s.sut;
    await s.sut.remove('gone0001');
    await expect(s.sut.remove('gone0001')).rejects.toMatchObject({ status: 404 });
    await expect(s.sut.remove('Not-An-Id!')).rejects.toMatchObject({ status: 404 });
    await expect(s.sut.get('gone0001')).rejects.toMatchObject({ status: 404 });
    await s.consumer.deliver(PURCHASES, 0, 0, [
      { value: await s.encode('purchase', purchase('EUR')), timestamp: STAMPED },
    ]);
    await s.consumer.committed(PURCHASES, 0, '1');
    expect(s.sent.map((m) => m.topic)).toEqual(['subs.keep0001']);
  });

  it('describes a subscription with the Avro schema of its type', async () => {
    const s = await newSubscriptions({
      stored: [subscription('eur00001', ['purchase'], [], STAMPED)],
    });
    running = s.sut;
    expect(await s.sut.get('eur00001')).toEqual({
      subscription_id: 'eur00001',
      topic: 'subs.eur00001',
      schema: generateAllSchemas(model)['purchase'],
      event_types: ['purchase'],
      filters: [],
      created_at: new Date(STAMPED).toISOString(),
      value_format: 'avro-confluent',
    });
  });

  it('answers 503 and stores nothing when the subscription topic cannot be created', async () => {
    const s = await newSubscriptions();
    running = s.sut;
    await expect(
      s.sut.create({ eventTypes: ['purchase'], filters: [] }, 'web'),
    ).rejects.toMatchObject({ status: 503 });
    expect(s.stored).toEqual([]);
  });
});
