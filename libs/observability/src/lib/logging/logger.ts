import pino, { type DestinationStream, type Logger } from 'pino';
import { activeTraceFields } from '../telemetry/trace-context';
import { LogLineWriter, stdoutLogLines } from './log-line-writer';
import { withoutSecretKeys } from './redact';

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

export interface CreateLoggerOptions {
  /** Written as `service` on every line. */
  readonly service: string;
  readonly version?: string;
  /** Default: {@link resolveLogLevel} of the environment. */
  readonly level?: LogLevel;
  /**
   * Where lines go; default stdout, through {@link stdoutLogLines} (never blocks the event
   * loop on a reader that falls behind). Tests pass a stream to capture them.
   */
  readonly destination?: DestinationStream;
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
  const destination = options.destination ?? stdoutLogLines();
  const logger = pino(
    {
      level,
      base: {
        service: options.service,
        ...(options.version === undefined ? {} : { version: options.version }),
        pid: process.pid,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        // Every line's fields, the trace ids merged in.
        log: withoutSecretKeys,
      },
      mixin: () => activeTraceFields(),
    },
    destination,
  );
  if (destination instanceof LogLineWriter) {
    // The writer is shared process-wide: the logger made last (the service's own) reports.
    destination.onDropped = (lines) =>
      logger.warn(
        { event: 'log.lines_dropped', lines },
        `${lines} log line(s) dropped: the reader of the log stream fell behind`,
      );
  }
  // A child's bindings are serialized once, when it is made, and pino gives them to no
  // formatter: they are cleaned here. Children inherit this `child` (pino builds each one on
  // its parent), so grandchildren are cleaned too.
  const childOf = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return childOf.call(this, withoutSecretKeys(bindings), childOptions);
  } as Logger['child'];
  return logger;
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
