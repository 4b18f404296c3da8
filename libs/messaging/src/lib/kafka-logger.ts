import { Logger } from '@nestjs/common';
import { redactSecrets, scrubSecrets } from '@platform/observability';
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

export interface KafkaLogCreatorOptions {
  readonly sink?: KafkaLogSink;
  readonly clientId?: string;
  /** Literal strings scrubbed from every message and field (e.g. the SASL password). */
  readonly secrets?: readonly string[];
}

/** Builds a kafkajs `logCreator` that turns entries into `KafkaLogRecord`s for `sink`. */
export function createKafkaLogCreator(options: KafkaLogCreatorOptions = {}): logCreator {
  const sink = options.sink ?? jsonLineSink();
  const secrets = options.secrets ?? [];
  return () => (entry: LogEntry) => {
    const { timestamp, message, logger: _logger, ...rest } = entry.log;
    const record: KafkaLogRecord = {
      time: typeof timestamp === 'string' ? timestamp : new Date().toISOString(),
      level: LEVEL_NAMES[entry.level] ?? 'info',
      event: 'kafkajs.log',
      namespace: entry.namespace,
      message: scrubSecrets(String(message), secrets),
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
      fields: redactSecrets(rest, secrets) as Record<string, unknown>,
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
