import type { TopicSpec } from '@platform/contracts';
import {
  ConfigResourceTypes,
  type DescribeConfigResponse,
  type ITopicConfig,
  type ITopicMetadata,
} from 'kafkajs';
import { MessagingError } from './messaging.error';
import { TopicAdmin, toTopicConfig, type TopicAdminClient } from './topic-admin';

/** An in-memory stand-in for the kafkajs admin: enough broker behaviour for the wrapper's logic. */
class FakeAdmin implements TopicAdminClient {
  readonly topics = new Map<string, ITopicConfig>();
  readonly createCalls: ITopicConfig[][] = [];
  /** Topics that "another client" creates just before our CreateTopics lands. */
  racing: string[] = [];

  connect = async (): Promise<void> => undefined;
  disconnect = async (): Promise<void> => undefined;
  listTopics = async (): Promise<string[]> => [...this.topics.keys()];

  createTopics = async (options: { topics: ITopicConfig[] }): Promise<boolean> => {
    this.createCalls.push(options.topics);
    for (const name of this.racing) this.topics.set(name, { topic: name, numPartitions: 1 });
    let clash = false;
    for (const t of options.topics) {
      if (this.topics.has(t.topic)) clash = true;
      else this.topics.set(t.topic, t);
    }
    return !clash;
  };

  fetchTopicOffsets = async (topic: string) =>
    Array.from({ length: this.topics.get(topic)?.numPartitions ?? 0 }, (_, partition) => ({
      partition,
      offset: '10',
      high: '10',
      low: '2',
    })).reverse();

  deleteTopics = async (options: { topics: string[] }): Promise<void> => {
    for (const t of options.topics) this.topics.delete(t);
  };

  fetchTopicMetadata = async (options?: {
    topics: string[];
  }): Promise<{ topics: ITopicMetadata[] }> => ({
    topics: (options?.topics ?? []).map((name) => ({
      name,
      partitions: Array.from({ length: this.topics.get(name)?.numPartitions ?? 0 }, (_, i) => ({
        partitionErrorCode: 0,
        partitionId: i,
        leader: 1,
        replicas: [1],
        isr: [1],
      })).reverse(),
    })),
  });

  describeConfigs = async (configs: {
    resources: { type: ConfigResourceTypes; name: string }[];
  }): Promise<DescribeConfigResponse> => ({
    throttleTime: 0,
    resources: configs.resources.map((r) => ({
      resourceName: r.name,
      resourceType: r.type,
      errorCode: 0,
      errorMessage: '',
      configEntries: (this.topics.get(r.name)?.configEntries ?? []).map((e) => ({
        configName: e.name,
        configValue: e.value,
        isDefault: false,
        configSource: 1,
        isSensitive: false,
        readOnly: false,
        configSynonyms: [],
      })),
    })),
  });
}

const specs: TopicSpec[] = [
  { name: 'events.page_view', purpose: 'events', cleanupPolicy: 'delete' },
  { name: 'changelog.agg', purpose: 'changelog', cleanupPolicy: 'compact', partitions: 6 },
];
const defaults = { partitions: 3, replicationFactor: 1 };

function setup(): { fake: FakeAdmin; sut: TopicAdmin } {
  const fake = new FakeAdmin();
  return { fake, sut: new TopicAdmin({ admin: () => fake }) };
}

describe(toTopicConfig.name, () => {
  it('applies default partitions and replication and maps the cleanup policy', () => {
    expect(toTopicConfig(specs[0] as TopicSpec, defaults)).toEqual({
      topic: 'events.page_view',
      numPartitions: 3,
      replicationFactor: 1,
      configEntries: [{ name: 'cleanup.policy', value: 'delete' }],
    });
    expect(toTopicConfig(specs[1] as TopicSpec, defaults)).toMatchObject({
      numPartitions: 6,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    });
  });
});

describe(TopicAdmin.name, () => {
  it('creates missing topics in one call and reports them as created', async () => {
    const { fake, sut } = setup();
    await expect(sut.ensureTopics(specs, defaults)).resolves.toEqual({
      created: ['events.page_view', 'changelog.agg'],
      existing: [],
    });
    expect(fake.createCalls).toHaveLength(1);
  });

  it('reports topics as existing on the second call without creating anything', async () => {
    const { fake, sut } = setup();
    await sut.ensureTopics(specs, defaults);
    await expect(sut.ensureTopics(specs, defaults)).resolves.toEqual({
      created: [],
      existing: ['events.page_view', 'changelog.agg'],
    });
    expect(fake.createCalls).toHaveLength(1);
  });

  it('creates only the topics that are missing', async () => {
    const { fake, sut } = setup();
    await sut.ensureTopics([specs[0] as TopicSpec], defaults);
    await expect(sut.ensureTopics(specs, defaults)).resolves.toEqual({
      created: ['changelog.agg'],
      existing: ['events.page_view'],
    });
    expect(fake.createCalls[1]?.map((t) => t.topic)).toEqual(['changelog.agg']);
  });

  it('reports a batch that lost a creation race as existing', async () => {
    const { fake, sut } = setup();
    fake.racing = ['events.page_view'];
    await expect(sut.ensureTopics(specs, defaults)).resolves.toEqual({
      created: [],
      existing: ['events.page_view', 'changelog.agg'],
    });
  });

  it('refuses a plan that names a topic twice', async () => {
    const { sut } = setup();
    await expect(
      sut.ensureTopics([specs[0] as TopicSpec, specs[0] as TopicSpec], defaults),
    ).rejects.toThrow(MessagingError);
  });

  it('describes partitions in id order and the topic configs', async () => {
    const { sut } = setup();
    await sut.ensureTopics(specs, defaults);
    const [described] = await sut.describeTopics(['changelog.agg']);
    expect(described?.partitions.map((p) => p.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(described?.partitions[0]).toEqual({ id: 0, leader: 1, replicas: [1], isr: [1] });
    expect(described?.configs['cleanup.policy']).toBe('compact');
  });

  it('reports low and high offsets per partition, in partition order, as bigints', async () => {
    const { sut } = setup();
    await sut.ensureTopics([specs[0] as TopicSpec], defaults);
    await expect(sut.topicOffsets('events.page_view')).resolves.toEqual([
      { partition: 0, low: 2n, high: 10n },
      { partition: 1, low: 2n, high: 10n },
      { partition: 2, low: 2n, high: 10n },
    ]);
  });

  it('deletes only topics that exist', async () => {
    const { fake, sut } = setup();
    await sut.ensureTopics(specs, defaults);
    await sut.deleteTopics(['events.page_view', 'never.there']);
    expect([...fake.topics.keys()]).toEqual(['changelog.agg']);
  });

  it('deletes the topics with a prefix, and only those', async () => {
    const { fake, sut } = setup();
    await sut.ensureTopics(specs, defaults);
    await sut.deleteTopicsWithPrefix('events.');
    expect([...fake.topics.keys()]).toEqual(['changelog.agg']);
  });

  it('wraps admin failures in MessagingError', async () => {
    const { fake, sut } = setup();
    fake.listTopics = async () => {
      throw new Error('socket hang up');
    };
    await expect(sut.listTopics()).rejects.toMatchObject({
      name: 'MessagingError',
      code: 'UNKNOWN',
    });
  });
});
