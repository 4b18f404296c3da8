import {
  DEFAULT_INDICATOR_TIMEOUT_MS,
  type HealthIndicatorPort,
  type IndicatorOptions,
} from '@platform/observability';
import { Kafka } from 'kafkajs';
import { kafkaConfigOf } from './kafka-client';
import type { KafkaAdmin, KafkaClient } from './kafka-port';
import { toMessagingError } from './messaging.error';

export interface KafkaHealth {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Number of brokers in the cluster metadata. */
  readonly brokers?: number;
  readonly controller?: number | null;
  readonly error?: string;
}

type ClusterDescriber = Pick<KafkaAdmin, 'describeCluster'>;
type AdminFactory = Pick<KafkaClient, 'admin'>;

function isAdmin(target: AdminFactory | ClusterDescriber): target is ClusterDescriber {
  return typeof (target as Partial<ClusterDescriber>).describeCluster === 'function';
}

// `kafka.admin({ retry })` only sets the admin's own retries: its connection (the cluster)
// keeps the client-wide policy, so a probe of a dead broker would retry with backoff for
// minutes. A probe reports instead; it runs on a twin of the client without retries.
const probeClients = new WeakMap<object, AdminFactory>();

function probeClientFor(target: AdminFactory): AdminFactory {
  // Only a kafkajs client (the adapter's) has a config to copy.
  if (!(target instanceof Kafka)) return target;
  const cached = probeClients.get(target);
  if (cached !== undefined) return cached;
  const config = kafkaConfigOf(target);
  if (config === undefined) return target; // not built by createKafka: best effort with its own retries
  const probe = new Kafka({ ...config, retry: { ...config.retry, retries: 0 } });
  probeClients.set(target, probe);
  return probe;
}

const TIMED_OUT = Symbol('timed out');

/**
 * Probes the cluster with DescribeCluster and never waits longer than `timeoutMs`.
 *
 * Given a client from `createKafka`, it opens a short-lived admin on a retry-free twin of
 * that client and closes it afterwards, also when the probe timed out. Given an already
 * connected admin client, it only calls describeCluster on it.
 */
export async function kafkaHealth(
  target: AdminFactory | ClusterDescriber,
  timeoutMs = 2_000,
): Promise<KafkaHealth> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 10) / 10;

  let owned: KafkaAdmin | undefined;
  const probe = (async () => {
    if (isAdmin(target)) return target.describeCluster();
    owned = probeClientFor(target).admin({ retry: { retries: 0 } });
    await owned.connect();
    return owned.describeCluster();
  })();

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });

  try {
    const result = await Promise.race([probe, timeout]);
    if (result === TIMED_OUT) {
      // Closing the sockets now makes a hung request fail instead of lingering until requestTimeout.
      void owned?.disconnect().catch(() => undefined);
      return {
        ok: false,
        latencyMs: elapsed(),
        error: `HEALTH_TIMEOUT: no answer from Kafka within ${timeoutMs} ms`,
      };
    }
    return {
      ok: true,
      latencyMs: elapsed(),
      brokers: result.brokers.length,
      controller: result.controller,
    };
  } catch (error) {
    const wrapped = toMessagingError(error);
    return { ok: false, latencyMs: elapsed(), error: `${wrapped.code}: ${wrapped.message}` };
  } finally {
    clearTimeout(timer);
    // Close our admin once the probe settles, even if we stopped waiting for it, so a
    // connect still in flight cannot leave a socket behind.
    void probe
      .catch(() => undefined)
      .then(() => owned?.disconnect())
      .catch(() => undefined);
  }
}

/** The readiness check of a Kafka client: {@link kafkaHealth} as a `/readyz` indicator. */
export function kafkaIndicator(
  kafka: AdminFactory | ClusterDescriber,
  options: IndicatorOptions = {},
): HealthIndicatorPort {
  const timeoutMs = options.timeoutMs ?? DEFAULT_INDICATOR_TIMEOUT_MS;
  return {
    name: options.name ?? 'kafka',
    // kafkaHealth bounds itself; the outer timeout is a little longer so its message wins.
    timeoutMs: timeoutMs + 250,
    check: async () => {
      const health = await kafkaHealth(kafka, timeoutMs);
      if (!health.ok) throw new Error(health.error ?? 'Kafka is not reachable');
      return health.brokers === undefined ? {} : { brokers: health.brokers };
    },
  };
}
