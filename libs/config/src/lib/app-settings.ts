import { hostname } from 'node:os';
import ms from 'ms';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config.error';
import type { Env } from './env-overrides';

/**
 * A service's own settings: one section of the platform config, set by the environment
 * variables deployments already use (k8s/, docker/, tools/platform), validated by one schema
 * that also holds the defaults. `config explain` lists every key with where it came from.
 */
export interface AppSection<S extends z.ZodObject = z.ZodObject> {
  /** `gateway`, `sink_writer`: the section's name in `config explain`. */
  readonly name: string;
  readonly schema: S;
  /** Each key of the section → the environment variable that sets it. */
  readonly variables: { readonly [K in keyof S['shape']]: string };
}

export interface ReadSection<T> {
  readonly value: T;
  /** Key → `env:NAME` or `default`. */
  readonly sources: Readonly<Record<string, string>>;
}

/** The section's settings with where each came from; one {@link ConfigError} lists every bad variable. */
export function readAppSection<S extends z.ZodObject>(
  section: AppSection<S>,
  env: Env,
): ReadSection<z.output<S>> {
  const input: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const [key, variable] of Object.entries<string>(section.variables)) {
    const raw = env[variable]?.trim();
    const given = raw !== undefined && raw !== '';
    if (given) input[key] = raw;
    sources[key] = given ? `env:${variable}` : 'default';
  }
  const parsed = section.schema.safeParse(input);
  if (parsed.success) return { value: parsed.data, sources };
  const issues: ConfigIssue[] = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const variable = (section.variables as Record<string, string>)[key] ?? key;
    const raw = input[key];
    return {
      path: [section.name, key],
      source: sources[key] ?? 'default',
      message: `${variable}${raw === undefined ? ' (default)' : `=${JSON.stringify(raw)}`}: ${issue.message}`,
    };
  });
  throw new ConfigError(
    'CONFIG_INVALID',
    `Invalid ${section.name} settings:\n${issues.map((issue) => `  - ${issue.message}`).join('\n')}`,
    issues,
  );
}

/** Just the settings of {@link readAppSection}. */
export function loadAppSettings<S extends z.ZodObject>(
  section: AppSection<S>,
  env: Env,
): z.output<S> {
  return readAppSection(section, env).value;
}

// Field rules. Environment values are text: numbers and booleans are parsed here.

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number('must be a number')
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** A TCP port to listen on; 0 picks a free one. */
const port = int(0, 65_535);
const host = z.string().min(1);
const ratio = z.coerce.number('must be a number').min(0).max(1);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier of at most 63 characters');
/** `a, b,c` → `['a', 'b', 'c']`. */
const csv = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

