import { z } from 'zod';
import type { DomainModel } from '@platform/contracts';

/** `host:port`, `[::1]:9092`; the port within 1..65535. */
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?):(\d{1,5})$/;

export function isHostPort(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = HOST_PORT.exec(value);
  if (!match) return false;
  const port = Number(match[3]);
  return port >= 1 && port <= 65535;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 3000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30000;

const BROKERS_RULE = 'expected an array of host:port strings';

const text = z.string().min(1);
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http or https URL' });
const positiveInt = z.number().int().min(1);
const port = z.number().int().min(1).max(65535);

/**
 * TLS to a server (Kafka, PostgreSQL, ClickHouse): `false`, `true` (the system's trust store),
 * or PEM contents for a private CA and a client certificate (see `tlsOptions`).
 */
const tlsSchema = z.union(
  [
    z.boolean(),
    z.strictObject({
      ca: z.string().optional(),
      cert: z.string().optional(),
      key: z.string().optional(),
      reject_unauthorized: z.boolean().optional(),
    }),
  ],
  { error: 'expected true, false or a map of ca, cert, key, reject_unauthorized' },
);

const kafkaSchema = z.strictObject({
  brokers: z.custom<string[]>(
    (value) => Array.isArray(value) && value.length > 0 && value.every(isHostPort),
    { error: BROKERS_RULE },
  ),
  client_id: text.default('streaming-platform'),
  ssl: tlsSchema.default(false),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: text,
      password: z.string(),
    })
    .optional(),
  compression: z.enum(['none', 'gzip']).default('none'),
  connection_timeout_ms: positiveInt.default(DEFAULT_CONNECTION_TIMEOUT_MS),
  request_timeout_ms: positiveInt.default(DEFAULT_REQUEST_TIMEOUT_MS),
  default_partitions: positiveInt.default(3),
  replication_factor: positiveInt.default(1),
  /**
   * `false` where an operator owns the topics (Strimzi `KafkaTopic`s): the services then only
   * check that every topic they need exists, and fail naming the missing ones. Unset: true.
   */
  create_topics: z.boolean().optional(),
});

/**
 * The start of topic names: Kafka's characters, and short enough that a topic (namespace,
 * prefix and a 63-character name) stays within Kafka's 249.
 */
const topicPrefix = z
  .string()
  .regex(
    /^[A-Za-z0-9._-]{1,150}$/,
    'must be a topic-name prefix: letters, digits, ".", "_" and "-", at most 150 characters with the namespace',
  );

const topicsSchema = z.strictObject({
  events: topicPrefix.default('events'),
  aggregates: topicPrefix.default('aggregates'),
  dlq: topicPrefix.default('dlq'),
  late: topicPrefix.default('late'),
  subscriptions: topicPrefix.default('subscriptions'),
});

const schemaRegistrySchema = z.strictObject({ url: httpUrl });

const clickhouseSchema = z.strictObject({
  url: httpUrl,
  database: text.default('platform'),
  username: text.default('default'),
  // Credentials have no defaults: an empty password must be written down on purpose.
  password: z.string(),
  /**
   * A cluster of the server's `remote_servers` (the ClickHouse operator's cluster name):
   * tables are created `ON CLUSTER` with replicated engines. Unset: one server.
   */
  cluster: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'expected a cluster name (letters, digits, _ and -)')
    .optional(),
  /**
   * TLS is chosen by an `https://` url (the system's trust store); a map adds a private CA, a
   * client certificate or `reject_unauthorized`, as `postgres.ssl`.
   */
  ssl: tlsSchema.default(false),
});

const postgresSchema = z.strictObject({
  host: text,
  port: port.default(5432),
  database: text.default('postgres'),
  username: text.default('postgres'),
  password: z.string(),
  schema: text.default('platform'),
  /** TLS to PostgreSQL, as `kafka.ssl`; managed servers usually require it. */
  ssl: tlsSchema.default(false),
});

export const secretsSchema = z.strictObject({
  backend: z.enum(['env', 'file', 'vault']).default('env'),
  file: z.strictObject({ path: text }).optional(),
  vault: z
    .strictObject({
      url: httpUrl,
      mount: text,
      path: text,
      token: z.string().optional(),
      timeout_ms: positiveInt.default(5000),
    })
    .optional(),
});

const loggingSchema = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

/** The platform sections; the domain sections belong to `@platform/contracts`. */
export const platformSectionsSchema = z.strictObject({
  domain: text,
  version: text,
  environment: text,
  /** Set by the loader from `--namespace` / `NAMESPACE`; `''` for none. */
  namespace: z.string().default(''),
  kafka: kafkaSchema,
  topics: topicsSchema.prefault({}),
  schema_registry: schemaRegistrySchema,
  clickhouse: clickhouseSchema,
  postgres: postgresSchema,
  secrets: secretsSchema.prefault({}),
  logging: loggingSchema.prefault({}),
});

/** Top-level keys validated by `validateDomainModel` rather than here. */
export const DOMAIN_KEYS = [
  'contract',
  'entities',
  'event_types',
  'aggregations',
  'processors',
] as const;

/** Every key allowed at the top level: anything else is a typo and an error. */
export const configFileSchema = platformSectionsSchema.extend({
  contract: z.unknown(),
  entities: z.unknown(),
  event_types: z.unknown(),
  aggregations: z.unknown(),
  processors: z.unknown(),
});

export type PlatformSettings = z.output<typeof platformSectionsSchema>;
export type KafkaSettings = PlatformSettings['kafka'];
export type TlsSettings = z.output<typeof tlsSchema>;
export type KafkaSaslSettings = NonNullable<KafkaSettings['sasl']>;
export type TopicPrefixes = PlatformSettings['topics'];
export type SchemaRegistrySettings = PlatformSettings['schema_registry'];
export type ClickHouseSettings = PlatformSettings['clickhouse'];
export type PostgresSettings = PlatformSettings['postgres'];
export type SecretsSettings = PlatformSettings['secrets'];
export type LoggingSettings = PlatformSettings['logging'];

/** The whole validated configuration: platform sections plus the domain model. */
export type PlatformConfig = PlatformSettings & { readonly model: DomainModel };
