import type { KafkaSettings } from '@platform/config';
import {
  topicPlan,
  type DomainModel,
  type TopicPrefixes,
  type TopicSpec,
} from '@platform/contracts';
import type { KafkaClient } from './kafka-port';
import { TopicAdmin, type EnsureTopicsResult, type TopicDefaults } from './topic-admin';

type TopicSettings = Pick<KafkaSettings, 'default_partitions' | 'replication_factor'> &
  Partial<Pick<KafkaSettings, 'create_topics'>>;

export interface DomainTopicsConfig {
  readonly model: DomainModel;
  readonly topics: TopicPrefixes;
  readonly kafka: TopicSettings;
}

/**
 * Partitions and replication of a new topic, from `kafka.default_partitions` and
 * `replication_factor`; whether to create missing topics at all, from `kafka.create_topics`.
 */
export function topicDefaults(settings: TopicSettings): TopicDefaults {
  return {
    partitions: settings.default_partitions,
    replicationFactor: settings.replication_factor,
    create: settings.create_topics ?? true,
  };
}

/**
 * Creates those of `specs` that are missing, with the configured partitions and replication,
 * over one admin connection; existing topics are kept as they are. The broker creates no
 * topic itself, so every writer calls this before producing.
 */
export async function ensureTopicsExist(
  kafka: Pick<KafkaClient, 'admin'>,
  specs: readonly TopicSpec[],
  settings: TopicSettings,
): Promise<EnsureTopicsResult> {
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  try {
    return await admin.ensureTopics(specs, topicDefaults(settings));
  } finally {
    await admin.disconnect();
  }
}

/** The domain's topics (events, aggregates, late events, dead letters): {@link ensureTopicsExist}. */
export function ensureDomainTopics(
  kafka: Pick<KafkaClient, 'admin'>,
  config: DomainTopicsConfig,
): Promise<EnsureTopicsResult> {
  return ensureTopicsExist(kafka, topicPlan(config.model, config.topics), config.kafka);
}
