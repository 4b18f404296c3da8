import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { load, serviceNames, type PlatformConfig } from '@platform/config';
import { createKafka, silentSink, TopicAdmin } from '@platform/messaging';
import {
  dropClickHouseDatabase,
  dropPgSchema,
  eventually,
  startSchemaRegistry,
  startService,
  type RegistryProcess,
  type ServiceProcess,
} from '@platform/testing';
import { REPO_ROOT } from './build-service';
import { DEFAULT_IDS, kafkaTopics, plannedTopics, type ServiceIds } from './kafka-topics';

/**
 * The services themselves, started from their entry points against the local stack in a
 * namespace of their own, create their topics; those are exactly the generated KafkaTopics:
 * the same names, partition counts and cleanup policies, and none besides.
 */
type KafkaTopicSpec = {
  topicName: string;
  partitions: number;
  replicas: number;
  config: Record<string, string>;
};

const namespace = `st${randomUUID().replace(/-/g, '').slice(0, 8)}`;
const env = { ENVIRONMENT: 'test', NAMESPACE: namespace };
const APPS = ['ingestion-gateway', 'sink-writer', 'aggregator'] as const;

let config: PlatformConfig;
let ids: ServiceIds;
let admin: TopicAdmin;
let registry: RegistryProcess | undefined;
const services: ServiceProcess[] = [];

const mine = async (): Promise<string[]> =>
  (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`)).sort();

beforeAll(async () => {
  config = await load({
    configDir: join(REPO_ROOT, 'config'),
    environment: 'test',
    env: { ...process.env, ...env },
  });
  const names = serviceNames({ ...process.env, ...env });
  ids = { ...DEFAULT_IDS, aggregatorAppId: names.aggregatorAppId };
  admin = new TopicAdmin(createKafka(config.kafka, { logLevel: 'nothing', logger: silentSink }));
  await admin.connect();
  registry = await startSchemaRegistry(env);
  for (const app of APPS) {
    services.push(
      await startService({
        entry: `apps/${app}/src/main.ts`,
        env: { ...env, PLATFORM__schema_registry__url: registry.url },
        readyTimeoutMs: 180_000,
      }),
    );
  }
}, 600_000);

afterAll(async () => {
  for (const s of services) await s.stop(40_000);
  await registry?.stop();
  const topics = await mine();
  if (topics.length > 0) await admin.deleteTopics(topics);
  await admin.disconnect();
  await dropPgSchema(`${namespace}_ingestion_gateway`);
  await dropPgSchema(`${namespace}_platform`);
  await dropClickHouseDatabase(`${namespace}_platform`).catch(() => undefined);
}, 120_000);

it('the topics the gateway, sink-writer and aggregator create are the KafkaTopics', async () => {
  const declared = (kafkaTopics(plannedTopics(config, ids)) as { spec: KafkaTopicSpec }[])
    .map((d) => d.spec)
    .sort((a, b) => a.topicName.localeCompare(b.topicName));
  const names = declared.map((d) => d.topicName);
  // Topic creation is part of each service's start; wait until all are there.
  await eventually(async () => (await mine()).length >= names.length, { timeoutMs: 120_000 });
  expect(await mine()).toEqual(names);

  const created = await admin.describeTopics(names);
  expect(
    created
      .map((t) => ({
        topicName: t.name,
        partitions: t.partitions.length,
        replicas: t.partitions[0]?.replicas.length,
        config: { 'cleanup.policy': t.configs['cleanup.policy'] },
      }))
      .sort((a, b) => a.topicName.localeCompare(b.topicName)),
  ).toEqual(declared);
}, 240_000);

it('with KAFKA_CREATE_TOPICS=false a service stops at start naming the missing topic', async () => {
  const fresh = `st${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const error = await startService({
    entry: 'apps/ingestion-gateway/src/main.ts',
    env: {
      ENVIRONMENT: 'test',
      NAMESPACE: fresh,
      KAFKA_CREATE_TOPICS: 'false',
      PLATFORM__schema_registry__url: registry?.url,
    },
    readyTimeoutMs: 120_000,
  }).then(
    async (s) => {
      await s.stop();
      return undefined;
    },
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  await dropPgSchema(`${fresh}_ingestion_gateway`);
  expect(error).toMatch(/kafka\.create_topics is false \(KAFKA_CREATE_TOPICS\)/);
  expect(error).toContain(`${fresh}.events.page_view`);
  expect((await admin.listTopics()).filter((t) => t.startsWith(`${fresh}.`))).toEqual([]);
}, 180_000);

it('with KAFKA_CREATE_TOPICS=false and the topics there, a service starts', async () => {
  const sinkWriter = await startService({
    entry: 'apps/sink-writer/src/main.ts',
    env: {
      ...env,
      KAFKA_CREATE_TOPICS: 'false',
      PLATFORM__schema_registry__url: registry?.url,
    },
    readyTimeoutMs: 120_000,
  });
  await sinkWriter.stop(40_000);
}, 180_000);
