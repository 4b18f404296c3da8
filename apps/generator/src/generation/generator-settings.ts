import { generatorSection, loadAppSettings, type Env } from '@platform/config';
import type { KafkaClientName } from '../cli/args';

/** The service's generation settings: the `generator` section of the platform config (`GENERATOR_*`). */
export interface GeneratorSettings {
  /** Events per second. */
  readonly ratePerSec: number;
  readonly seed: number;
  readonly users: number;
  readonly startTime: number | 'now';
  readonly outOfOrder: { readonly fraction: number; readonly maxDelayMs: number } | undefined;
  readonly lateBeyond: { readonly fraction: number; readonly delayMs: number } | undefined;
  /** Start producing at boot. Default true. */
  readonly autostart: boolean;
  /** `GENERATOR_KAFKA_CLIENT`: the producer's Kafka client, kafkajs (default) or librdkafka. */
  readonly kafkaClient: KafkaClientName;
}

/** Reads and checks every variable; one ConfigError lists every bad one. */
export function readGeneratorSettings(env: Env): GeneratorSettings {
  const s = loadAppSettings(generatorSection, env);
  return {
    ratePerSec: s.ratePerSec,
    seed: s.seed,
    users: s.users,
    startTime: s.startTime,
    outOfOrder:
      s.outOfOrder > 0 ? { fraction: s.outOfOrder, maxDelayMs: s.outOfOrderMaxDelayMs } : undefined,
    lateBeyond: s.late > 0 ? { fraction: s.late, delayMs: s.lateDelayMs } : undefined,
    autostart: s.autostart,
    kafkaClient: s.kafkaClient,
  };
}

/** Mean events per funnel session with the default options (1 + 3 + 0.35 × 2 + 0.175). */
const MEAN_SESSION_EVENTS = 4.9;

/** Session spacing that makes event time advance about as fast as the wall clock at `rate`. */
export function sessionGapForRate(ratePerSec: number): number {
  return Math.max(1, (MEAN_SESSION_EVENTS * 1000) / ratePerSec);
}
