import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PLATFORM_CONFIG, serviceNames, type PlatformConfig } from '@platform/config';
import type { KafkaAdmin, KafkaClient } from '@platform/messaging';
import { GATEWAY_KAFKA } from '../core/tokens';
import { readPipelineStats, type OffsetReader, type PipelineStats } from './pipeline-stats';

/** `GET /v1/stats`: the run's pipeline figures, read from Kafka offsets on each call. */
@Injectable()
export class StatsService implements OnModuleDestroy {
  private admin: Promise<KafkaAdmin> | undefined;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    @Inject(GATEWAY_KAFKA) private readonly kafka: KafkaClient,
  ) {}

  async read(): Promise<PipelineStats> {
    const admin = await this.connected();
    const names = serviceNames(process.env);
    const reader: OffsetReader = {
      topicOffsets: async (topic) => {
        try {
          const partitions = await admin.fetchTopicOffsets(topic);
          return new Map(
            partitions.map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]),
          );
        } catch (error) {
          // A topic nobody wrote yet (no late events, no dead letters) counts 0.
          if ((error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return new Map();
          throw error;
        }
      },
      committed: async (groupId) => {
        const topics = await admin.fetchOffsets({ groupId });
        return new Map(
          topics.map((t) => [
            t.topic,
            new Map(
              t.partitions
                .filter((p) => p.offset !== '-1')
                .map((p) => [p.partition, BigInt(p.offset)]),
            ),
          ]),
        );
      },
    };
    return readPipelineStats(
      this.config.model,
      this.config.topics,
      {
        sinkWriter: names.sinkWriterGroupId,
        aggregator: names.aggregatorAppId,
        subscriptions: names.gatewaySubscriptionsGroupId,
      },
      reader,
    );
  }

  async onModuleDestroy(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin !== undefined) await (await admin).disconnect().catch(() => undefined);
  }

  private connected(): Promise<KafkaAdmin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = undefined;
      throw error;
    });
    return this.admin;
  }
}
