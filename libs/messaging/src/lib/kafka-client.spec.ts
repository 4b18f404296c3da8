import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { compressionCodec, createKafka, DEFAULT_RETRY, toKafkaConfig } from './kafka-client';
import type { KafkaLogRecord } from './kafka-logger';
import type { KafkaSettings } from '@platform/config';
import { MessagingError } from './messaging.error';

const PEM_CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';

const base: KafkaSettings = {
  brokers: ['127.0.0.1:9092', '127.0.0.1:9094'],
  client_id: 'streaming-platform',
  ssl: false,
  compression: 'none',
  connection_timeout_ms: 3000,
  request_timeout_ms: 30000,
  default_partitions: 3,
  replication_factor: 1,
};

describe(toKafkaConfig.name, () => {
  it('maps brokers, client id, timeouts and the retry policy', () => {
    const config = toKafkaConfig(base);
    expect(config.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9094']);
    expect(config.clientId).toBe('streaming-platform');
    expect(config.connectionTimeout).toBe(3000);
    expect(config.requestTimeout).toBe(30000);
    expect(config.enforceRequestTimeout).toBe(true);
    expect(config.ssl).toBe(false);
    expect(config.sasl).toBeUndefined();
    expect(config.retry).toEqual(DEFAULT_RETRY);
    expect(config.logLevel).toBe(logLevel.INFO);
    expect(typeof config.logCreator).toBe('function');
  });

  it('lets the caller override the client id, log level and parts of the retry policy', () => {
    const config = toKafkaConfig(base, {
      clientId: 'aggregator',
      logLevel: 'warn',
      retry: { retries: 2 },
    });
    expect(config.clientId).toBe('aggregator');
    expect(config.logLevel).toBe(logLevel.WARN);
    expect(config.retry).toEqual({ ...DEFAULT_RETRY, retries: 2 });
  });

  it('does not share the brokers array with the settings object', () => {
    const config = toKafkaConfig(base);
    expect(config.brokers).not.toBe(base.brokers);
  });

  it('rejects an empty broker list', () => {
    expect(() => toKafkaConfig({ ...base, brokers: [] })).toThrow(MessagingError);
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    'maps SASL %s with its credentials',
    (mechanism) => {
      const config = toKafkaConfig({
        ...base,
        sasl: { mechanism, username: 'svc', password: 's3cr3t' },
      });
      expect(config.sasl).toEqual({ mechanism, username: 'svc', password: 's3cr3t' });
    },
  );

  it('never lets the SASL password reach the log sink', () => {
    const records: KafkaLogRecord[] = [];
    const config = toKafkaConfig(
      { ...base, sasl: { mechanism: 'plain', username: 'svc', password: 'hunter2-pass' } },
      { logger: (r) => records.push(r) },
    );
    const log = config.logCreator?.(logLevel.DEBUG);
    log?.({
      namespace: 'SASLPlainAuthenticator',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: '2024-01-01T00:00:00.000Z',
        message: 'auth failed for svc with hunter2-pass',
        sasl: { mechanism: 'plain', username: 'svc', password: 'hunter2-pass' },
        password: 'hunter2-pass',
        detail: { nested: 'token=hunter2-pass' },
      },
    });
    expect(records).toHaveLength(1);
    expect(JSON.stringify(records)).not.toContain('hunter2-pass');
    expect(records[0]).toMatchObject({
      level: 'error',
      event: 'kafkajs.log',
      namespace: 'SASLPlainAuthenticator',
      clientId: 'streaming-platform',
      message: 'auth failed for svc with [REDACTED]',
      fields: {
        sasl: '[REDACTED]',
        password: '[REDACTED]',
        detail: { nested: 'token=[REDACTED]' },
      },
    });
  });

  it('routes every broker connection through connectVia when asked, and only then', () => {
    expect(toKafkaConfig(base).socketFactory).toBeUndefined();
    const routed = toKafkaConfig(base, { connectVia: { host: '127.0.0.1', port: 1 } });
    expect(routed.socketFactory).toBeInstanceOf(Function);
  });
});

describe('kafka.ssl', () => {
  it('reaches kafkajs as tls options', () => {
    expect(toKafkaConfig({ ...base, ssl: true }).ssl).toBe(true);
    expect(toKafkaConfig({ ...base, ssl: { ca: PEM_CA, reject_unauthorized: false } }).ssl).toEqual(
      { ca: [PEM_CA], rejectUnauthorized: false },
    );
  });

  it('names the key of a file path given where PEM contents are expected', () => {
    expect(() => toKafkaConfig({ ...base, ssl: { ca: '/etc/kafka/ca.pem' } })).toThrow(
      /kafka\.ssl\.ca: must hold PEM contents/,
    );
  });
});

describe(compressionCodec.name, () => {
  it('maps none and gzip to kafkajs codecs', () => {
    expect(compressionCodec({ compression: 'none' })).toBe(CompressionTypes.None);
    expect(compressionCodec({ compression: 'gzip' })).toBe(CompressionTypes.GZIP);
  });
});

describe(createKafka.name, () => {
  it('builds a kafkajs client without connecting', () => {
    expect(createKafka(base, { logger: () => undefined })).toBeInstanceOf(Kafka);
  });
});
