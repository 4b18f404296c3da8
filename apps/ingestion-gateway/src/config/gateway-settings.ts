import { serviceNames } from '@platform/config';
import { z } from 'zod';

/**
 * The gateway's own settings, read once at start-up from environment variables (the
 * platform config has no `gateway:` section yet). One error lists every bad variable.
 */
export interface GatewaySettings {
  readonly port: number;
  readonly host: string;
  /** Events in one `POST /v1/events` batch. */
  readonly maxBatchEvents: number;
  /** Request body size; larger bodies get 413 before they are parsed. */
  readonly maxBodyBytes: number;
  /** Nesting depth of a JSON body; deeper bodies get 400 before they are parsed. */
  readonly maxJsonDepth: number;
  /** Longest string accepted in any event field. */
  readonly maxStringLength: number;
  /** Token bucket per write key: events (or requests) per second, and burst capacity. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /** A repeated event_id within this window is acknowledged, not produced again. */
  readonly idempotencyWindowMs: number;
  /** How long a request waits for Kafka's acknowledgement before answering 503. */
  readonly produceTimeoutMs: number;
  /** How long a write-key lookup is cached (a revocation takes effect within it). */
  readonly keyCacheTtlMs: number;
  /** PostgreSQL schema of the gateway's tables (write keys, subscriptions). */
  readonly dbSchema: string;
  /** `clickhouse` or `postgres`: where `/v1/query` reads aggregate tables. */
  readonly queryBackend: 'clickhouse' | 'postgres';
  readonly queryTimeoutMs: number;
  /** Subscription delivery consumer on/off, its group id, and how often it reloads subscriptions. */
  readonly subscriptionsEnabled: boolean;
  readonly subscriptionsGroupId: string;
  readonly subscriptionsRefreshMs: number;
  /** Drain timeout on SIGTERM. */
  readonly drainTimeoutMs: number;
  /** Earliest event time accepted, epoch ms (at least 1970-01-01). */
  readonly minEventTimeMs: number;
  /** How far after receipt an event time may be. */
  readonly maxEventTimeSkewMs: number;
  /** Whole request, body included: a client that trickles its body is cut off after it (408). */
  readonly requestTimeoutMs: number;
  /** Receiving the request headers. */
  readonly headersTimeoutMs: number;
  /** API requests worked on at once; more are refused at once with 503 `OVERLOADED`. */
  readonly maxInFlight: number;
  /** Share of new traces recorded (parent-based: a caller's decision wins). */
  readonly traceSampleRatio: number;
  /** Share of successful requests logged at info (the rest at debug); errors always are. */
  readonly requestLogSampleRate: number;
}

type Env = Readonly<Record<string, string | undefined>>;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int(`must be an integer`).min(min).max(max);

const ratio = z.coerce.number('must be a number').min(0).max(1);

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier of at most 63 characters');

