// The aggregator's own settings (the platform config gives Kafka, topics and the registry).
import { hostname } from 'node:os';
import { serviceNames } from '@platform/config';

export interface AggregatorSettings {
  /** Consumer group id and prefix of internal topics and transactional ids. */
  readonly appId: string;
  /** Names this process in logs. */
  readonly instanceId: string;
  /** Exactly-once (default). `false`: at-least-once, for the benchmark only. */
  readonly transactions: boolean;
  readonly sessionTimeoutMs: number;
  /** Partitions of the repartition and changelog topics; default: those of `events.<type>`. */
  readonly repartitionPartitions: number | null;
  readonly restoreTimeoutMs: number;
  readonly maxBytesPerPartition: number;
  /** Partitions (tasks) processed at once by one instance. */
  readonly concurrency: number;
  /** Only these aggregations (all when null). */
  readonly aggregations: readonly string[] | null;
  /**
   * `run` mode: after this long without a record from any source partition, the watermark
   * follows the wall clock (minus out-of-orderness), and a partition silent this long stops
   * holding the others back. Null: off (the watermark moves only with events).
   */
  readonly idleTimeoutMs: number | null;
  /** Broker-side timeout of an open transaction; at most the broker's `transaction.max.timeout.ms`. */
  readonly transactionTimeoutMs: number;
  /**
   * Fault injection for crash tests: SIGKILL this process in the middle of the transaction
   * that writes a final flush (run-once), after part of its output was sent.
   */
  readonly crashInFinalFlush: boolean;
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  readonly code = 'CONFIG_INVALID';
  readonly retriable = false;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads `AGGREGATOR_*` variables; one error lists every bad one. */
export function readSettings(
  env: Env,
  overrides: Partial<AggregatorSettings> = {},
): AggregatorSettings {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) {
      problems.push(`${name}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };
  // AGGREGATOR_APP_ID (default `aggregator`), prefixed by the run's namespace.
  const appId = serviceNames(env).aggregatorAppId;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(appId)) {
    problems.push(`AGGREGATOR_APP_ID: ${JSON.stringify(appId)} is not a valid topic-name prefix`);
  }
  const repartition = int('AGGREGATOR_REPARTITION_PARTITIONS', 0, 0);
  const sessionTimeoutMs = int('AGGREGATOR_SESSION_TIMEOUT_MS', 10_000, 6_000);
  const aggregations = env['AGGREGATOR_AGGREGATIONS'];
  const idleTimeoutMs = int('AGGREGATOR_IDLE_TIMEOUT_MS', 0, 0);
  const settings: AggregatorSettings = {
    appId,
    instanceId: env['AGGREGATOR_INSTANCE_ID'] ?? `${hostname()}-${process.pid}`,
    transactions: env['AGGREGATOR_TRANSACTIONS'] !== 'false',
    sessionTimeoutMs,
    repartitionPartitions: repartition === 0 ? null : repartition,
    restoreTimeoutMs: int('AGGREGATOR_RESTORE_TIMEOUT_MS', 120_000, 1_000),
    maxBytesPerPartition: int('AGGREGATOR_MAX_BYTES_PER_PARTITION', 4 * 1_048_576, 1_024),
    concurrency: int('AGGREGATOR_CONCURRENCY', 8, 1),
    aggregations:
      aggregations === undefined || aggregations === ''
        ? null
        : aggregations.split(',').map((s) => s.trim()),
    idleTimeoutMs: idleTimeoutMs === 0 ? null : idleTimeoutMs,
    transactionTimeoutMs: int('AGGREGATOR_TRANSACTION_TIMEOUT_MS', 60_000, 1_000),
    crashInFinalFlush: env['AGGREGATOR_CRASH_IN_FINAL_FLUSH'] === 'true',
    ...overrides,
  };
  if (problems.length > 0) {
    throw new SettingsError(`invalid aggregator settings:\n  ${problems.join('\n  ')}`);
  }
  return settings;
}
