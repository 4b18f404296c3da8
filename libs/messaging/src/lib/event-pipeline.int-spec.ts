import { load, type KafkaSettings } from '@platform/config';
import { eventTopic, type DomainModel, type TopicPrefixes } from '@platform/contracts';
import {
  AvroSerde,
  forSchema,
  generateAllSchemas,
  toJson,
  type AvroRecordSchema,
} from '@platform/schema-registry';
import type { KafkaClient, KafkaConsumer, KafkaProducer } from './kafka-port';
import {
  committedAndEnds,
  deferred,
  eventsTopic,
  intKafka,
  intKafkaSettings,
  readFromStart,
  uniqueName,
  within,
} from '../testing/kafka-int.helpers';
import { topicDefaults } from './domain-topics';
import { BatchConsumer, type DecodedRecord } from './batch-consumer';
import { DLQ_HEADERS, DeadLetterPublisher } from './dead-letter';
import { EventProducer } from './event-producer';
import { InMemorySchemaRegistrar } from './in-memory-registrar';
import { MessagingError } from './messaging.error';
import { murmur2 } from './murmur2-partitioner';
import { TopicAdmin } from './topic-admin';

type Event = Record<string, unknown>;

/** A deterministic event of the ecommerce model (config/domains/ecommerce.yaml). */
function ecommerceEvent(type: string, i: number): Event {
  const base = {
    event_id: `${type}-${i}`,
    timestamp: 1_735_689_600_000 + i * 37,
    user_id: `user-${i % 97}`,
  };
  const device = ['desktop', 'mobile', 'tablet'][i % 3] as string;
  switch (type) {
    case 'page_view':
      return {
        ...base,
        page_url: `/p/${i}`,
        page_title: i % 5 === 0 ? null : `Page ${i}`,
        referrer: null,
        device_type: device,
        country: ['US', 'GB', 'DE'][i % 3],
      };
    case 'add_to_cart':
      return {
        ...base,
        price: i % 4 === 0 ? null : 1.5 + i,
        product_id: `sku-${i % 50}`,
        quantity: 1 + (i % 5),
        device_type: device,
      };
    default:
      return {
        ...base,
        coupon_code: i % 7 === 0 ? 'SPRING' : null,
        order_id: `order-${i}`,
        revenue: 5 + i / 4,
        currency: ['USD', 'EUR', 'GBP'][i % 3],
        device_type: device,
      };
  }
}

