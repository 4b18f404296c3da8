import { loadAppSettings, registrySection, serviceNames, type Env } from '@platform/config';

/** The PostgreSQL schema holding the registry's tables, unless configured otherwise. */
export const DEFAULT_DB_SCHEMA = registrySection.schema.shape.dbSchema.parse(undefined);

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Explicit option, else the `registry` section's `dbSchema` (`SCHEMA_REGISTRY_DB_SCHEMA`, then
 * `schema_registry`, validated by the platform config) prefixed by the run's namespace. The
 * name is interpolated into DDL and queries, so only plain lower-case identifiers are accepted.
 */
export function resolveDbSchema(explicit: string | undefined, env: Env): string {
  if (explicit === undefined) loadAppSettings(registrySection, env); // a bad variable: ConfigError
  const name = explicit ?? serviceNames(env).registryDbSchema;
  if (!IDENTIFIER.test(name)) {
    throw new Error(
      `invalid PostgreSQL schema name '${name}' (${explicit === undefined ? 'SCHEMA_REGISTRY_DB_SCHEMA with its namespace' : 'dbSchema option'}): use lower-case letters, digits and _, at most 63`,
    );
  }
  return name;
}

/** `"schema"."table"`; both parts are validated identifiers. */
export function qualified(schema: string, table: string): string {
  return `"${schema}"."${table}"`;
}
