// Integration-test support: the real gateway in this process on a random port over unique
// topics and a unique PostgreSQL schema, write keys, and helpers to read what reached Kafka.
// Processes, names and databases come from @platform/testing.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { load, type PlatformConfig } from '@platform/config';
import { createKafka, silentSink, TopicAdmin, type KafkaClient } from '@platform/messaging';
import { AvroSerde, SchemaRegistryClient } from '@platform/schema-registry';
import {
  dropPgSchema,
  startSchemaRegistry,
  uniqueName,
  type RegistryProcess,
  type TcpProxy,
} from '@platform/testing';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GatewayAppOptions } from '../app.module';
import { WriteKeyStore } from '../auth/write-keys';
import { createApp } from '../bootstrap';
import type { KafkaFactory } from '../core/tokens';
import { openDatabase } from '../persistence/database';

/** Unique topic prefixes and PostgreSQL schema for one test file. */
export interface TestEnv {
  readonly id: string;
  readonly env: Record<string, string>;
  readonly dbSchema: string;
}

export function testEnv(registryUrl: string, extra: Record<string, string> = {}): TestEnv {
  const id = uniqueName('gwit');
  const dbSchema = id;
  return {
    id,
    dbSchema,
    env: {
      ENVIRONMENT: 'test',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
      PLATFORM__schema_registry__url: registryUrl,
      PLATFORM__topics__events: `${id}.events`,
      PLATFORM__topics__dlq: `${id}.dlq`,
      PLATFORM__topics__subscriptions: `${id}.subscriptions`,
      PLATFORM__topics__aggregates: `${id}.aggregates`,
      PLATFORM__topics__late: `${id}.late`,
      PLATFORM__kafka__default_partitions: '3',
      GATEWAY_DB_SCHEMA: dbSchema,
      GATEWAY_KEY_CACHE_TTL_MS: '0',
      GATEWAY_SUBSCRIPTIONS_ENABLED: 'false',
      ...extra,
    },
  };
}

const REPO_ROOT = resolve(__dirname, '../../../..');

/** A processor plugin written outside the platform: drops "bot" User-Agents, dead-letters a missing one. */
export const DROP_BOTS_MODULE = join(
  REPO_ROOT,
  'libs/processors/src/lib/testing/drop-bots.processor.js',
);

/**
 * The shipped ecommerce domain with `processors` (the YAML items of its `processors:` list),
 * written into `dir`; its path, for `DOMAIN_FILE`.
 */
export function ecommerceWithProcessors(dir: string, processors: string): string {
  const file = join(dir, 'ecommerce-processed.yaml');
  const domain = readFileSync(join(REPO_ROOT, 'config/domains/ecommerce.yaml'), 'utf8');
  writeFileSync(file, `${domain}\nprocessors:\n${processors}`);
  return file;
}

export async function configOf(t: TestEnv): Promise<PlatformConfig> {
  return load({ environment: 'test', env: { ...process.env, ...t.env } });
}

export interface RunningGateway {
  readonly app: NestFastifyApplication;
  readonly url: string;
  close(): Promise<void>;
}

