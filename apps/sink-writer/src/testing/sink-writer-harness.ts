// Test support for the integration specs: a unique topic prefix, ClickHouse database and
// PostgreSQL schema per file; the sink-writer in process; producers; row counts.
import { load, type PlatformConfig } from '@platform/config';
import { aggregateTopic, type AggregationSpec } from '@platform/contracts';
import {
  EventProducer,
  TopicAdmin,
  ensureDomainTopics,
  createKafka,
  silentSink,
  type KafkaClient,
  type KafkaProducer,
  consumerLag,
} from '@platform/messaging';
import {
  AvroSerde,
  SchemaRegistryClient,
  generateAggregateSchema,
  toJson,
} from '@platform/schema-registry';
import { ClickHouseSink, PostgresSink, type QueryRow } from '@platform/sink-adapters';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { uniqueName } from '@platform/testing';
import { Registry } from 'prom-client';
import { createApp } from '../bootstrap';

export interface Harness {
  readonly id: string;
  readonly env: Record<string, string>;
  readonly config: PlatformConfig;
  readonly kafka: KafkaClient;
  readonly ch: ClickHouseSink;
  readonly pg: PostgresSink;
  readonly registry: SchemaRegistryClient;
  cleanup(): Promise<void>;
}

export async function createHarness(
  registryUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<Harness> {
  const id = uniqueName('sw');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ENVIRONMENT: 'test',
    PLATFORM__topics__events: `${id}_events`,
    PLATFORM__topics__aggregates: `${id}_aggregates`,
    PLATFORM__topics__dlq: `${id}_dlq`,
    PLATFORM__topics__late: `${id}_late`,
    PLATFORM__clickhouse__database: `${id}_ch`,
    PLATFORM__postgres__schema: `${id}_pg`,
    PLATFORM__schema_registry__url: registryUrl,
    SINK_WRITER_GROUP_ID: `${id}-sink-writer`,
    SINK_WRITER_MAX_WAIT_MS: '200',
    SINK_WRITER_LAG_INTERVAL_MS: '500',
    ...extraEnv,
  };
  const config = await load({ environment: 'test', env });
  const kafka = createKafka(config.kafka, { clientId: id, logger: silentSink, logLevel: 'error' });
  const ch = new ClickHouseSink({ settings: config.clickhouse });
  const pg = new PostgresSink({ settings: config.postgres });
  await ch.connect();
  await pg.connect();
  const registry = new SchemaRegistryClient({ url: registryUrl });
  // The domain's topics exist before anything is produced (the broker creates none itself).
  await ensureDomainTopics(kafka, config);
  return {
    id,
    env,
    config,
    kafka,
    ch,
    pg,
    registry,
    cleanup: async () => {
      await ch.query(`DROP DATABASE IF EXISTS \`${config.clickhouse.database}\``);
      await pg.query(`DROP SCHEMA IF EXISTS "${config.postgres.schema}" CASCADE`);
      await ch.close();
      await pg.close();
      const admin = new TopicAdmin(kafka);
      await admin.connect();
      await admin.deleteTopicsWithPrefix(id);
      await admin.disconnect();
    },
  };
}

/** The sink-writer, in process, with its own metrics registry. */
export async function startSinkWriter(
  h: Harness,
  env: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const merged = { ...h.env, ...env };
  const app = await createApp({
    config: { environment: 'test', env: merged },
    env: merged,
    registry: new Registry(),
  });
  await app.listen(0, '127.0.0.1');
  return app;
}

export async function startEventProducer(h: Harness): Promise<EventProducer> {
  const producer = new EventProducer({
    kafka: h.kafka,
    model: h.config.model,
    prefixes: h.config.topics,
    registry: h.registry,
  });
  await producer.start();
  return producer;
}

/** Produces aggregate records (Avro, registered) straight to `<aggregates>.<name>`. */
export class AggregateProducer {
  private readonly producer: KafkaProducer;
  private readonly serde: AvroSerde;
  private schemaId = 0;
  readonly topic: string;
  private readonly schema: object;

  constructor(
    private readonly h: Harness,
    aggregation: AggregationSpec,
  ) {
    this.producer = h.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.serde = new AvroSerde(h.registry);
    this.topic = aggregateTopic(h.config.topics, aggregation.name);
    this.schema = generateAggregateSchema(aggregation, h.config.model);
  }

  async start(): Promise<void> {
    this.schemaId = await this.h.registry.register(
      `${this.topic}-value`,
      toJson(this.schema as never),
    );
    await this.producer.connect();
  }

  async send(
    values: readonly { value: Record<string, unknown>; headers?: Record<string, string> }[],
  ): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: values.map((v) => ({
        key: `${String(v.value['window_start'])}|${String(v.value['device_type'] ?? '')}`,
        value: this.serde.encode(this.schemaId, this.schema, v.value),
        ...(v.headers ? { headers: v.headers } : {}),
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

export async function chRows(h: Harness, sql: string): Promise<QueryRow[]> {
  return h.ch.query(sql.replaceAll('$db', `\`${h.config.clickhouse.database}\``));
}

export async function pgRows(h: Harness, sql: string): Promise<QueryRow[]> {
  return h.pg.query(sql.replaceAll('$schema', `"${h.config.postgres.schema}"`));
}

/** True once `groupId` has committed every record of `topics` (nothing left to write). */
export async function caughtUp(
  h: Harness,
  groupId: string,
  topics: readonly string[],
): Promise<boolean> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    return (await consumerLag(admin, groupId, topics)) === 0;
  } finally {
    await admin.disconnect();
  }
}
