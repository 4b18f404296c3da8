import { InvalidArgumentError } from 'commander';
import {
  parseCount,
  parseDuration,
  parseFraction,
  parseRate,
  parseSeed,
  parseStartTime,
  type KafkaClientName,
} from '../cli/args';

/** The service's generation settings, from `GENERATOR_*` environment variables. */
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

export class GeneratorSettingsError extends Error {
  override readonly name = 'GeneratorSettingsError';
  readonly code = 'GENERATOR_BAD_SETTINGS';
  readonly retriable = false;
}

/** Reads and checks every variable; one error lists every bad one. */
export function readGeneratorSettings(env: NodeJS.ProcessEnv): GeneratorSettings {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (v: string) => T): T => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    try {
      return parse(raw);
    } catch (error) {
      problems.push(
        `${name}=${JSON.stringify(raw)}: ${error instanceof InvalidArgumentError ? error.message : String(error)}`,
      );
      return fallback;
    }
  };
  const rate = read('GENERATOR_RATE', 100, parseRate);
  if (!Number.isFinite(rate))
    problems.push('GENERATOR_RATE: a service needs a finite rate, not max');
  const outOfOrder = read('GENERATOR_OUT_OF_ORDER', 0, parseFraction);
  const late = read('GENERATOR_LATE', 0, parseFraction);
  if (outOfOrder + late > 1)
    problems.push('GENERATOR_OUT_OF_ORDER + GENERATOR_LATE must not exceed 1');
  const settings: GeneratorSettings = {
    ratePerSec: Number.isFinite(rate) ? rate : 100,
    seed: read('GENERATOR_SEED', 42, parseSeed),
    users: read('GENERATOR_USERS', 100, parseCount),
    startTime: read<number | 'now'>('GENERATOR_START_TIME', 'now', parseStartTime),
    outOfOrder:
      outOfOrder > 0
        ? {
            fraction: outOfOrder,
            maxDelayMs: read('GENERATOR_OUT_OF_ORDER_MAX_DELAY', 30_000, parseDuration),
          }
        : undefined,
    lateBeyond:
      late > 0
        ? { fraction: late, delayMs: read('GENERATOR_LATE_DELAY', 300_000, parseDuration) }
        : undefined,
    autostart: read('GENERATOR_AUTOSTART', true, parseBoolean),
    kafkaClient: read<KafkaClientName>('GENERATOR_KAFKA_CLIENT', 'kafkajs', parseKafkaClient),
  };
  if (problems.length > 0) {
    throw new GeneratorSettingsError(`invalid generator settings: ${problems.join('; ')}`);
  }
  return settings;
}

function parseKafkaClient(value: string): KafkaClientName {
  const v = value.trim();
  if (v === 'kafkajs' || v === 'librdkafka') return v;
  throw new InvalidArgumentError('expected kafkajs or librdkafka.');
}

function parseBoolean(value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value.trim())) return true;
  if (/^(0|false|no|off)$/i.test(value.trim())) return false;
  throw new InvalidArgumentError('expected true or false.');
}

/** Mean events per funnel session with the default options (1 + 3 + 0.35 × 2 + 0.175). */
const MEAN_SESSION_EVENTS = 4.9;

/** Session spacing that makes event time advance about as fast as the wall clock at `rate`. */
export function sessionGapForRate(ratePerSec: number): number {
  return Math.max(1, (MEAN_SESSION_EVENTS * 1000) / ratePerSec);
}
