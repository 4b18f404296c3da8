import type { KafkaSettings } from '@platform/config';
import { topicPlan, type DomainModel, type TopicPrefixes } from '@platform/contracts';
import type { Kafka } from 'kafkajs';
import { TopicAdmin, type EnsureTopicsResult } from './topic-admin';

export interface DomainTopicsConfig {
  readonly model: DomainModel;
  readonly topics: TopicPrefixes;
  readonly kafka: Pick<KafkaSettings, 'default_partitions' | 'replication_factor'>;
}

/**
 * Creates the domain's topics (events, aggregates, late events, dead letters) that are
 * missing, with the configured partitions and replication; existing topics are kept as
 * they are. The broker creates no topic itself, so producers call this first.
 */
export async function ensureDomainTopics(
  kafka: Kafka,
  config: DomainTopicsConfig,
): Promise<EnsureTopicsResult> {
  const admin = new TopicAdmin(kafka);
  await admin.connect();
  try {
    return await admin.ensureTopics(topicPlan(config.model, config.topics), {
      partitions: config.kafka.default_partitions,
      replicationFactor: config.kafka.replication_factor,
    });
  } finally {
    await admin.disconnect();
  }
}
