import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { load, serviceNames, type PlatformConfig } from '@platform/config';
import { dlqTopic } from '@platform/contracts';
import {
  createKafka,
  DeadLetterPublisher,
  ensureDomainTopics,
  silentSink,
  TopicAdmin,
  topicDefaults,
  type KafkaClient,
} from '@platform/messaging';
import { REPO_ROOT } from './build-service';
import { DEFAULT_IDS, kafkaTopics, plannedTopics, SERVICES, type ServiceIds } from './kafka-topics';

/**
 * The generated KafkaTopics against the local broker: the topics the services' own startup
 * code creates (domain topics, dead-letter topics, the aggregator's internal pair per
 * aggregation) have the names, partitions and configs the KafkaTopics declare; with
 * `KAFKA_CREATE_TOPICS=false` the same code creates nothing and names what is missing.
 */
type KafkaTopicDoc = {
  spec: { topicName: string; partitions: number; config: Record<string, string> };
};

describe('KafkaTopics match the topics the services create', () => {
  const namespace = `kt${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  let config: PlatformConfig;
  let kafka: KafkaClient;
  let admin: TopicAdmin;
  let ids: ServiceIds;

  beforeAll(async () => {
    const env = { ...process.env, NAMESPACE: namespace };
    config = await load({ configDir: join(REPO_ROOT, 'config'), environment: 'test', env });
    const names = serviceNames(env);
    ids = {
      ...DEFAULT_IDS,
      aggregatorAppId: names.aggregatorAppId,
      sinkWriterGroupId: names.sinkWriterGroupId,
    };
    kafka = createKafka(config.kafka, { logLevel: 'nothing', logger: silentSink });
    admin = new TopicAdmin(kafka);
    await admin.connect();
  });

  afterAll(async () => {
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`));
    if (mine.length > 0) await admin.deleteTopics(mine);
    await admin.disconnect();
  });

  it('with KAFKA_CREATE_TOPICS=false, startup fails naming every missing topic and creates none', async () => {
    const operatorOwned = { ...config, kafka: { ...config.kafka, create_topics: false } };
    const error = await ensureDomainTopics(kafka, operatorOwned).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(error?.code).toBe('CONFIG_INVALID');
    expect(error?.message).toContain('KAFKA_CREATE_TOPICS');
    expect(error?.message).toContain(`${namespace}.events.page_view`);
    expect((await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`))).toEqual([]);
  });

  it('same names, partitions and cleanup policies', async () => {
    // What the services run at startup, with the defaults each passes.
    await ensureDomainTopics(kafka, config);
    const dlq = (service: string, partitions?: number) =>
      new DeadLetterPublisher({
        kafka,
        service,
        prefixes: config.topics,
        topicDefaults:
          partitions === undefined
            ? topicDefaults(config.kafka)
            : { ...topicDefaults(config.kafka), partitions },
      });
    for (const publisher of [
      dlq(SERVICES.gateway),
      dlq(SERVICES.aggregator),
      dlq(SERVICES.sinkWriter, 1),
    ]) {
      await publisher.start();
      await publisher.close();
    }
    const planned = plannedTopics(config, ids);
    // The aggregator's internal topics are created by its runner from the same TopicSpecs.
    const internal = planned.filter((t) => t.name.startsWith(`${ids.aggregatorAppId}.`));
    expect(internal.length).toBe(2 * config.model.aggregations.length);
    await admin.ensureTopics(
      internal.map((t) => ({
        name: t.name,
        purpose: t.config['cleanup.policy'] === 'compact' ? 'changelog' : 'events',
        cleanupPolicy: t.config['cleanup.policy'] === 'compact' ? 'compact' : 'delete',
        partitions: t.partitions,
      })),
      topicDefaults(config.kafka),
    );

    const declared = (kafkaTopics(planned) as KafkaTopicDoc[]).map((d) => d.spec);
    const created = await admin.describeTopics(declared.map((d) => d.topicName));
    const actual = created
      .map((t) => ({
        topicName: t.name,
        partitions: t.partitions.length,
        config: { 'cleanup.policy': t.configs['cleanup.policy'] },
      }))
      .sort((a, b) => a.topicName.localeCompare(b.topicName));
    expect(actual).toEqual(
      declared
        .map((d) => ({ topicName: d.topicName, partitions: d.partitions, config: d.config }))
        .sort((a, b) => a.topicName.localeCompare(b.topicName)),
    );
    // Nothing the services made is left undeclared.
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${namespace}.`)).sort();
    expect(mine).toEqual(declared.map((d) => d.topicName).sort());
    expect(mine).toContain(dlqTopic(config.topics, SERVICES.sinkWriter));
    expect(declared.find((d) => d.topicName.endsWith('.changelog'))?.config).toEqual({
      'cleanup.policy': 'compact',
    });
  });

  it('with KAFKA_CREATE_TOPICS=false and the topics declared, startup passes', async () => {
    const operatorOwned = { ...config, kafka: { ...config.kafka, create_topics: false } };
    await expect(ensureDomainTopics(kafka, operatorOwned)).resolves.toMatchObject({ created: [] });
  });
});