const GATEWAY_VARIABLES = {
  port: 'PORT',
  host: 'HOST',
  maxBatchEvents: 'GATEWAY_MAX_BATCH_EVENTS',
  maxBodyBytes: 'GATEWAY_MAX_BODY_BYTES',
  maxJsonDepth: 'GATEWAY_MAX_JSON_DEPTH',
  maxStringLength: 'GATEWAY_MAX_STRING_LENGTH',
  rateLimitPerSecond: 'GATEWAY_RATE_LIMIT_PER_SECOND',
  rateLimitBurst: 'GATEWAY_RATE_LIMIT_BURST',
  idempotencyWindowMs: 'GATEWAY_IDEMPOTENCY_WINDOW_MS',
  idempotencySynchronousCommit: 'GATEWAY_IDEMPOTENCY_SYNCHRONOUS_COMMIT',
  produceTimeoutMs: 'GATEWAY_PRODUCE_TIMEOUT_MS',
  keyCacheTtlMs: 'GATEWAY_KEY_CACHE_TTL_MS',
  dbSchema: 'GATEWAY_DB_SCHEMA',
  queryBackend: 'GATEWAY_QUERY_BACKEND',
  queryTimeoutMs: 'GATEWAY_QUERY_TIMEOUT_MS',
  subscriptionsEnabled: 'GATEWAY_SUBSCRIPTIONS_ENABLED',
  subscriptionsGroupId: 'GATEWAY_SUBSCRIPTIONS_GROUP_ID',
  subscriptionsRefreshMs: 'GATEWAY_SUBSCRIPTIONS_REFRESH_MS',
  drainTimeoutMs: 'GATEWAY_DRAIN_TIMEOUT_MS',
  minEventTimeMs: 'GATEWAY_MIN_EVENT_TIME',
  maxEventTimeSkewMs: 'GATEWAY_MAX_EVENT_TIME_SKEW_MS',
  requestTimeoutMs: 'GATEWAY_REQUEST_TIMEOUT_MS',
  headersTimeoutMs: 'GATEWAY_HEADERS_TIMEOUT_MS',
  maxInFlight: 'GATEWAY_MAX_IN_FLIGHT',
  maxInFlightBytes: 'GATEWAY_MAX_IN_FLIGHT_BYTES',
  maxEventLoopDelayMs: 'GATEWAY_MAX_EVENT_LOOP_DELAY_MS',
  traceSampleRatio: 'GATEWAY_TRACE_SAMPLE_RATIO',
  requestLogSampleRate: 'GATEWAY_REQUEST_LOG_SAMPLE_RATE',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The trace sample ratio on its own: telemetry starts before the settings are validated. */
export const traceSampleRatioSchema = ratio.default(0.01);

const gatewaySchema = z
  .object({
    port: port.default(8080),
    host: host.default('0.0.0.0'),
    /** Events in one `POST /v1/events` batch. */
    maxBatchEvents: int(1, 100_000).default(500),
    /** Request body size; larger bodies get 413 before they are parsed. */
    maxBodyBytes: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
    /** Nesting depth of a JSON body; deeper bodies get 400 before they are parsed. */
    maxJsonDepth: int(2, 1000).default(32),
    /** Longest string accepted in any event field. */
    maxStringLength: int(1).default(8192),
    /** Token bucket per write key: events (or requests) per second, and burst capacity. */
    rateLimitPerSecond: int(1).default(5000),
    rateLimitBurst: int(1).default(10_000),
    /** A repeated event_id within this window is acknowledged, not produced again. */
    idempotencyWindowMs: int(0).default(10 * 60_000),
    /**
     * Whether idempotency statements wait for PostgreSQL's WAL flush. Off by default: only a
     * crash of PostgreSQL itself can then forget the last ~0.6 s of ids (ADR 0010).
     */
    idempotencySynchronousCommit: bool.default(false),
    /** How long a request waits for Kafka's acknowledgement before answering 503. */
    produceTimeoutMs: int(100).default(10_000),
    /** How long a write-key lookup is cached (a revocation takes effect within it). */
    keyCacheTtlMs: int(0).default(5000),
    /** PostgreSQL schema of the gateway's tables (write keys, subscriptions). */
    dbSchema: identifier.default('ingestion_gateway'),
    /** Where `/v1/query` reads aggregate tables. */
    queryBackend: z.enum(['clickhouse', 'postgres']).default('clickhouse'),
    queryTimeoutMs: int(100).default(15_000),
    /** Subscription delivery consumer on/off, its group id, and how often it reloads them. */
    subscriptionsEnabled: bool.default(true),
    subscriptionsGroupId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be a Kafka group id')
      .default('ingestion-gateway-subscriptions'),
    subscriptionsRefreshMs: int(100).default(2000),
    /** Drain timeout on SIGTERM. */
    drainTimeoutMs: int(0).default(25_000),
    /** Earliest event time accepted, epoch ms (at least 1970-01-01), given as ISO-8601. */
    minEventTimeMs: z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 date-time with offset' })
      .transform((v) => Date.parse(v))
      .refine((ms) => ms >= 0, 'must be at or after 1970-01-01T00:00:00Z')
      .default(0),
    /** How far after receipt an event time may be; a year at most, so sinks can store it. */
    maxEventTimeSkewMs: int(0, 366 * DAY_MS).default(DAY_MS),
    /** Whole request, body included: a client that trickles its body is cut off (408). */
    requestTimeoutMs: int(100).default(30_000),
    /** Receiving the request headers. */
    headersTimeoutMs: int(100).default(10_000),
    /**
     * API requests worked on at once; more are refused at once with 503 `OVERLOADED`
     * (ADR 0014, nineteenth round: why 4096, now that `maxInFlightBytes` bounds the memory).
     */
    maxInFlight: int(1, 1_000_000).default(4096),
    /**
     * Body bytes of the API requests worked on at once, by their declared length (a body of
     * unknown or compressed size counts as `maxBodyBytes`): the memory they hold is bounded
     * whatever their sizes. A request that would pass it is refused with 503 `OVERLOADED`.
     */
    maxInFlightBytes: int(1024, 16 * 1024 ** 3).default(32 * 1024 * 1024),
    /**
     * How far the event loop may fall behind before API requests are refused with 503
     * `OVERLOADED`, ms; 0 (the default) never refuses on this ground (ADR 0014, tenth round).
     */
    maxEventLoopDelayMs: int(0, 60_000).default(0),
    /** Share of new traces recorded (parent-based: a caller's decision wins). */
    traceSampleRatio: traceSampleRatioSchema,
    /** Share of successful requests logged at info (the rest at debug); errors always are. */
    requestLogSampleRate: ratio.default(0.01),
  })
  .superRefine((s, ctx) => {
    if (s.maxBatchEvents > s.rateLimitBurst) {
      ctx.addIssue({
        code: 'custom',
        path: ['rateLimitBurst'],
        message: `must be at least ${GATEWAY_VARIABLES.maxBatchEvents} (${s.maxBatchEvents}), or a full batch could never pass`,
      });
    }
    if (s.headersTimeoutMs > s.requestTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['headersTimeoutMs'],
        message: `must not be longer than ${GATEWAY_VARIABLES.requestTimeoutMs} (${s.requestTimeoutMs})`,
      });
    }
    if (s.maxInFlightBytes < s.maxBodyBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxInFlightBytes'],
        message: `must be at least ${GATEWAY_VARIABLES.maxBodyBytes} (${s.maxBodyBytes}), or a body of that size could never pass`,
      });
    }
  });