export async function startGateway(
  t: TestEnv,
  options: { kafkaFactory?: KafkaFactory; port?: number } = {},
): Promise<RunningGateway> {
  const env = { ...process.env, ...t.env };
  // The observability logger reads LOG_LEVEL from the process.
  process.env['LOG_LEVEL'] = t.env['LOG_LEVEL'];
  const appOptions: GatewayAppOptions = {
    config: { environment: 'test', env },
    env,
    ...(options.kafkaFactory === undefined ? {} : { kafkaFactory: options.kafkaFactory }),
  };
  const app = await createApp(appOptions);
  await app.listen(options.port ?? 0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

/** A schema registry, a gateway on names of its own, and a write key of source `web`. */
export interface GatewayRun {
  readonly registry: RegistryProcess;
  readonly t: TestEnv;
  readonly config: PlatformConfig;
  readonly kafka: KafkaClient;
  readonly gateway: RunningGateway;
  readonly key: string;
  /** Stops the gateway and the registry, and drops the run's topics and schema. */
  close(): Promise<void>;
}

export async function startGatewayRun(extraEnv: Record<string, string> = {}): Promise<GatewayRun> {
  const registry = await startSchemaRegistry();
  const t = testEnv(registry.url, extraEnv);
  const config = await configOf(t);
  const kafka = testKafka(config);
  const gateway = await startGateway(t);
  const key = (await createWriteKey(t, config, 'web')).key;
  return {
    registry,
    t,
    config,
    kafka,
    gateway,
    key,
    close: async () => {
      await gateway.close();
      await registry.stop();
      await removeTestEnv(t, kafka);
    },
  };
}

/** Creates a write key directly in the gateway's schema (what the CLI does). */
export async function createWriteKey(
  t: TestEnv,
  config: PlatformConfig,
  source: string,
  eventTypes: readonly string[] | null = null,
): Promise<{ key: string; id: string; revoke: () => Promise<void> }> {
  const db = await openDatabase(config.postgres, t.dbSchema, 'gateway-test');
  try {
    const store = new WriteKeyStore(db, t.dbSchema);
    const created = await store.create(source, eventTypes);
    return {
      key: created.key,
      id: created.record.id,
      revoke: async () => {
        const again = await openDatabase(config.postgres, t.dbSchema, 'gateway-test');
        try {
          await new WriteKeyStore(again, t.dbSchema).revoke(created.record.id);
        } finally {
          await again.destroy();
        }
      },
    };
  } finally {
    await db.destroy();
  }
}

export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export async function http<T = any>( // eslint-disable-line @typescript-eslint/no-explicit-any
  url: string,
  init: {
    method?: string;
    body?: unknown;
    raw?: string | Buffer;
    key?: string;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== undefined) headers['x-write-key'] = init.key;
  let body: string | Buffer | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined && init.contentType !== '')
    headers['content-type'] = init.contentType ?? 'application/json';
  const response = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    // A request that hangs fails the test instead of stalling it.
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** A gateway Kafka client whose every connection goes through `proxy` (to cut the network). */
export function kafkaThrough(proxy: TcpProxy): KafkaFactory {
  const via = { host: proxy.host, port: proxy.port };
  return (settings, clientId) =>
    createKafka(
      { ...settings, brokers: [`${via.host}:${via.port}`] },
      { clientId, logger: silentSink, logLevel: 'nothing', connectVia: via },
    );
}

export function testKafka(config: PlatformConfig): KafkaClient {
  return createKafka(config.kafka, {
    clientId: 'gateway-test',
    logger: silentSink,
    logLevel: 'nothing',
  });
}

/** Records in a topic now (sum over partitions of high - low watermarks). */
export async function countRecords(kafka: KafkaClient, topic: string): Promise<number> {
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  try {
    const offsets = await admin.topicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high - p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface ReadRecord {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
  readonly timestamp: number;
}

/** Every record of `topic` from the beginning up to the current end offsets. */
export async function readTopic(
  kafka: KafkaClient,
  topic: string,
  timeoutMs = 30_000,
): Promise<ReadRecord[]> {
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  const ends = await admin.topicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
  const records: ReadRecord[] = [];
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: uniqueName('gw-test-reader') });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reading ${topic} timed out with ${records.length} records`)),
      timeoutMs,
    );
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
        }
        records.push({
          key: message.key?.toString('utf8') ?? null,
          value: message.value ?? Buffer.alloc(0),
          headers,
          timestamp: Number(message.timestamp),
        });
        const end = remaining.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

/** Decodes Confluent-framed Avro values through the registry. */
export function avroDecoder(
  registryUrl: string,
): (value: Buffer) => Promise<Record<string, unknown>> {
  const serde = new AvroSerde(new SchemaRegistryClient({ url: registryUrl }));
  return async (value) => (await serde.decode(value)) as Record<string, unknown>;
}

export async function deleteTopicsWithPrefix(kafka: KafkaClient, prefix: string): Promise<void> {
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  try {
    await admin.deleteTopicsWithPrefix(prefix);
  } finally {
    await admin.disconnect();
  }
}

/** Removes what a test file created under its environment: its topics and PostgreSQL schema. */
export async function removeTestEnv(t: TestEnv | undefined, kafka?: KafkaClient): Promise<void> {
  if (t === undefined) return;
  await deleteTopicsWithPrefix(kafka ?? testKafka(await configOf(t)), `${t.id}.`);
  await dropPgSchema(t.dbSchema);
}
