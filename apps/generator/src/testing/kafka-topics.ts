// Test support only: what the integration specs read back from Kafka, and their clean-up.
import { load } from '@platform/config';
import { createKafka, silentSink, TopicAdmin } from '@platform/messaging';

async function withAdmin<T>(
  env: NodeJS.ProcessEnv,
  use: (admin: TopicAdmin) => Promise<T>,
): Promise<T> {
  const config = await load({ environment: 'test', env: { ...process.env, ...env } });
  const admin = new TopicAdmin(
    createKafka(config.kafka, { logLevel: 'nothing', logger: silentSink }),
  );
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Records in each topic: high - low watermarks summed over partitions. The generator and
 * the gateway produce idempotently without transactions, so one offset is one record.
 */
export function recordCounts(
  env: NodeJS.ProcessEnv,
  topics: readonly string[],
): Promise<Record<string, number>> {
  return withAdmin(env, async (admin) => {
    const counts: Record<string, number> = {};
    for (const topic of topics) {
      const offsets = await admin.topicOffsets(topic);
      counts[topic] = offsets.reduce((sum, p) => sum + Number(p.high - p.low), 0);
    }
    return counts;
  });
}

/** Deletes every topic whose name starts with `prefix`. */
export function deleteTopicsWithPrefix(env: NodeJS.ProcessEnv, prefix: string): Promise<void> {
  return withAdmin(env, (admin) => admin.deleteTopicsWithPrefix(prefix));
}
