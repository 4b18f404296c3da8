import { parse } from 'yaml';
import { ConfigError } from './config.error';
import { setAtPath, type PlainObject } from './path';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigLayer {
  /** `platform.yaml`, `environments/dev.yaml`, `env:KAFKA_BOOTSTRAP_URI`, `argument:domain`. */
  readonly source: string;
  readonly data: PlainObject;
}

export const GENERIC_ENV_PREFIX = 'PLATFORM__';

/** The named variables, in the order they apply; the generic `PLATFORM__` ones come after. */
const NAMED_VARIABLES: readonly { name: string; path: readonly string[] }[] = [
  { name: 'DOMAIN', path: ['domain'] },
  { name: 'VERSION', path: ['version'] },
  { name: 'ENVIRONMENT', path: ['environment'] },
  { name: 'KAFKA_BOOTSTRAP_URI', path: ['kafka', 'brokers'] },
  { name: 'KAFKA_CREATE_TOPICS', path: ['kafka', 'create_topics'] },
  { name: 'CLICKHOUSE_CLUSTER', path: ['clickhouse', 'cluster'] },
];

/**
 * One layer per environment variable, so provenance can name the variable. Empty
 * variables are ignored. `skip` drops named variables an explicit argument overrides.
 */
export function envLayers(env: Env, skip: ReadonlySet<string> = new Set()): ConfigLayer[] {
  const layers: ConfigLayer[] = [];
  for (const { name, path } of NAMED_VARIABLES) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '' || skip.has(name)) continue;
    const value =
      name === 'KAFKA_BOOTSTRAP_URI'
        ? parseBootstrapUri(raw)
        : name === 'KAFKA_CREATE_TOPICS'
          ? parseEnvValue(raw)
          : raw.trim();
    layers.push(layerOf(`env:${name}`, path, value));
  }
  const generic = Object.keys(env)
    .filter((name) => name.startsWith(GENERIC_ENV_PREFIX))
    .sort();
  for (const name of generic) {
    const raw = env[name];
    if (raw === undefined) continue;
    const path = name.slice(GENERIC_ENV_PREFIX.length).split('__');
    if (path.some((segment) => segment === '')) {
      const message = `environment variable ${name} has an empty path segment (use PLATFORM__section__key)`;
      throw new ConfigError('CONFIG_INVALID', `Invalid configuration:\n  - ${message}`, [
        { path: [], source: `env:${name}`, message },
      ]);
    }
    layers.push(layerOf(`env:${name}`, path, parseEnvValue(raw)));
  }
  return layers;
}

/**
 * `kafka://h1:9092,h2:9092`, `h1:9092,h2:9092` or `kafka://h1:9092,kafka://h2:9092`:
 * a scheme on any entry is dropped, as is a trailing slash.
 */
export function parseBootstrapUri(uri: string): string[] {
  return uri
    .split(',')
    .map((entry) =>
      entry
        .trim()
        .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
        .replace(/\/+$/, ''),
    )
    .filter((entry) => entry !== '');
}

/**
 * A value as YAML would read it after `key: `: `3` is a number, `true` a boolean, `[a, b]`
 * a list, `{ca: x}` a map. Text YAML cannot read (`p@ss:{`) stays as the literal string.
 */
export function parseEnvValue(raw: string): unknown {
  if (raw.trim() === '') return '';
  // PEM contents (a certificate from a Kubernetes Secret): YAML would fold its lines.
  if (raw.trimStart().startsWith('-----BEGIN ')) return raw;
  try {
    const value: unknown = parse(raw);
    return value === undefined ? raw : value;
  } catch {
    return raw;
  }
}

function layerOf(source: string, path: readonly string[], value: unknown): ConfigLayer {
  const data: PlainObject = {};
  setAtPath(data, path, value);
  return { source, data };
}
