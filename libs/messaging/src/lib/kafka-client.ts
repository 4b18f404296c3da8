// First: replace kafkajs modules that kafkajs binds as it loads (see group-messages.ts).
import './group-messages';
import './request-framing';
import './produce-request-encoder';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, type ISocketFactory, type KafkaConfig, type SASLOptions } from 'kafkajs';
import {
  createKafkaLogCreator,
  toKafkajsLogLevel,
  type KafkaLogLevel,
  type KafkaLogSink,
} from './kafka-logger';
import { tlsOptions, type KafkaSettings } from '@platform/config';
import { MessagingError } from './messaging.error';
import { installReadCommittedFilter } from './read-committed';
import { installProduceRequestEncoder } from './produce-request-encoder';
import { installRecordBatchDecoder } from './record-batch-decoder';
import { Compression, type KafkaClient, type RetryPolicy } from './kafka-port';

/**
 * Client-wide retry policy: exponential backoff from 300 ms, doubling, capped at 30 s per
 * operation and 8 attempts. kafkajs applies it to connects, metadata and admin calls;
 * producers and consumers inherit it unless they pass their own.
 */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  initialRetryTime: 300,
  multiplier: 2,
  factor: 0.2,
  maxRetryTime: 30_000,
  retries: 8,
});

export interface CreateKafkaOptions {
  /** Overrides `settings.client_id`, e.g. to name the service (`aggregator`). */
  readonly clientId?: string;
  /** Where kafkajs log records go; defaults to JSON lines on stderr. */
  readonly logger?: KafkaLogSink;
  /** Defaults to `info`. `KAFKAJS_LOG_LEVEL` in the environment still wins, as kafkajs intends. */
  readonly logLevel?: KafkaLogLevel | 'nothing';
  /** Overrides parts of `DEFAULT_RETRY`. */
  readonly retry?: Readonly<RetryPolicy>;
  /**
   * Opens every broker connection to this address, whatever host and port the cluster
   * metadata advertises. For a TCP proxy in front of a single broker (tests that cut the
   * network): without it the client would follow the advertised listener around the proxy.
   */
  readonly connectVia?: { readonly host: string; readonly port: number };
}

/** A kafkajs socket factory that dials `via` for every broker (kafkajs' own, re-targeted). */
function socketFactoryVia(via: { readonly host: string; readonly port: number }): ISocketFactory {
  return ({ host, ssl, onConnect }) => {
    const socket =
      // kafkajs passes the config's `ssl`: false, true or TLS options.
      (ssl as unknown)
        ? tlsConnect(
            { host: via.host, port: via.port, ...(isIP(host) ? {} : { servername: host }), ...ssl },
            onConnect,
          )
        : netConnect({ host: via.host, port: via.port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

export function toSaslOptions(sasl: KafkaSettings['sasl']): SASLOptions | undefined {
  if (sasl === undefined) return undefined;
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/** Pure mapping of the `kafka` config section to a kafkajs `KafkaConfig` (no I/O). */
export function toKafkaConfig(
  settings: KafkaSettings,
  options: CreateKafkaOptions = {},
): KafkaConfig {
  if (settings.brokers.length === 0) {
    throw new MessagingError('CONFIG_INVALID', 'kafka.brokers must list at least one broker', {
      retriable: false,
    });
  }
  const clientId = options.clientId ?? settings.client_id;
  const sasl = toSaslOptions(settings.sasl);
  const config: KafkaConfig = {
    brokers: [...settings.brokers],
    clientId,
    ssl: tlsOptions(settings.ssl, 'kafka.ssl'),
    connectionTimeout: settings.connection_timeout_ms,
    requestTimeout: settings.request_timeout_ms,
    enforceRequestTimeout: true,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    logLevel: toKafkajsLogLevel(options.logLevel ?? 'info'),
    logCreator: createKafkaLogCreator({
      clientId,
      // Scrub the password even where kafkajs embeds it in a free-text message.
      secrets: sasl === undefined ? [] : [settings.sasl?.password ?? ''],
      ...(options.logger === undefined ? {} : { sink: options.logger }),
    }),
  };
  if (sasl !== undefined) config.sasl = sasl;
  if (options.connectVia !== undefined) config.socketFactory = socketFactoryVia(options.connectVia);
  return config;
}

// kafkajs keeps a client's config private; health probes need it to build a retry-free twin.
const configs = new WeakMap<object, KafkaConfig>();

/** The config a client was built with, if `createKafka` built it. Internal to this lib. */
export function kafkaConfigOf(kafka: object): KafkaConfig | undefined {
  return configs.get(kafka);
}

/**
 * The Kafka client built from the `kafka` config section: the kafkajs adapter of the port
 * (kafka-port.ts). The kafkajs client is returned as it is; that it satisfies `KafkaClient`
 * is checked here by the compiler.
 */
export function createKafka(
  settings: KafkaSettings,
  options: CreateKafkaOptions = {},
): KafkaClient {
  installReadCommittedFilter();
  installRecordBatchDecoder();
  installProduceRequestEncoder();
  const config = toKafkaConfig(settings, options);
  const kafka = new Kafka(config);
  configs.set(kafka, config);
  const client: KafkaClient = kafka;
  return client;
}

/** The producer compression that `kafka.compression` asks for. */
export function compressionCodec(settings: Pick<KafkaSettings, 'compression'>): Compression {
  switch (settings.compression) {
    case 'none':
      return Compression.None;
    case 'gzip':
      return Compression.GZIP;
  }
}