export const gatewaySection = {
  name: 'gateway',
  schema: gatewaySchema,
  variables: GATEWAY_VARIABLES,
} satisfies AppSection<typeof gatewaySchema>;

export type GatewaySettings = Readonly<z.output<typeof gatewaySchema>>;

/** The sink adapters' `SINK_STREAMS` (config cannot import them; a sink-writer spec checks both agree). */
export const SINK_WRITER_STREAMS = ['events', 'aggregates'] as const;

const sinkWriterSchema = z.object({
  /** Sink driver names, resolved by the sink registry (unknown names fail at boot). */
  sinks: csv
    .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected lower-case names')).min(1))
    .superRefine((sinks, ctx) => {
      const dup = sinks.find((s, i) => sinks.indexOf(s) !== i);
      if (dup !== undefined)
        ctx.addIssue({ code: 'custom', message: `sink ${dup} is listed twice` });
    })
    .default(['clickhouse', 'postgres']),
  /** Modules (paths or package names) whose sink drivers are registered before `sinks` are built. */
  sinkPlugins: csv.default([]),
  streams: csv.pipe(z.array(z.enum(SINK_WRITER_STREAMS)).min(1)).default(['events', 'aggregates']),
  groupId: z.string().min(1).default('sink-writer'),
  /** A flush starts once this many records wait... */
  maxBatch: int(1, 1_000_000).default(50_000),
  /** ... or once their values add up to this many bytes... */
  maxBatchBytes: int(1, 1 << 30).default(16 << 20),
  /** ... or this long after the first of them arrived. */
  maxWaitMs: int(0, 600_000).default(100),
  /** Partitions handled at once; their records are written together. */
  concurrency: int(1, 64).default(3),
  /**
   * Bytes a fetch may bring of one partition. Larger fetches mean fewer round trips and
   * fewer, larger record batches per flush; the fetched responses live until written.
   */
  fetchBytesPerPartition: int(64 << 10, 64 << 20).default(1 << 20),
  /**
   * Flushes of event records written at once: the next is encoded and sent while the
   * databases take the previous one. Aggregate records (ordered by version) are written alone.
   */
  flushesInFlight: int(1, 4).default(2),
  /** COPYs a large PostgreSQL write is split into, each on its own connection. */
  pgCopyConnections: int(1, 8).default(2),
  /** Where a group without committed offsets starts. */
  fromBeginning: bool.default(true),
  /** How often consumer lag is measured (0 turns it off). */
  lagIntervalMs: int(0, 600_000).default(2_000),
  /** How long the group waits for a silent member before its partitions go to the others. */
  sessionTimeoutMs: int(6_000, 300_000).default(30_000),
  port: port.default(8083),
  host: host.default('0.0.0.0'),
});

