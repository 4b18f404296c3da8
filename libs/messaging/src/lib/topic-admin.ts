import type { TopicSpec } from '@platform/contracts';
import { TOPIC_RESOURCE, type KafkaAdmin, type KafkaClient, type NewTopic } from './kafka-port';
import { MessagingError, toMessagingError } from './messaging.error';

export interface TopicDefaults {
  readonly partitions: number;
  readonly replicationFactor: number;
  /**
   * `false` (`kafka.create_topics`, `KAFKA_CREATE_TOPICS=false`): an operator owns the topics;
   * {@link TopicAdmin.ensureTopics} creates none and fails naming those missing. Default true.
   */
  readonly create?: boolean;
}

/** The error of a missing topic that the service may not create itself. */
function missingTopicsError(names: readonly string[]): MessagingError {
  return new MessagingError(
    'CONFIG_INVALID',
    `kafka.create_topics is false (KAFKA_CREATE_TOPICS) and ${names.length === 1 ? 'topic' : 'topics'} ` +
      `${names.join(', ')} ${names.length === 1 ? 'does' : 'do'} not exist: declare ${names.length === 1 ? 'it' : 'them'} ` +
      `(KafkaTopic resources: npm run deploy:topics) or let the service create topics`,
    { retriable: false },
  );
}

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

export interface PartitionDescription {
  readonly id: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicDescription {
  readonly name: string;
  readonly partitions: readonly PartitionDescription[];
  /** Effective topic configs as the broker reports them, e.g. `cleanup.policy`. */
  readonly configs: Readonly<Record<string, string>>;
}

export interface TopicAdminOptions {
  /** Broker-side timeout of CreateTopics/DeleteTopics and our wait for leaders. Default 30 s. */
  readonly timeoutMs?: number;
}

/** The part of the admin client this class uses; a typed seam for unit tests. */
export type TopicAdminClient = Pick<
  KafkaAdmin,
  | 'connect'
  | 'disconnect'
  | 'listTopics'
  | 'createTopics'
  | 'deleteTopics'
  | 'fetchTopicMetadata'
  | 'describeConfigs'
  | 'fetchTopicOffsets'
>;

export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset. */
  readonly low: bigint;
  /** High watermark: the offset the next record will get (includes transaction markers). */
  readonly high: bigint;
}

/** Spec plus defaults → the CreateTopics entry the client sends. */
export function toTopicConfig(spec: TopicSpec, defaults: TopicDefaults): NewTopic {
  return {
    topic: spec.name,
    numPartitions: spec.partitions ?? defaults.partitions,
    replicationFactor: defaults.replicationFactor,
    configEntries: [{ name: 'cleanup.policy', value: spec.cleanupPolicy }],
  };
}

/**
 * Topic administration over one admin client. Call `connect()` first and
 * `disconnect()` when done; every failure surfaces as a `MessagingError`.
 */
export class TopicAdmin {
  private readonly admin: TopicAdminClient;
  private readonly timeoutMs: number;

