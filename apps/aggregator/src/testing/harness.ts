// Test support only: events in, aggregates out, expected rows from @platform/windowing.
import { randomUUID } from 'node:crypto';
import { load, type PlatformConfig } from '@platform/config';
import type { AggregationSpec } from '@platform/contracts';
import {
  createKafka,
  ensureDomainTopics,
  EventProducer,
  silentSink,
  type KafkaClient,
} from '@platform/messaging';
import { AvroSerde, SchemaRegistryClient } from '@platform/schema-registry';
import { generatorDryRun } from '@platform/testing';
import { finalResults, type WindowEvent } from '@platform/windowing';
import { HEADERS, outputKey } from '../pipeline/keys';
import { resultToRecord } from '../pipeline/records';

export interface Prefixes {
  readonly events: string;
  readonly aggregates: string;
  readonly late: string;
  readonly dlq: string;
}

export const prefixesFor = (base: string, run: string): Prefixes => ({
  events: `${base}_ev`,
  aggregates: `${base}_${run}_agg`,
  late: `${base}_${run}_late`,
  dlq: `${base}_${run}_dlq`,
});

export function envFor(p: Prefixes, registryUrl: string, appId: string): NodeJS.ProcessEnv {
  return {
    PLATFORM__topics__events: p.events,
    PLATFORM__topics__aggregates: p.aggregates,
    PLATFORM__topics__late: p.late,
    PLATFORM__topics__dlq: p.dlq,
    PLATFORM__schema_registry__url: registryUrl,
    AGGREGATOR_APP_ID: appId,
    AGGREGATOR_SESSION_TIMEOUT_MS: '6000',
    ENVIRONMENT: 'test',
  };
}

export async function configFor(env: NodeJS.ProcessEnv): Promise<PlatformConfig> {
  return load({ environment: 'test', env: { ...process.env, ...env } });
}

/** The generator's events for a seed, in its order (dry run: JSON lines, no Kafka). */
export async function generatedEvents(
  count: number,
  seed: number,
  extra: readonly string[] = [],
): Promise<{ eventType: string; event: WindowEvent }[]> {
  const events = await generatorDryRun([
    '--env',
    'test',
    '--count',
    String(count),
    '--seed',
    String(seed),
    '--rate',
    'max',
    '--no-progress',
    ...extra,
  ]);
  return events as { eventType: string; event: WindowEvent }[];
}

export function kafkaFor(config: PlatformConfig): KafkaClient {
  return createKafka(config.kafka, { logLevel: 'nothing', logger: silentSink });
}

/** Produces events in the given order (keyed by user_id) through the platform's producer. */
export async function produce(
  config: PlatformConfig,
  events: readonly { eventType: string; event: WindowEvent }[],
): Promise<void> {
  // The broker creates no topic itself: the domain's topics first (existing ones are kept).
  await ensureDomainTopics(kafkaFor(config), config);
  const producer = new EventProducer({
    kafka: kafkaFor(config),
    model: config.model,
    prefixes: config.topics,
    registry: new SchemaRegistryClient({ url: config.schema_registry.url }),
  });
  await producer.start();
  try {
    const pending: Promise<unknown>[] = [];
    for (const { eventType, event } of events) pending.push(producer.send(eventType, event));
    await Promise.all(pending);
    await producer.flush(60_000);
  } finally {
    await producer.close();
  }
}

export type Rows = Map<string, Record<string, unknown>>;

/** What the sinks end with per aggregation: the engine run once over all events, then flushed. */
export function expectedRows(
  spec: AggregationSpec,
  events: readonly { eventType: string; event: WindowEvent }[],
): Rows {
  const rows: Rows = new Map();
  const own = events.filter((e) => e.eventType === spec.eventType).map((e) => e.event);
  for (const row of finalResults(spec, own)) {
    const { version: _v, ...record } = resultToRecord(spec, row);
    rows.set(outputKey(spec, row.windowStart, row.group), record);
  }
  return rows;
}

export interface TopicRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Every committed record of `topics`, read until nothing new came for `idleMs`. */
export async function readAll(
  config: PlatformConfig,
  topics: readonly string[],
  idleMs = 4_000,
): Promise<TopicRecord[]> {
  const consumer = kafkaFor(config).consumer({ groupId: `it-read-${randomUUID()}` });
  const out: TopicRecord[] = [];
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        last = Date.now();
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = (Array.isArray(v) ? v[0] : v)?.toString() ?? '';
        }
        out.push({ topic, key: message.key?.toString() ?? null, value: message.value, headers });
      },
    });
    const started = Date.now();
    while (Date.now() - last < idleMs || (out.length === 0 && Date.now() - started < 20_000)) {
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Latest row per key in `aggregates.<agg>`, as a sink applying retractions and versions ends. */
export async function actualRows(
  config: PlatformConfig,
  spec: AggregationSpec,
  records: readonly TopicRecord[],
): Promise<{ rows: Rows; versionsIncrease: boolean }> {
  const serde = new AvroSerde(new SchemaRegistryClient({ url: config.schema_registry.url }));
  const latest = new Map<string, Record<string, unknown>>();
  const lastVersion = new Map<string, number>();
  let versionsIncrease = true;
  const topic = `${config.topics.aggregates}.${spec.name}`;
  for (const r of records) {
    if (r.topic !== topic || r.key === null || r.value === null) continue;
    const record = (await serde.decode(r.value)) as Record<string, unknown>;
    const version = Number(record['version']);
    if (r.headers[HEADERS.retracted] === 'true') {
      latest.delete(r.key);
      continue;
    }
    if ((lastVersion.get(r.key) ?? 0) > version) versionsIncrease = false;
    lastVersion.set(r.key, version);
    const { version: _v, ...rest } = record;
    latest.set(r.key, rest);
  }
  return { rows: latest, versionsIncrease };
}