export const sinkWriterSection = {
  name: 'sink_writer',
  schema: sinkWriterSchema,
  variables: {
    sinks: 'SINK_WRITER_SINKS',
    sinkPlugins: 'SINK_WRITER_SINK_PLUGINS',
    streams: 'SINK_WRITER_STREAMS',
    groupId: 'SINK_WRITER_GROUP_ID',
    maxBatch: 'SINK_WRITER_MAX_BATCH',
    maxBatchBytes: 'SINK_WRITER_MAX_BATCH_BYTES',
    maxWaitMs: 'SINK_WRITER_MAX_WAIT_MS',
    concurrency: 'SINK_WRITER_CONCURRENCY',
    fetchBytesPerPartition: 'SINK_WRITER_FETCH_BYTES_PER_PARTITION',
    flushesInFlight: 'SINK_WRITER_FLUSHES_IN_FLIGHT',
    pgCopyConnections: 'SINK_WRITER_PG_COPY_CONNECTIONS',
    fromBeginning: 'SINK_WRITER_FROM_BEGINNING',
    lagIntervalMs: 'SINK_WRITER_LAG_INTERVAL_MS',
    sessionTimeoutMs: 'SINK_WRITER_SESSION_TIMEOUT_MS',
    port: 'PORT',
    host: 'HOST',
  },
} satisfies AppSection<typeof sinkWriterSchema>;

export type SinkWriterSettings = Readonly<z.output<typeof sinkWriterSchema>>;

// The aggregator's `AGGREGATOR_*` settings (the platform config gives Kafka, topics and the
// registry). A `0` turns the partition count and the idle timeout off (`null`).

/** `AGGREGATOR_APP_ID` is a topic-name prefix (before the namespace is added). */
const kafkaPrefix = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'is not a valid topic-name prefix');
const zeroIsOff = (min: number) =>
  int(min)
    .transform((n) => (n === 0 ? null : n))
    .nullable()
    .default(null);

const aggregatorSchema = z.object({
  port: port.default(8092),
  host: host.default('0.0.0.0'),
  /** Consumer group id and prefix of internal topics and transactional ids (namespace added by the app). */
  appId: kafkaPrefix.default('aggregator'),
  /** Names this process in logs and the Kafka client id. */
  instanceId: z
    .string()
    .min(1)
    .default(() => `${hostname()}-${process.pid}`),
  /** Exactly-once (default). `false`: at-least-once, for the benchmark only. */
  transactions: bool.default(true),
  /** Only these aggregations (all when null). */
  aggregations: csv
    .pipe(z.array(z.string()).min(1, 'must name at least one aggregation'))
    .transform((names): readonly string[] => names)
    .nullable()
    .default(null),
  /** Partitions of the repartition and changelog topics; null: those of `events.<type>`. */
  repartitionPartitions: zeroIsOff(0),
  sessionTimeoutMs: int(6_000).default(10_000),
  maxBytesPerPartition: int(1_024).default(4 * 1_048_576),
  /** Partitions (tasks) processed at once by one instance. */
  concurrency: int(1).default(8),
  /**
   * `run` mode: after this long without a record from any source partition, the watermark
   * follows the wall clock (minus out-of-orderness), and a partition silent this long stops
   * holding the others back. Null: off (the watermark moves only with events).
   */
  idleTimeoutMs: zeroIsOff(0),
  /** Broker-side timeout of an open transaction; at most the broker's `transaction.max.timeout.ms`. */
  transactionTimeoutMs: int(1_000).default(60_000),
  restoreTimeoutMs: int(1_000).default(120_000),
  /**
   * Fault injection for crash tests: SIGKILL the process in the middle of the transaction
   * that writes a final flush (run-once), after part of its output was sent.
   */
  crashInFinalFlush: bool.default(false),
});