  constructor(
    kafka: { admin(): TopicAdminClient } | Pick<KafkaClient, 'admin'>,
    options: TopicAdminOptions = {},
  ) {
    this.admin = kafka.admin();
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async connect(): Promise<void> {
    await this.call('admin.connect', () => this.admin.connect());
  }

  async disconnect(): Promise<void> {
    await this.call('admin.disconnect', () => this.admin.disconnect());
  }

  /**
   * Creates the topics that do not exist yet, in one CreateTopics call, and waits until
   * every created partition has a leader. Idempotent: topics already there are reported
   * in `existing` and left untouched (their partitions and configs are not altered).
   *
   * If another client creates one of them between our listing and our create, kafkajs
   * only tells us that some topic already existed, not which; then the whole batch is
   * reported as `existing`, so `created` never claims a topic someone else made.
   *
   * With `defaults.create` false nothing is created: a missing topic is a `CONFIG_INVALID`
   * error naming every one missing.
   */
  async ensureTopics(
    specs: readonly TopicSpec[],
    defaults: TopicDefaults,
  ): Promise<EnsureTopicsResult> {
    const names = specs.map((s) => s.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) {
      throw new MessagingError(
        'CONFIG_INVALID',
        `ensureTopics: topic ${duplicate} is listed twice`,
        { retriable: false },
      );
    }
    if (specs.length === 0) return { created: [], existing: [] };

    const present = new Set(await this.listTopics());
    const missing = specs.filter((s) => !present.has(s.name));
    const existing = specs.filter((s) => present.has(s.name)).map((s) => s.name);
    if (missing.length === 0) return { created: [], existing };
    if (defaults.create === false) throw missingTopicsError(missing.map((s) => s.name));

    const createdAll = await this.call(
      `createTopics(${missing.map((s) => s.name).join(', ')})`,
      async () => {
        try {
          return await this.admin.createTopics({
            topics: missing.map((s) => toTopicConfig(s, defaults)),
            waitForLeaders: true,
            timeout: this.timeoutMs,
          });
        } catch (error) {
          // On a busy broker kafkajs' leader wait can give up on metadata that does not
          // list the new partitions yet, although they were created: wait for them here.
          const e = error as { type?: unknown; originalError?: { type?: unknown } };
          const type = e.type ?? e.originalError?.type;
          if (type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
          await this.waitForLeaders(missing.map((s) => s.name));
          return true;
        }
      },
    );
    if (createdAll) return { created: missing.map((s) => s.name), existing };

    // Lost a race (TOPIC_ALREADY_EXISTS for some of them); kafkajs skips its leader wait then.
    await this.waitForLeaders(missing.map((s) => s.name));
    return { created: [], existing: names };
  }

  async listTopics(): Promise<string[]> {
    return this.call('listTopics', () => this.admin.listTopics());
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    if (names.length === 0) return [];
    const label = `describeTopics(${names.join(', ')})`;
    const metadata = await this.call(label, () =>
      this.admin.fetchTopicMetadata({ topics: [...names] }),
    );
    const configs = await this.call(label, () =>
      this.admin.describeConfigs({
        resources: names.map((name) => ({ type: TOPIC_RESOURCE, name })),
        includeSynonyms: false,
      }),
    );
    const configsByTopic = new Map<string, Record<string, string>>();
    for (const resource of configs.resources) {
      if (resource.errorCode !== 0) {
        throw new MessagingError(
          'DESCRIBE_CONFIGS_FAILED',
          `${label}: ${resource.resourceName}: ${resource.errorMessage || `error code ${resource.errorCode}`}`,
          { retriable: false, kafkaCode: resource.errorCode },
        );
      }
      const entries: Record<string, string> = {};
      for (const entry of resource.configEntries) entries[entry.configName] = entry.configValue;
      configsByTopic.set(resource.resourceName, entries);
    }
    const byName = new Map(metadata.topics.map((t) => [t.name, t]));
    return names.map((name) => {
      const topic = byName.get(name);
      if (topic === undefined) {
        throw new MessagingError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          `${label}: no metadata for ${name}`,
          { retriable: false },
        );
      }
      return {
        name,
        partitions: [...topic.partitions]
          .sort((a, b) => a.partitionId - b.partitionId)
          .map((p) => ({
            id: p.partitionId,
            leader: p.leader,
            replicas: [...p.replicas],
            isr: [...p.isr],
          })),
        configs: configsByTopic.get(name) ?? {},
      };
    });
  }

  /** Log start and end offsets of every partition, in partition order. */
  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.call(`topicOffsets(${topic})`, () =>
      this.admin.fetchTopicOffsets(topic),
    );
    return offsets
      .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  }

  /** Deletes topics; names that do not exist are ignored. Meant for tests and teardown. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const present = new Set(await this.listTopics());
    const targets = names.filter((n) => present.has(n));
    if (targets.length === 0) return;
    await this.call(`deleteTopics(${targets.join(', ')})`, () =>
      this.admin.deleteTopics({ topics: targets, timeout: this.timeoutMs }),
    );
  }

  /** Deletes every topic whose name starts with `prefix` (a test's or a run's own topics). */
  async deleteTopicsWithPrefix(prefix: string): Promise<void> {
    await this.deleteTopics((await this.listTopics()).filter((t) => t.startsWith(prefix)));
  }

  private async waitForLeaders(names: readonly string[]): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      try {
        const { topics } = await this.admin.fetchTopicMetadata({ topics: [...names] });
        const ready =
          topics.length === names.length &&
          topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        if (ready) return;
      } catch (error) {
        const wrapped = toMessagingError(error, 'waitForLeaders');
        if (!wrapped.retriable) throw wrapped;
      }
      if (Date.now() >= deadline) {
        throw new MessagingError(
          'TOPIC_LEADERS_TIMEOUT',
          `no leader for ${names.join(', ')} within ${this.timeoutMs} ms`,
          {
            retriable: true,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async call<T>(label: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toMessagingError(error, label);
    }
  }
}
