import { ConfigError } from './config.error';
import type { Env } from './env-overrides';
import { isPlainObject, type PlainObject } from './path';

/** The variable (and `--namespace` flag) naming the run whose names a process uses. */
export const NAMESPACE_ENV = 'NAMESPACE';
/** The variable (and `--domain-file` flag) naming a domain file anywhere on disk. */
export const DOMAIN_FILE_ENV = 'DOMAIN_FILE';

/** Valid as a Kafka name part and as a ClickHouse and PostgreSQL identifier part. */
const NAMESPACE = /^[a-z][a-z0-9_]{0,39}$/;

/** The namespace, validated; `''` when none is set. */
export function checkNamespace(value: string | undefined, source: string): string {
  const name = value?.trim() ?? '';
  if (name !== '' && !NAMESPACE.test(name)) {
    throw new ConfigError(
      'CONFIG_BAD_NAME',
      `Invalid namespace "${name}" (${source}): use a lower-case letter, then lower-case letters, digits and "_", at most 40`,
    );
  }
  return name;
}

/** The namespace a process runs in: `NAMESPACE`, else none (`''`). */
export function namespaceOf(env: Env = process.env): string {
  return checkNamespace(env[NAMESPACE_ENV], `env:${NAMESPACE_ENV}`);
}

/** A Kafka name (topic prefix, group, app or transactional id) of the namespace. */
export function kafkaName(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}.${name}`;
}

/** A ClickHouse database or PostgreSQL schema of the namespace. */
export function sqlName(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}_${name}`;
}

/** The topic prefix keys and the defaults the schema would give them. */
const TOPIC_KEYS = ['events', 'aggregates', 'dlq', 'late', 'subscriptions'] as const;

/**
 * The merged tree with every name the run owns in the config prefixed by the namespace:
 * topic prefixes, `clickhouse.database`, `postgres.schema`. The layer is what changed,
 * for provenance.
 */
export function namespaceLayer(merged: PlainObject, namespace: string): PlainObject {
  const section = (key: string): PlainObject => {
    const value = merged[key];
    return isPlainObject(value) ? value : {};
  };
  const topics: PlainObject = {};
  for (const key of TOPIC_KEYS) {
    const value = section('topics')[key];
    topics[key] = kafkaName(namespace, typeof value === 'string' ? value : key);
  }
  const database = section('clickhouse')['database'];
  const schema = section('postgres')['schema'];
  return {
    topics,
    clickhouse: {
      database: sqlName(namespace, typeof database === 'string' ? database : 'platform'),
    },
    postgres: { schema: sqlName(namespace, typeof schema === 'string' ? schema : 'platform') },
  };
}

/**
 * Names the services own outside the platform config, each with the variable that overrides
 * it; the namespace prefixes the default and the override alike.
 */
const SERVICE_NAMES = {
  aggregatorAppId: { variable: 'AGGREGATOR_APP_ID', fallback: 'aggregator', kind: 'kafka' },
  sinkWriterGroupId: { variable: 'SINK_WRITER_GROUP_ID', fallback: 'sink-writer', kind: 'kafka' },
  gatewaySubscriptionsGroupId: {
    variable: 'GATEWAY_SUBSCRIPTIONS_GROUP_ID',
    fallback: 'ingestion-gateway-subscriptions',
    kind: 'kafka',
  },
  gatewayDbSchema: { variable: 'GATEWAY_DB_SCHEMA', fallback: 'ingestion_gateway', kind: 'sql' },
  registryDbSchema: {
    variable: 'SCHEMA_REGISTRY_DB_SCHEMA',
    fallback: 'schema_registry',
    kind: 'sql',
  },
} as const;

export type ServiceNames = { readonly [K in keyof typeof SERVICE_NAMES]: string };

/** Label of each service name in `config explain`. */
export const SERVICE_NAME_LABELS: { readonly [K in keyof ServiceNames]: string } = {
  aggregatorAppId: 'aggregator.app_id (group, internal topics, transactional ids)',
  sinkWriterGroupId: 'sink_writer.group_id',
  gatewaySubscriptionsGroupId: 'gateway.subscriptions_group_id',
  gatewayDbSchema: 'gateway.db_schema',
  registryDbSchema: 'schema_registry.db_schema',
};

/** The service-owned names of the process's namespace (`NAMESPACE`), overrides applied. */
export function serviceNames(env: Env = process.env): ServiceNames {
  const namespace = namespaceOf(env);
  const nameOf = (key: keyof ServiceNames): string => {
    const spec = SERVICE_NAMES[key];
    const raw = env[spec.variable]?.trim();
    const name = raw === undefined || raw === '' ? spec.fallback : raw;
    return spec.kind === 'kafka' ? kafkaName(namespace, name) : sqlName(namespace, name);
  };
  return {
    aggregatorAppId: nameOf('aggregatorAppId'),
    sinkWriterGroupId: nameOf('sinkWriterGroupId'),
    gatewaySubscriptionsGroupId: nameOf('gatewaySubscriptionsGroupId'),
    gatewayDbSchema: nameOf('gatewayDbSchema'),
    registryDbSchema: nameOf('registryDbSchema'),
  };
}

/** Flags every service and CLI takes, each the same as its variable. */
const RUN_FLAGS: Readonly<Record<string, string>> = {
  '--namespace': NAMESPACE_ENV,
  '--domain-file': DOMAIN_FILE_ENV,
  '--domain': 'DOMAIN',
};

/**
 * Takes `--namespace`, `--domain-file` (and `--domain` unless `keepDomain`) out of `argv`,
 * in `--flag value` or `--flag=value` form, and sets their variables in `env`, so the config
 * loader and every service setting see the same run. Returns the other arguments.
 */
export function takeRunFlags(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  options: { readonly keepDomain?: boolean } = {},
): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [flag = '', inline] = arg.split(/=(.*)/s, 2);
    const variable = RUN_FLAGS[flag];
    if (variable === undefined || (flag === '--domain' && options.keepDomain === true)) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value === '') {
      throw new ConfigError('CONFIG_BAD_NAME', `${flag} needs a value`);
    }
    env[variable] = value;
  }
  if (env[NAMESPACE_ENV] !== undefined) namespaceOf(env);
  return rest;
}