export const aggregatorSection = {
  name: 'aggregator',
  schema: aggregatorSchema,
  variables: {
    port: 'PORT',
    host: 'HOST',
    appId: 'AGGREGATOR_APP_ID',
    instanceId: 'AGGREGATOR_INSTANCE_ID',
    transactions: 'AGGREGATOR_TRANSACTIONS',
    aggregations: 'AGGREGATOR_AGGREGATIONS',
    repartitionPartitions: 'AGGREGATOR_REPARTITION_PARTITIONS',
    sessionTimeoutMs: 'AGGREGATOR_SESSION_TIMEOUT_MS',
    maxBytesPerPartition: 'AGGREGATOR_MAX_BYTES_PER_PARTITION',
    concurrency: 'AGGREGATOR_CONCURRENCY',
    idleTimeoutMs: 'AGGREGATOR_IDLE_TIMEOUT_MS',
    transactionTimeoutMs: 'AGGREGATOR_TRANSACTION_TIMEOUT_MS',
    restoreTimeoutMs: 'AGGREGATOR_RESTORE_TIMEOUT_MS',
    crashInFinalFlush: 'AGGREGATOR_CRASH_IN_FINAL_FLUSH',
  },
} satisfies AppSection<typeof aggregatorSchema>;

export type AggregatorSectionSettings = Readonly<z.output<typeof aggregatorSchema>>;

// The generator service's `GENERATOR_*` settings, in the forms its CLI flags take
// (`apps/generator/src/cli/args.ts`; a generator spec checks both read values alike).

/** Reads a value from text, or `undefined` when the text is not one; `expected` says what is. */
export interface TextReader<T> {
  read(text: string): T | undefined;
  readonly expected: string;
}

const PER_SECOND: Readonly<Record<string, number>> = {
  ms: 1000,
  s: 1,
  sec: 1,
  m: 1 / 60,
  min: 1 / 60,
  h: 1 / 3600,
};

const ISO_DATE = z.iso.date();
const ISO_DATE_TIME = z.iso.datetime({ offset: true });

/** Strict ISO-8601: a calendar date, or a date-time with its offset. */
const isIsoTime = (text: string): boolean =>
  ISO_DATE.safeParse(text).success || ISO_DATE_TIME.safeParse(text).success;

/**
 * The generator's value forms, shared by its environment variables and its command-line
 * flags (which add `max` where a CLI run may go unbounded). Text is read trimmed.
 */
export const GENERATOR_TEXT: {
  readonly rate: TextReader<number>;
  readonly duration: TextReader<number>;
  readonly count: TextReader<number>;
  readonly seed: TextReader<number>;
  readonly fraction: TextReader<number>;
  readonly startTime: TextReader<number | 'now'>;
} = {
  /** `5000/s`, `5000` (per second), `300/m`, `2/ms`: a positive finite rate. */
  rate: {
    read: (text) => {
      const m = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(ms|s|sec|m|min|h))?$/i.exec(text.trim());
      const perSecond =
        m === null ? NaN : Number(m[1]) * (PER_SECOND[(m[2] ?? 's').toLowerCase()] ?? NaN);
      return perSecond > 0 && Number.isFinite(perSecond) ? perSecond : undefined;
    },
    expected: 'a positive rate such as 5000/s or 300/m',
  },
  /** `60s`, `5m`, `1h`, `1500ms`, or a bare number of milliseconds. */
  duration: {
    read: (text) => {
      const v = text.trim();
      const n = /^\d+$/.test(v) ? Number(v) : ms(v as ms.StringValue);
      return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.round(n) : undefined;
    },
    expected: 'a positive duration such as 60s, 5m or 1500ms',
  },
  /** A positive integer; `_` separates thousands. */
  count: {
    read: (text) => {
      const v = text.trim().replace(/_/g, '');
      const n = /^\d+$/.test(v) ? Number(v) : NaN;
      return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
    },
    expected: 'a positive integer',
  },
  seed: {
    read: (text) => {
      const n = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
      return Number.isSafeInteger(n) ? n : undefined;
    },
    expected: 'an integer',
  },
  fraction: {
    read: (text) => {
      const n = Number(text);
      return text.trim() !== '' && n >= 0 && n <= 1 ? n : undefined;
    },
    expected: 'a fraction between 0 and 1, such as 0.05',
  },
  /**
   * `now`, epoch milliseconds, or an ISO-8601 date or date-time with its offset. Checked before
   * `Date.parse`, which reads far more: `March 7` (as 2001), `2024-02-30` (as 1 March), and a
   * date-time without an offset in the machine's own time zone.
   */
  startTime: {
    read: (text) => {
      const v = text.trim();
      if (v === 'now') return 'now';
      const n = /^\d+$/.test(v) ? Number(v) : isIsoTime(v) ? Date.parse(v) : NaN;
      return Number.isSafeInteger(n) ? n : undefined;
    },
    expected:
      'now, epoch milliseconds, an ISO-8601 date (2024-01-01) or date-time with its offset (2024-01-01T00:00:00Z)',
  },
};

