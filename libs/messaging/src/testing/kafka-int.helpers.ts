// Shared by this lib's *.int-spec.ts files only; not part of the public door.
import { randomUUID } from 'node:crypto';
import { load, type KafkaSettings } from '@platform/config';
import type { TopicSpec } from '@platform/contracts';
import type { KafkaClient } from '../lib/kafka-port';
import { createKafka } from '../lib/kafka-client';
import { jsonLineSink } from '../lib/kafka-logger';

/** Kafka settings exactly as a service gets them: the `test` environment of config/. */
export async function intKafkaSettings(): Promise<KafkaSettings> {
  return (await load({ environment: 'test' })).kafka;
}

/** A name no other test (or earlier run) uses: `<prefix>.<uuid>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 12)}`;
}

export function intKafka(settings: KafkaSettings, clientId: string): KafkaClient {
  // Errors only: rebalance chatter at info level would drown the test output.
  return createKafka(settings, { clientId, logLevel: 'error', logger: jsonLineSink() });
}

export function eventsTopic(name: string, partitions?: number): TopicSpec {
  return {
    name,
    purpose: 'events',
    cleanupPolicy: 'delete',
    ...(partitions === undefined ? {} : { partitions }),
  };
}

/** A promise with its resolvers, for "done" conditions reached inside consumer callbacks. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Fails with `message` if `promise` has not settled within `ms`; the timer never outlives it. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${message} (after ${ms} ms)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
