import type { KafkaAdmin, KafkaClient } from '../kafka-port';

/** The key of the marker a restore writes, in its fencing transaction, to each changelog partition it reads. */
export const RESTORE_MARKER_KEY = 'restore-marker';

export interface ChangelogPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface ReadChangelogOptions {
  /** The value of the marker this restore wrote (in its fencing transaction) to each partition. */
  readonly marker: string;
  /** A consumer group of its own is created and deleted again. */
  readonly groupId: string;
  readonly timeoutMs: number;
}

/** The key of a partition in the map {@link readChangelog} returns. */
export const changelogPartitionKey = (topic: string, partition: number): string =>
  `${topic}\u0000${partition}`;

/**
 * Reads changelog partitions from their start up to the marker `options.marker` (read
 * committed, so only what committed transactions wrote), and returns each partition's last
 * value per key, in the order of those last writes (`null`: a deletion). Markers of earlier
 * restores are skipped. Fails if a marker is not reached within `timeoutMs`.
 */
export async function readChangelog(
  kafka: KafkaClient,
  admin: KafkaAdmin,
  partitions: readonly ChangelogPartition[],
  options: ReadChangelogOptions,
): Promise<Map<string, Map<string, string | null>>> {
  const wanted = new Set(partitions.map((p) => changelogPartitionKey(p.topic, p.partition)));
  const entries = new Map<string, Map<string, string | null>>(
    [...wanted].map((k) => [k, new Map()]),
  );
  if (wanted.size === 0) return entries;
  const finished = new Set<string>();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const consumer = kafka.consumer({
    groupId: options.groupId,
    readUncommitted: false,
    maxBytesPerPartition: 16 * 1_048_576,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({
      topics: [...new Set(partitions.map((p) => p.topic))],
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const k = changelogPartitionKey(batch.topic, batch.partition);
        const map = entries.get(k);
        if (map === undefined || finished.has(k)) return;
        for (const m of batch.messages) {
          const key = m.key?.toString('utf8') ?? '';
          const value = m.value === null ? null : m.value.toString('utf8');
          if (key === RESTORE_MARKER_KEY) {
            if (value === options.marker) {
              finished.add(k);
              break;
            }
            continue;
          }
          map.delete(key); // keep the order of last writes
          map.set(key, value);
        }
        if (finished.size === wanted.size) resolveDone();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `restore did not reach its marker within ${options.timeoutMs} ms (${finished.size} of ${wanted.size} partitions)`,
            ),
          ),
        options.timeoutMs,
      );
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([options.groupId]).catch(() => undefined);
  }
  return entries;
}
