import pino, { type DestinationStream, type Logger } from 'pino';
import { activeTraceFields } from '../telemetry/trace-context';
import { REDACTED } from './redact';

export type { Logger as PinoLogger } from 'pino';

/** Levels a service may run at; `logging.level` in config takes the first four. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const LOG_LEVELS: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Secrets are removed by the logger itself, whatever a caller passes in. fast-redact paths:
 * `*` matches one level, so the common nestings are listed explicitly.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'token',
  'secret',
  'authorization',
  'cookie',
  'apiKey',
  'api_key',
  '["x-write-key"]',
  '["x-api-key"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.cookie',
  '*.apiKey',
  '*.api_key',
  '*["x-write-key"]',
  '*["x-api-key"]',
  '*.*.password',
  '*.*.token',
  'headers.authorization',
  'headers.cookie',
  'headers["x-write-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-write-key"]',
  'req.headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-write-key"]',
];

export interface CreateLoggerOptions {
  /** Written as `service` on every line. */
  readonly service: string;
  readonly version?: string;
  /** Default: {@link resolveLogLevel} of the environment. */
  readonly level?: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to capture them. */
  readonly destination?: DestinationStream;
  /** Extra redaction paths on top of {@link REDACT_PATHS}. */
  readonly redact?: readonly string[];
}

/**
 * Picks the level: `LOG_LEVEL` (an operator's override at deploy time) beats the configured
 * `logging.level`, which beats `info`. An unknown `LOG_LEVEL` is ignored rather than fatal.
 */
export function resolveLogLevel(
  configured?: string,
  env: NodeJS.ProcessEnv = process.env,
): LogLevel {
  const fromEnv = env['LOG_LEVEL']?.trim().toLowerCase();
  if (isLogLevel(fromEnv)) return fromEnv;
  const fromConfig = configured?.trim().toLowerCase();
  if (isLogLevel(fromConfig)) return fromConfig;
  return 'info';
}

/**
 * A pino logger writing one JSON object per line with stable keys:
 * `level` (label), `time` (ISO 8601), `service`, `version`, `pid`, `trace_id`, `span_id`
 * (when a span is active), `context`, then the caller's fields and `msg`.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const level = options.level ?? resolveLogLevel();
  return pino(
    {
      level,
      base: {
        service: options.service,
        ...(options.version === undefined ? {} : { version: options.version }),
        pid: process.pid,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => activeTraceFields(),
      redact: { paths: [...REDACT_PATHS, ...(options.redact ?? [])], censor: REDACTED },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

let root: Logger | undefined;

/**
 * The process-wide logger the plain helpers (`timed`, `retry`, `logged`) use when none is
 * passed. `ObservabilityModule` installs its own at start-up; before that, one is built from
 * `OTEL_SERVICE_NAME` / `SERVICE_NAME` and `LOG_LEVEL`.
 */
export function rootLogger(): Logger {
  root ??= createLogger({
    service: process.env['OTEL_SERVICE_NAME'] ?? process.env['SERVICE_NAME'] ?? 'unknown',
  });
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}
