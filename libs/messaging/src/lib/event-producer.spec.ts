import { MessagingError } from './messaging.error';
import { DEFAULT_TOPIC_PREFIXES, validateDomainModel, type DomainModel } from '@platform/contracts';
import { AvroSerde } from '@platform/schema-registry';
import { CompressionTypes, type Producer, type ProducerBatch } from 'kafkajs';
import {
  EventProducer,
  InvalidEventError,
  defaultKey,
  type ProduceMetrics,
} from './event-producer';
import { InMemorySchemaRegistrar } from './in-memory-registrar';

function model(): DomainModel {
  const result = validateDomainModel({
    domain: 'shop',
    version: 'v1',
    contract: { mode: 'async', sla: { freshness: '5 minutes', completeness: 0.99 } },
    entities: {
      user: { primary_key: 'user_id' },
      order: { primary_key: 'order_no', primary_key_type: 'long' },
    },
    event_types: [
      {
        name: 'purchase',
        entity: 'user',
        attributes: [{ name: 'coupon', type: 'string' }],
        dimensions: [{ name: 'revenue', type: 'double' }],
      },
      { name: 'shipped', entity: 'order', dimensions: [{ name: 'carrier', type: 'string' }] },
    ],
    aggregations: [],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.model;
}

const purchase = (i: number): Record<string, unknown> => ({
  event_id: `e${i}`,
  timestamp: 1_700_000_000_000 + i,
  user_id: `u${i % 3}`,
  coupon: null,
  revenue: 10 + i,
});

/** A kafkajs producer fake that records sendBatch calls and can be told to fail. */
function fakeKafka(): {
  kafka: { producer: jest.Mock };
  sent: ProducerBatch[];
  failNext: (e: Error) => void;
  producer: Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;
} {
  const sent: ProducerBatch[] = [];
  let failure: Error | undefined;
  const producer = {
    connect: jest.fn(async () => undefined),
    disconnect: jest.fn(async () => undefined),
    sendBatch: jest.fn(async (batch: ProducerBatch) => {
      if (failure !== undefined) {
        const e = failure;
        failure = undefined;
        throw e;
      }
      sent.push(batch);
      return [];
    }),
  };
  return {
    kafka: { producer: jest.fn(() => producer) },
    sent,
    failNext: (e) => (failure = e),
    producer,
  };
}

async function started(
  extra: Partial<ConstructorParameters<typeof EventProducer>[0]> = {},
): Promise<{
  producer: EventProducer;
  fake: ReturnType<typeof fakeKafka>;
  registry: InMemorySchemaRegistrar;
}> {
  const fake = fakeKafka();
  const registry = new InMemorySchemaRegistrar();
  const producer = new EventProducer({
    kafka: fake.kafka,
    model: model(),
    prefixes: DEFAULT_TOPIC_PREFIXES,
    registry,
    lingerMs: 1,
    ...extra,
  });
  await producer.start();
  return { producer, fake, registry };
}

describe(EventProducer.name, () => {
  it('creates an idempotent producer with one request in flight', async () => {
    const { fake } = await started();
    expect(fake.kafka.producer).toHaveBeenCalledWith(
      expect.objectContaining({ idempotent: true, maxInFlightRequests: 1 }),
    );
  });

  it('compresses record batches with the configured codec, and not at all by default', async () => {
    const plain = await started();
    await plain.producer.send('purchase', purchase(1));
    expect((plain.fake.sent[0] as ProducerBatch).compression).toBe(CompressionTypes.None);
    const gzip = await started({ compression: CompressionTypes.GZIP });
    await gzip.producer.send('purchase', purchase(1));
    expect((gzip.fake.sent[0] as ProducerBatch).compression).toBe(CompressionTypes.GZIP);
  });

  it('registers every event type schema under <topic>-value on start', async () => {
    const { registry } = await started();
    expect(registry.subjects().sort()).toEqual(['events.purchase-value', 'events.shipped-value']);
  });

  it('sends Avro in Confluent framing, keyed by the entity primary key, with acks=all', async () => {
    const { producer, fake, registry } = await started();
    await producer.send('purchase', purchase(1));
    expect(fake.sent).toHaveLength(1);
    const batch = fake.sent[0] as ProducerBatch;
    expect(batch.acks).toBe(-1);
    const [tm] = batch.topicMessages ?? [];
    expect(tm?.topic).toBe('events.purchase');
    const message = tm?.messages[0];
    expect(message?.key).toBe('u1');
    const value = message?.value as Buffer;
    expect(value[0]).toBe(0);
    await expect(new AvroSerde(registry).decode(value)).resolves.toEqual(purchase(1));
  });

  it('uses the caller key when given, and stringifies a numeric primary key', async () => {
    const { producer, fake } = await started();
    await producer.send('purchase', purchase(2), 'order-77');
    await producer.send('shipped', {
      event_id: 'x',
      timestamp: 1,
      order_no: 42,
      carrier: 'dhl',
    });
    const keys = fake.sent.flatMap((b) =>
      (b.topicMessages ?? []).flatMap((t) => t.messages.map((m) => m.key)),
    );
    expect(keys).toEqual(['order-77', '42']);
  });

  it('rejects an invalid event naming the field, before anything is sent', async () => {
    const { producer, fake } = await started();
    const bad = { ...purchase(1), revenue: 'lots' };
    const error = await producer.send('purchase', bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ code: 'INVALID_EVENT', retriable: false });
    expect((error as InvalidEventError).fields).toEqual(['revenue']);
    expect((error as Error).message).toContain('revenue');
    await producer.flush(100);
    expect(fake.producer.sendBatch).not.toHaveBeenCalled();
    expect(producer.getStats()).toMatchObject({ sent: 0, errors: 0, rejected: 1 });
  });

  it('rejects an unknown event type with the known ones listed', async () => {
    const { producer } = await started();
    await expect(producer.send('refund', {})).rejects.toMatchObject({
      code: 'UNKNOWN_EVENT_TYPE',
      message: expect.stringContaining('purchase, shipped'),
    });
  });

  it('sendBatch refuses the whole batch when one event is invalid, naming its index', async () => {
    const { producer, fake } = await started();
    const events = [purchase(1), { ...purchase(2), user_id: undefined }, purchase(3)];
    await expect(producer.sendBatch('purchase', events)).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      issues: [expect.objectContaining({ path: '[1].user_id' })],
    });
    expect(fake.producer.sendBatch).not.toHaveBeenCalled();
  });

  it('sendBatch resolves once all are acknowledged, batched into few requests', async () => {
    const { producer, fake } = await started({ maxBatchSize: 100 });
    const events = Array.from({ length: 250 }, (_, i) => purchase(i));
    await producer.sendBatch('purchase', events);
    expect(producer.getStats()).toEqual({ sent: 250, errors: 0, rejected: 0, pending: 0 });
    expect(fake.producer.sendBatch).toHaveBeenCalledTimes(3);
  });

  it('sendMany sends events of several types with one promise, rejecting once all settled', async () => {
    const { producer, fake } = await started({ maxBatchSize: 2 });
    const shipped = {
      event_id: 's1',
      timestamp: 1_700_000_000_000,
      order_no: 1,
      carrier: 'ups',
    };
    const events = [
      ...[0, 1].map((i) => ({ eventType: 'purchase', event: purchase(i) })),
      { eventType: 'shipped', event: shipped },
    ];
    await producer.sendMany(events);
    expect(producer.getStats()).toMatchObject({ sent: 3, errors: 0, pending: 0 });
    expect(fake.sent[0]?.topicMessages?.map((t) => t.topic)).toEqual([
      'events.purchase',
      'events.shipped',
    ]);

    fake.failNext(new Error('broker gone'));
    await expect(producer.sendMany(events)).rejects.toMatchObject({
      message: expect.stringContaining('broker gone'),
    });
    expect(producer.getStats()).toMatchObject({ sent: 3, errors: 3, pending: 0 });
    await expect(
      producer.sendMany([...events, { eventType: 'nope', event: {} }]),
    ).rejects.toMatchObject({ code: 'UNKNOWN_EVENT_TYPE' });
  });

  it('sendEach tells the receiver the outcome of each event by index: refusals at once, the rest after the request', async () => {
    const { producer, fake } = await started({ maxBatchSize: 100 });
    const outcomes = new Map<number, string>();
    const receiver = {
      settled: (i: number, error: MessagingError | undefined) =>
        outcomes.set(i, error === undefined ? 'acked' : error.code),
    };
    producer.sendEach(
      [
        { eventType: 'purchase', event: purchase(1) },
        { eventType: 'purchase', event: { ...purchase(2), revenue: 'lots' } },
        { eventType: 'refund', event: {} },
        { eventType: 'purchase', event: purchase(3) },
      ],
      receiver,
    );
    expect([...outcomes]).toEqual([
      [1, 'INVALID_EVENT'],
      [2, 'UNKNOWN_EVENT_TYPE'],
    ]);
    await producer.flush(1_000);
    expect(outcomes.get(0)).toBe('acked');
    expect(outcomes.get(3)).toBe('acked');
    expect(fake.sent).toHaveLength(1);

    outcomes.clear();
    fake.failNext(new Error('broker gone'));
    producer.sendEach([{ eventType: 'purchase', event: purchase(4) }], receiver);
    await producer.flush(1_000).catch(() => undefined);
    expect([...outcomes]).toEqual([[0, expect.any(String)]]);
    expect(outcomes.get(0)).not.toBe('acked');
    expect(producer.getStats()).toMatchObject({ sent: 2, errors: 1, rejected: 2, pending: 0 });
  });

  it('rejects exactly the sends of a failed request and counts them as errors, with metrics', async () => {
    const calls: string[] = [];
    const metrics: ProduceMetrics = {
      settled: (t, ok, latencies) =>
        calls.push(`${ok ? 'ok' : 'err'}:${t}:${latencies.map((s) => s >= 0).join(',')}`),
    };
    const { producer, fake } = await started({ metrics, maxBatchSize: 2 });
    fake.failNext(new Error('broker gone'));
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) => producer.send('purchase', purchase(i))),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect(producer.getStats()).toMatchObject({ sent: 1, errors: 2 });
    expect(calls).toEqual(['err:purchase:true,true', 'ok:purchase:true']);
  });

  it('lets the headers hook add trace context to each record', async () => {
    const { producer, fake } = await started({
      headersHook: (h) => {
        h['traceparent'] = '00-abc-def-01';
      },
    });
    await producer.send('purchase', purchase(1), undefined, { source: 'test' });
    const message = fake.sent[0]?.topicMessages?.[0]?.messages[0];
    expect(message?.headers).toEqual({ source: 'test', traceparent: '00-abc-def-01' });
  });

  it('refuses sends before start and after close; close flushes and disconnects', async () => {
    const fake = fakeKafka();
    const producer = new EventProducer({
      kafka: fake.kafka,
      model: model(),
      prefixes: DEFAULT_TOPIC_PREFIXES,
      registry: new InMemorySchemaRegistrar(),
      lingerMs: 1_000,
    });
    await expect(producer.send('purchase', purchase(1))).rejects.toMatchObject({
      code: 'NOT_STARTED',
    });
    await producer.start();
    const pending = producer.send('purchase', purchase(1));
    await producer.close();
    await expect(pending).resolves.toBeUndefined();
    expect(fake.producer.disconnect).toHaveBeenCalled();
    await expect(producer.send('purchase', purchase(1))).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('reports a registry failure at start as SCHEMA_REGISTRATION_FAILED', async () => {
    const fake = fakeKafka();
    const registry = new InMemorySchemaRegistrar();
    registry.register = async () => {
      throw Object.assign(new Error('503'), { retriable: true });
    };
    const producer = new EventProducer({
      kafka: fake.kafka,
      model: model(),
      prefixes: DEFAULT_TOPIC_PREFIXES,
      registry,
    });
    await expect(producer.start()).rejects.toMatchObject({
      code: 'SCHEMA_REGISTRATION_FAILED',
      retriable: true,
    });
  });
});

describe(defaultKey.name, () => {
  it.each([
    [{ user_id: 'u1' }, 'u1'],
    [{ user_id: 7 }, '7'],
    [{ user_id: null }, undefined],
    [{}, undefined],
    ['not an object', undefined],
  ])('maps %j to %j', (event, key) => {
    expect(defaultKey(event, 'user_id')).toBe(key);
  });
});
