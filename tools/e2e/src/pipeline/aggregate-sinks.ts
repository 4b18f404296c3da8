// Reading back what the pipeline produced: the sink tables of every aggregation and the
// late-event topics, as rows and event ids the oracle's results compare with.
import type { PlatformConfig } from '@platform/config';
import { aggregateTable, type AggregationSpec } from '@platform/contracts';
import { AvroSerde, SchemaRegistryClient } from '@platform/schema-registry';
import { createKafka, silentSink, type KafkaClient } from '@platform/messaging';
import { clickhouse, withPg } from '@platform/testing';
import type { ComparableRow } from '../oracle';

/** Epoch milliseconds from a stored time: Int64 (as number or string), Date, or ISO text. */
function toMs(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  if (typeof value === 'string') return Date.parse(value.includes('Z') ? value : `${value}Z`);
  throw new Error(`not a time: ${JSON.stringify(value)}`);
}

/** A numeric column that a driver returns as text (Int64, BIGINT, NUMERIC) as a number. */
function toValue(value: unknown): unknown {
  return typeof value === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value)
    ? Number(value)
    : value;
}

function toRow(spec: AggregationSpec, raw: Readonly<Record<string, unknown>>): ComparableRow {
  const group: Record<string, unknown> = {};
  for (const field of spec.groupBy) group[field] = raw[field] ?? null;
  return {
    windowStart: toMs(raw['window_start']),
    windowEnd: toMs(raw['window_end']),
    group,
    value: toValue(raw['value']),
    eventCount: Number(raw['event_count']),
  };
}

/** The ClickHouse table of an aggregation, deduplicated with FINAL (newest version per key). */
export async function clickHouseRows(
  database: string,
  spec: AggregationSpec,
): Promise<ComparableRow[]> {
  const body = await clickhouse(
    `SELECT * FROM \`${database}\`.\`${aggregateTable(spec)}\` FINAL FORMAT JSONEachRow`,
  );
  return body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => toRow(spec, JSON.parse(line) as Record<string, unknown>));
}

/** The PostgreSQL table of an aggregation (an upsert table: one row per key). */
export async function postgresRows(
  schema: string,
  spec: AggregationSpec,
): Promise<ComparableRow[]> {
  return withPg(async (pg) => {
    const result = await pg.query(`SELECT * FROM "${schema}"."${aggregateTable(spec)}"`);
    return result.rows.map((raw: Record<string, unknown>) => toRow(spec, raw));
  });
}

/** A missing table reads as no rows: the sink-writer creates it with the first record. */
export async function orEmpty(read: Promise<ComparableRow[]>): Promise<ComparableRow[]> {
  try {
    return await read;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/doesn't exist|does not exist|UNKNOWN_TABLE|UNKNOWN_DATABASE/i.test(text)) return [];
    throw error;
  }
}

export function kafkaOf(config: PlatformConfig): KafkaClient {
  return createKafka(config.kafka, { logLevel: 'nothing', logger: silentSink });
}

/** Records in a topic (sum of its partitions' end offsets, transaction markers included). */
export async function endOffsetSum(config: PlatformConfig, topic: string): Promise<number> {
  const admin = kafkaOf(config).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface EventRecord {
  readonly aggregation: string;
  readonly eventId: string;
  readonly reason: string;
  /** The record's value, as the aggregator wrote it. */
  readonly value: Buffer;
}

/**
 * The committed records of a topic of framed events (`late.<type>`, `events.<type>`): read
 * until at least `expected` came and then nothing new for `idleMs` (so extras show too), or
 * `timeoutMs` passed.
 */
export async function readEventRecords(
  config: PlatformConfig,
  topic: string,
  expected: number,
  { idleMs = 2_000, timeoutMs = 60_000 }: { idleMs?: number; timeoutMs?: number } = {},
): Promise<EventRecord[]> {
  const serde = new AvroSerde(new SchemaRegistryClient({ url: config.schema_registry.url }));
  const consumer = kafkaOf(config).consumer({
    groupId: `${topic}.e2e-reader.${Date.now()}`,
    readUncommitted: false,
  });
  const out: EventRecord[] = [];
  let last = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => (last = Date.now()));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        last = Date.now();
        const header = (name: string): string => message.headers?.[name]?.toString() ?? '';
        if (message.value === null) return;
        const event = (await serde.decode(message.value)) as { event_id?: unknown };
        out.push({
          aggregation: header('aggregator.aggregation'),
          eventId: String(event.event_id),
          reason: header('aggregator.reason'),
          value: message.value,
        });
      },
    });
    const deadline = Date.now() + timeoutMs;
    const settled = (): boolean =>
      last > 0 && out.length >= expected && Date.now() - last >= idleMs;
    while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  } finally {
    await consumer.disconnect();
  }
  return out;
}
