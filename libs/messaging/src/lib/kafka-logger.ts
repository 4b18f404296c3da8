import { Logger } from '@nestjs/common';
import { logLevel, type LogEntry, type logCreator } from 'kafkajs';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** One kafkajs log line, flattened to a stable JSON shape. */
export interface KafkaLogRecord {
  readonly time: string;
  readonly level: KafkaLogLevel;
  /** Stable event key, so log pipelines can select kafkajs lines. */
  readonly event: 'kafkajs.log';
  /** kafkajs component: Producer, Consumer, Cluster, Connection, … */
  readonly namespace: string;
  readonly message: string;
  readonly clientId?: string;
  /** Every other field kafkajs attached (broker, groupId, error, stack, …), secrets redacted. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Where records go. Pluggable so services can route them into their own logger. */
export type KafkaLogSink = (record: KafkaLogRecord) => void;

export const REDACTED = '[REDACTED]';

// Keys whose values never reach a log, whatever their content.
const SECRET_KEY =
  /^(password|passwd|secret|token|sasl|ssl|key|cert|ca|credentials?|authorization|accesskeyid|secretaccesskey|sessiontoken)$/i;

const LEVEL_NAMES: Readonly<Record<number, KafkaLogLevel>> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

const KAFKAJS_LEVELS: Readonly<Record<KafkaLogLevel | 'nothing', logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

export function toKafkajsLogLevel(level: KafkaLogLevel | 'nothing'): logLevel {
  return KAFKAJS_LEVELS[level];
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out;
}

/** Deep copy of `value` with secret-named keys and known secret strings replaced. */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[Truncated]';
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets, depth + 1));
  if (Buffer.isBuffer(value)) return `<Buffer ${value.length} bytes>`;
  if (value instanceof Error) {
    return { name: value.name, message: scrub(value.message, secrets) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, secrets, depth + 1);
  }
  return out;
}

export interface KafkaLogCreatorOptions {
  readonly sink?: KafkaLogSink;
  readonly clientId?: string;
  /** Literal strings scrubbed from every message and field (e.g. the SASL password). */
  readonly secrets?: readonly string[];
}

/** Builds a kafkajs `logCreator` that turns entries into `KafkaLogRecord`s for `sink`. */
export function createKafkaLogCreator(options: KafkaLogCreatorOptions = {}): logCreator {
  const sink = options.sink ?? jsonLineSink();
  // An empty string would "match" everywhere and blank out every message.
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  return () => (entry: LogEntry) => {
    const { timestamp, message, logger: _logger, ...rest } = entry.log;
    const record: KafkaLogRecord = {
      time: typeof timestamp === 'string' ? timestamp : new Date().toISOString(),
      level: LEVEL_NAMES[entry.level] ?? 'info',
      event: 'kafkajs.log',
      namespace: entry.namespace,
      message: scrub(String(message), secrets),
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
      fields: redact(rest, secrets) as Record<string, unknown>,
    };
    try {
      sink(record);
    } catch {
      // A broken sink must never take the Kafka client down with it.
    }
  };
}

/** Writes one JSON object per line (default: stderr). */
export function jsonLineSink(
  write: (line: string) => void = (line) => process.stderr.write(line),
): KafkaLogSink {
  return (record) => write(`${JSON.stringify(record)}\n`);
}

/** Routes records into a Nest `Logger`, so they follow whatever logger the app installed. */
export function nestLoggerSink(
  logger: Pick<Logger, 'error' | 'warn' | 'log' | 'debug'> = new Logger('kafkajs'),
): KafkaLogSink {
  return (record) => {
    switch (record.level) {
      case 'error':
        logger.error(record);
        return;
      case 'warn':
        logger.warn(record);
        return;
      case 'info':
        logger.log(record);
        return;
      case 'debug':
        logger.debug(record);
        return;
    }
  };
}

/** Drops everything; for tests that provoke connection errors on purpose. */
export const silentSink: KafkaLogSink = () => undefined;