describe('EventProducer → BatchConsumer against Kafka', () => {
  let settings: KafkaSettings;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let model: DomainModel;
  let prefixes: TopicPrefixes;
  const topics: string[] = [];
  const toStop: Array<
    { stop(): Promise<void> } | { close(): Promise<void> } | KafkaConsumer | KafkaProducer
  > = [];

  beforeAll(async () => {
    settings = await intKafkaSettings();
    const config = await load({ environment: 'test' });
    model = config.model;
    const run = uniqueName('it').replace('.', '');
    prefixes = { ...config.topics, events: `${run}.events`, dlq: `${run}.dlq` };
    kafka = intKafka(settings, uniqueName('it-pipeline'));
    admin = new TopicAdmin(kafka);
    await admin.connect();
  });

  afterAll(async () => {
    for (const s of toStop.reverse()) {
      if ('stop' in s && typeof s.stop === 'function' && !('disconnect' in s)) await s.stop();
      else if ('close' in s) await s.close();
      else if ('disconnect' in s) await s.disconnect();
    }
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics(topics.filter((t) => existing.has(t)));
    await admin.disconnect();
  });

  async function createTopics(names: string[], partitions = 3): Promise<void> {
    topics.push(...names);
    await admin.ensureTopics(
      names.map((n) => eventsTopic(n, partitions)),
      topicDefaults(settings),
    );
  }

  async function committedEqualsEnd(groupId: string, topic: string): Promise<void> {
    const { committed, ends } = await committedAndEnds(kafka, groupId, topic);
    for (const p of committed) expect(p.offset).toBe(ends.get(p.partition));
    expect(committed).toHaveLength(ends.size);
  }

  it('delivers 20,000 ecommerce events exactly once, decoded as sent, and commits their offsets', async () => {
    const eventTopics = model.eventTypes.map((t) => eventTopic(prefixes, t.name));
    await createTopics(eventTopics);
    const registry = new InMemorySchemaRegistrar();
    const producer = new EventProducer({ kafka, model, prefixes, registry });
    await producer.start();

    const sent = new Map<string, { type: string; event: Event }>();
    const sends: Promise<void>[] = [];
    const types = model.eventTypes.map((t) => t.name);
    for (let i = 0; i < 20_000; i++) {
      const type = types[i % types.length] as string;
      const event = ecommerceEvent(type, i);
      sent.set(event['event_id'] as string, { type, event });
      sends.push(producer.send(type, event));
    }
    await Promise.all(sends);
    await producer.close();
    expect(producer.getStats()).toMatchObject({ sent: 20_000, errors: 0, pending: 0 });

    const groupId = uniqueName('it.sink');
    const received = new Map<string, DecodedRecord[]>();
    let count = 0;
    const lastOffset = new Map<string, bigint>();
    let outOfOrder = 0;
    // Each partition holds its events in the order they were sent (an event's number grows
    // with its send order): the aggregator's watermark is per partition.
    const lastSent = new Map<string, number>();
    let notInSendOrder = 0;
    const done = deferred<void>();
    const letters: unknown[] = [];
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: new RegExp(`^${prefixes.events.replace(/\./g, '\\.')}\\.`),
      fromBeginning: true,
      registry,
      deadLetters: { publish: async (l) => void letters.push(...l) },
      handleBatch: async (records) => {
        for (const r of records) {
          const id = (r.value as Event)['event_id'] as string;
          received.set(id, [...(received.get(id) ?? []), r]);
          const tp = `${r.topic}/${r.partition}`;
          if ((lastOffset.get(tp) ?? -1n) >= BigInt(r.offset)) outOfOrder += 1;
          lastOffset.set(tp, BigInt(r.offset));
          const sentAs = Number(id.slice(id.lastIndexOf('-') + 1));
          if ((lastSent.get(tp) ?? -1) >= sentAs) notInSendOrder += 1;
          lastSent.set(tp, sentAs);
        }
        count += records.length;
        if (count >= 20_000) done.resolve();
      },
    });
    await consumer.start();
    await within(done.promise, 90_000, `consumed ${count}/20000`);
    await consumer.stop();

    expect(letters).toEqual([]);
    expect(outOfOrder).toBe(0);
    expect(notInSendOrder).toBe(0);
    expect(received.size).toBe(20_000);
    // The partition the Java client picks for the key.
    const javaPartition = (key: string) => (murmur2(Buffer.from(key)) & 0x7fffffff) % 3;
    for (const [id, { type, event }] of sent) {
      const copies = received.get(id) ?? [];
      expect(copies).toHaveLength(1);
      const record = copies[0] as DecodedRecord;
      expect(record.topic).toBe(eventTopic(prefixes, type));
      expect(record.key).toBe(event['user_id']);
      expect(record.partition).toBe(javaPartition(event['user_id'] as string));
      expect(record.value).toEqual(event);
    }
    for (const t of eventTopics) await committedEqualsEnd(groupId, t);

    // A second member of the same group finds nothing left to read: a marker sent to every
    // partition after the commit is the first record it gets there, so once all markers
    // arrived, anything left unread would have arrived before them.
    const markers = await sendMarkers(registry, eventTopics);
    const again: string[] = [];
    const allMarkers = deferred<void>();
    const second = new BatchConsumer({
      kafka,
      groupId,
      topics: eventTopics,
      fromBeginning: true,
      registry,
      deadLetters: { publish: async () => undefined },
      handleBatch: async (records) => {
        for (const r of records) again.push((r.value as Event)['event_id'] as string);
        if (markers.every((m) => again.includes(m))) allMarkers.resolve();
      },
    });
    await second.start();
    await within(allMarkers.promise, 60_000, `markers ${again.length}/${markers.length}`);
    await second.stop();
    expect(again.sort()).toEqual([...markers].sort());
  });

  /**
   * One event per partition of each topic (`marker-<topic>-<partition>`), encoded as the
   * producer encodes, sent to that partition; resolves with their ids once acknowledged.
   */
  async function sendMarkers(
    registry: InMemorySchemaRegistrar,
    names: string[],
  ): Promise<string[]> {
    const serde = new AvroSerde(registry);
    const schemas = generateAllSchemas(model);
    const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const rawAdmin = kafka.admin();
    await Promise.all([raw.connect(), rawAdmin.connect()]);
    const ids: string[] = [];
    try {
      for (const type of model.eventTypes.map((t) => t.name)) {
        const topic = eventTopic(prefixes, type);
        if (!names.includes(topic)) continue;
        const schema = schemas[type] as AvroRecordSchema;
        const id = await registry.register(`${topic}-value`, toJson(schema));
        const avro = forSchema(schema);
        for (const { partition } of await rawAdmin.fetchTopicOffsets(topic)) {
          const eventId = `marker-${topic}-${partition}`;
          const event = { ...ecommerceEvent(type, partition), event_id: eventId };
          await raw.send({
            topic,
            acks: -1,
            messages: [{ partition, key: 'marker', value: serde.encode(id, avro, event) }],
          });
          ids.push(eventId);
        }
      }
    } finally {
      await Promise.all([raw.disconnect(), rawAdmin.disconnect()]);
    }
    return ids;
  }

  it('puts a poison record on the dead-letter topic with its headers and continues past it', async () => {
    const topic = `${prefixes.events}.poison`;
    await createTopics([topic], 1);
    const registry = new InMemorySchemaRegistrar();
    const schema = generateAllSchemas(model)['page_view'] as AvroRecordSchema;
    const id = await registry.register(`${topic}-value`, toJson(schema));
    const serde = new AvroSerde(registry);
    const type = forSchema(schema);
    const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    toStop.push(raw);
    await raw.connect();
    const garbage = Buffer.from('{"this is":"json, not avro"}');
    await raw.send({
      topic,
      acks: -1,
      messages: [
        { key: 'user-1', value: serde.encode(id, type, ecommerceEvent('page_view', 1)) },
        { key: 'user-2', value: garbage, headers: { traceparent: '00-t-s-01' } },
        { key: 'user-3', value: serde.encode(id, type, ecommerceEvent('page_view', 3)) },
      ],
    });

    const service = uniqueName('svc').replace('.', '-');
    const dlq = new DeadLetterPublisher({
      kafka,
      service,
      prefixes,
      topicDefaults: { partitions: 1, replicationFactor: 1 },
    });
    topics.push(dlq.topic);
    await dlq.start();
    toStop.push(dlq);

    const handled: string[] = [];
    const done = deferred<void>();
    const groupId = uniqueName('it.poison');
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      fromBeginning: true,
      registry,
      deadLetters: dlq,
      handleBatch: async (records) => {
        handled.push(...records.map((r) => (r.value as Event)['event_id'] as string));
        if (handled.length >= 2) done.resolve();
      },
    });
    await consumer.start();
    await within(done.promise, 60_000, `handled ${handled.join(',')}`);
    await consumer.stop();
    expect(handled).toEqual(['page_view-1', 'page_view-3']);
    await committedEqualsEnd(groupId, topic);

    const [letter] = await readFromStart(kafka, dlq.topic, 1);
    expect(letter?.value).toEqual(garbage);
    expect(letter?.key?.toString()).toBe('user-2');
    const h = (name: string): string | undefined => letter?.headers?.[name]?.toString();
    expect(h(DLQ_HEADERS.errorCode)).toBe('UNKNOWN_MAGIC_BYTE');
    expect(h(DLQ_HEADERS.errorMessage)).toContain('magic byte');
    expect(h(DLQ_HEADERS.errorRetriable)).toBe('false');
    expect(h(DLQ_HEADERS.sourceTopic)).toBe(topic);
    expect(h(DLQ_HEADERS.sourcePartition)).toBe('0');
    expect(h(DLQ_HEADERS.sourceOffset)).toBe('1');
    expect(h(DLQ_HEADERS.service)).toBe(service);
    expect(Number.isNaN(Date.parse(h(DLQ_HEADERS.timestamp) ?? ''))).toBe(false);
    expect(h('traceparent')).toBe('00-t-s-01');
  });

  it('retries a batch after retriable failures without losing or reordering records, and commits once', async () => {
    const topic = `${prefixes.events}.retry`;
    await createTopics([topic], 3);
    const registry = new InMemorySchemaRegistrar();
    const schema = generateAllSchemas(model)['purchase'] as AvroRecordSchema;
    const id = await registry.register(`${topic}-value`, toJson(schema));
    const serde = new AvroSerde(registry);
    const type = forSchema(schema);
    const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    toStop.push(raw);
    await raw.connect();
    const n = 600;
    await raw.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, i) => {
        const e = ecommerceEvent('purchase', i);
        return { key: e['user_id'] as string, value: serde.encode(id, type, e) };
      }),
    });

    let failuresLeft = 2;
    const handled: DecodedRecord[] = [];
    const attempts: number[] = [];
    const done = deferred<void>();
    const groupId = uniqueName('it.retry');
    const consumer = new BatchConsumer({
      kafka,
      groupId,
      topics: [topic],
      fromBeginning: true,
      registry,
      retry: { initialMs: 100, maxMs: 400 },
      deadLetters: { publish: async () => undefined },
      handleBatch: async (records, ctx) => {
        attempts.push(ctx.attempt);
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new MessagingError('SINK_UNAVAILABLE', 'sink is restarting', { retriable: true });
        }
        handled.push(...records);
        if (handled.length >= n) done.resolve();
      },
    });
    await consumer.start();
    await within(done.promise, 60_000, `handled ${handled.length}/${n}`);
    await consumer.stop();

    expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
    expect(handled).toHaveLength(n);
    expect(new Set(handled.map((r) => (r.value as Event)['event_id'])).size).toBe(n);
    for (const partition of new Set(handled.map((r) => r.partition))) {
      const offsets = handled.filter((r) => r.partition === partition).map((r) => Number(r.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i)); // 0, 1, 2, ... : no gap, no reordering
    }
    const stats = consumer.getStats();
    expect(stats.retries).toBe(2);
    expect(stats.commits).toBe(stats.batches); // one commit per batch, none for failed attempts
    await committedEqualsEnd(groupId, topic);
  });

  it('keeps every record batch under the broker limit, and refuses an event no record can hold', async () => {
    // One partition: every event of a dispatch lands in one record batch, and 3,000 events of
    // about 1 KB are three times what the broker takes in one (1 MiB by default).
    const bigPrefixes = { ...prefixes, events: `${prefixes.events}big` };
    const topic = eventTopic(bigPrefixes, 'page_view');
    await createTopics([topic], 1);
    const producer = new EventProducer({
      kafka,
      model,
      prefixes: bigPrefixes,
      registry: new InMemorySchemaRegistrar(),
    });
    await producer.start();
    toStop.push(producer);
    const title = 'x'.repeat(1_000);
    const events = Array.from({ length: 3_000 }, (_, i) => ({
      eventType: 'page_view',
      event: { ...ecommerceEvent('page_view', i), page_title: title },
    }));
    await producer.sendMany(events);
    const read = await readFromStart(kafka, topic, 3_000);
    expect(new Set(read.map((m) => m.offset)).size).toBe(3_000);

    const huge = { ...ecommerceEvent('page_view', 3_000), page_title: 'x'.repeat(1_100_000) };
    const refused = await producer.sendMany([{ eventType: 'page_view', event: huge }]).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(MessagingError);
    expect((refused as MessagingError).code).toBe('INVALID_EVENT');
    expect((refused as Error).message).toMatch(
      /takes 1100\d{3} bytes as a Kafka record; the limit is 1000000/,
    );
    await producer.flush();
    const ends = await kafka.admin();
    await ends.connect();
    try {
      const [end] = await ends.fetchTopicOffsets(topic);
      expect(end?.high).toBe('3000');
    } finally {
      await ends.disconnect();
    }
  });

  it('publishes a batch of dead letters bigger than one request may be, every one of them', async () => {
    const dlq = new DeadLetterPublisher({
      kafka,
      service: 'it-big-dlq',
      prefixes,
      topicDefaults: { partitions: 1, replicationFactor: 1 },
    });
    topics.push(dlq.topic);
    await dlq.start();
    toStop.push(dlq);
    const letters = Array.from({ length: 3_000 }, (_, i) => ({
      key: Buffer.from(`k-${i}`),
      value: Buffer.alloc(1_000, i % 256),
      headers: {},
      source: { topic: 'events.page_view', partition: 0, offset: String(i) },
      error: { code: 'DECODE_FAILED', message: `record ${i} is not Avro`, retriable: false },
    }));
    await dlq.publish(letters);
    const read = await readFromStart(kafka, dlq.topic, 3_000);
    expect(read.map((m) => m.key?.toString())).toEqual(letters.map((l) => l.key.toString()));
  });
});