/** A rule of a string variable read by `reader`. */
const parsed = <T>(reader: TextReader<T>, expected = reader.expected) =>
  z.string().transform((text, ctx): T => {
    const value = reader.read(text.trim());
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}` });
      return z.NEVER;
    }
    return value;
  });

const rate = parsed(
  GENERATOR_TEXT.rate,
  `${GENERATOR_TEXT.rate.expected} (a service cannot run at max)`,
);
const duration = parsed(GENERATOR_TEXT.duration);
const count = parsed(GENERATOR_TEXT.count);
const seed = parsed(GENERATOR_TEXT.seed);
const fraction = parsed(GENERATOR_TEXT.fraction);
const startTime = parsed(GENERATOR_TEXT.startTime);
/** `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case. */
const onOff = parsed({
  read: (text) => {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off)$/i.test(text)) return false;
    return undefined;
  },
  expected: 'true or false',
});

const GENERATOR_VARIABLES = {
  port: 'PORT',
  host: 'HOST',
  ratePerSec: 'GENERATOR_RATE',
  seed: 'GENERATOR_SEED',
  users: 'GENERATOR_USERS',
  startTime: 'GENERATOR_START_TIME',
  outOfOrder: 'GENERATOR_OUT_OF_ORDER',
  outOfOrderMaxDelayMs: 'GENERATOR_OUT_OF_ORDER_MAX_DELAY',
  late: 'GENERATOR_LATE',
  lateDelayMs: 'GENERATOR_LATE_DELAY',
  autostart: 'GENERATOR_AUTOSTART',
  kafkaClient: 'GENERATOR_KAFKA_CLIENT',
} as const;

const generatorSchema = z
  .object({
    port: port.default(8090),
    host: host.default('0.0.0.0'),
    /** Events per second. */
    ratePerSec: rate.default(100),
    seed: seed.default(42),
    /** User pool size. */
    users: count.default(100),
    /** Event time of the first event. */
    startTime: startTime.default('now'),
    /** Share of events delivered out of order, and their largest delay. */
    outOfOrder: fraction.default(0),
    outOfOrderMaxDelayMs: duration.default(30_000),
    /** Share of events delivered beyond the allowed lateness, and their delay. */
    late: fraction.default(0),
    lateDelayMs: duration.default(300_000),
    /** Start producing at boot; `false` serves health and metrics only. */
    autostart: onOff.default(true),
    /** The producer's Kafka client. */
    kafkaClient: z
      .enum(['kafkajs', 'librdkafka'], 'expected kafkajs or librdkafka')
      .default('kafkajs'),
  })
  .superRefine((s, ctx) => {
    if (s.outOfOrder + s.late > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['late'],
        message: `must not exceed 1 together with ${GENERATOR_VARIABLES.outOfOrder} (${s.outOfOrder})`,
      });
    }
  });

export const generatorSection = {
  name: 'generator',
  schema: generatorSchema,
  variables: GENERATOR_VARIABLES,
} satisfies AppSection<typeof generatorSchema>;

export type GeneratorSectionSettings = Readonly<z.output<typeof generatorSchema>>;

const registrySchema = z.object({
  port: port.default(8081),
  host: host.default('0.0.0.0'),
  /** PostgreSQL schema of the registry's tables (the namespace prefix is added by the app). */
  dbSchema: identifier.default('schema_registry'),
});

export const registrySection = {
  name: 'registry',
  schema: registrySchema,
  variables: { port: 'PORT', host: 'HOST', dbSchema: 'SCHEMA_REGISTRY_DB_SCHEMA' },
} satisfies AppSection<typeof registrySchema>;

export type RegistrySettings = Readonly<z.output<typeof registrySchema>>;

/** Every service section, in the order `config explain` lists them. */
export const APP_SECTIONS: readonly AppSection[] = [
  gatewaySection,
  sinkWriterSection,
  aggregatorSection,
  generatorSection,
  registrySection,
];