/** Variable name → schema and default. Documented in the README. */
const VARIABLES = {
  PORT: { key: 'port', schema: int(0, 65535), default: '8080' },
  HOST: { key: 'host', schema: z.string().min(1), default: '0.0.0.0' },
  GATEWAY_MAX_BATCH_EVENTS: { key: 'maxBatchEvents', schema: int(1, 100_000), default: '500' },
  GATEWAY_MAX_BODY_BYTES: {
    key: 'maxBodyBytes',
    schema: int(1024, 100 * 1024 * 1024),
    default: String(1024 * 1024),
  },
  GATEWAY_MAX_JSON_DEPTH: { key: 'maxJsonDepth', schema: int(2, 1000), default: '32' },
  GATEWAY_MAX_STRING_LENGTH: { key: 'maxStringLength', schema: int(1), default: '8192' },
  GATEWAY_RATE_LIMIT_PER_SECOND: { key: 'rateLimitPerSecond', schema: int(1), default: '5000' },
  GATEWAY_RATE_LIMIT_BURST: { key: 'rateLimitBurst', schema: int(1), default: '10000' },
  GATEWAY_IDEMPOTENCY_WINDOW_MS: {
    key: 'idempotencyWindowMs',
    schema: int(0),
    default: String(10 * 60_000),
  },
  GATEWAY_PRODUCE_TIMEOUT_MS: { key: 'produceTimeoutMs', schema: int(100), default: '10000' },
  GATEWAY_KEY_CACHE_TTL_MS: { key: 'keyCacheTtlMs', schema: int(0), default: '5000' },
  GATEWAY_DB_SCHEMA: { key: 'dbSchema', schema: identifier, default: 'ingestion_gateway' },
  GATEWAY_QUERY_BACKEND: {
    key: 'queryBackend',
    schema: z.enum(['clickhouse', 'postgres']),
    default: 'clickhouse',
  },
  GATEWAY_QUERY_TIMEOUT_MS: { key: 'queryTimeoutMs', schema: int(100), default: '15000' },
  GATEWAY_SUBSCRIPTIONS_ENABLED: { key: 'subscriptionsEnabled', schema: bool, default: 'true' },
  GATEWAY_SUBSCRIPTIONS_GROUP_ID: {
    key: 'subscriptionsGroupId',
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be a Kafka group id'),
    default: 'ingestion-gateway-subscriptions',
  },
  GATEWAY_SUBSCRIPTIONS_REFRESH_MS: {
    key: 'subscriptionsRefreshMs',
    schema: int(100),
    default: '2000',
  },
  GATEWAY_DRAIN_TIMEOUT_MS: { key: 'drainTimeoutMs', schema: int(0), default: '25000' },
  GATEWAY_MIN_EVENT_TIME: {
    key: 'minEventTimeMs',
    schema: z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 date-time with offset' })
      .transform((v) => Date.parse(v))
      .refine((ms) => ms >= 0, 'must be at or after 1970-01-01T00:00:00Z'),
    default: '1970-01-01T00:00:00Z',
  },
  GATEWAY_MAX_EVENT_TIME_SKEW_MS: {
    key: 'maxEventTimeSkewMs',
    // A year at most: every accepted time then stays far inside what the sinks store.
    schema: int(0, 366 * 24 * 60 * 60 * 1000),
    default: String(24 * 60 * 60 * 1000),
  },
  GATEWAY_REQUEST_TIMEOUT_MS: { key: 'requestTimeoutMs', schema: int(100), default: '30000' },
  GATEWAY_HEADERS_TIMEOUT_MS: { key: 'headersTimeoutMs', schema: int(100), default: '10000' },
  GATEWAY_MAX_IN_FLIGHT: { key: 'maxInFlight', schema: int(1, 1_000_000), default: '512' },
  GATEWAY_TRACE_SAMPLE_RATIO: { key: 'traceSampleRatio', schema: ratio, default: '0.01' },
  GATEWAY_REQUEST_LOG_SAMPLE_RATE: { key: 'requestLogSampleRate', schema: ratio, default: '0.01' },
} as const satisfies Record<
  string,
  { key: keyof GatewaySettings; schema: z.ZodType; default: string }
>;

export type GatewayVariable = keyof typeof VARIABLES;
export const GATEWAY_VARIABLES = Object.keys(VARIABLES) as GatewayVariable[];

export class GatewaySettingsError extends Error {
  override readonly name = 'GatewaySettingsError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid gateway settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The trace sample ratio for `instrument.ts`, which starts telemetry before anything else (and
 * before the settings are validated): a bad value falls back to the default here and fails
 * the boot in {@link loadGatewaySettings}.
 */
export function traceSampleRatioOf(env: Env = process.env): number {
  const spec = VARIABLES.GATEWAY_TRACE_SAMPLE_RATIO;
  const parsed = spec.schema.safeParse(env['GATEWAY_TRACE_SAMPLE_RATIO']?.trim() || spec.default);
  return parsed.success ? parsed.data : Number(spec.default);
}

/** Reads and validates every variable; throws one error listing all problems. */
export function loadGatewaySettings(env: Env = process.env): GatewaySettings {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const name of GATEWAY_VARIABLES) {
    const spec = VARIABLES[name];
    const raw = env[name]?.trim();
    const result = (spec.schema as z.ZodType).safeParse(
      raw === undefined || raw === '' ? spec.default : raw,
    );
    if (result.success) out[spec.key] = result.data;
    else
      problems.push(
        `${name}=${JSON.stringify(raw)}: ${result.error.issues[0]?.message ?? 'invalid'}`,
      );
  }
  if (problems.length === 0) {
    // Cross-field rules.
    if ((out['rateLimitBurst'] as number) < 1)
      problems.push('GATEWAY_RATE_LIMIT_BURST must be >= 1');
    if ((out['maxBatchEvents'] as number) > (out['rateLimitBurst'] as number)) {
      problems.push(
        `GATEWAY_RATE_LIMIT_BURST (${String(out['rateLimitBurst'])}) must be at least GATEWAY_MAX_BATCH_EVENTS (${String(out['maxBatchEvents'])}), or a full batch could never pass`,
      );
    }
  }
  if (
    problems.length === 0 &&
    (out['headersTimeoutMs'] as number) > (out['requestTimeoutMs'] as number)
  ) {
    problems.push(
      `GATEWAY_HEADERS_TIMEOUT_MS (${String(out['headersTimeoutMs'])}) must not be longer than GATEWAY_REQUEST_TIMEOUT_MS (${String(out['requestTimeoutMs'])})`,
    );
  }
  if (problems.length > 0) throw new GatewaySettingsError(problems);
  // The names the run owns, prefixed by its namespace (NAMESPACE).
  const names = serviceNames(env);
  out['dbSchema'] = names.gatewayDbSchema;
  out['subscriptionsGroupId'] = names.gatewaySubscriptionsGroupId;
  return out as unknown as GatewaySettings;
}
