import { serviceNames } from '@platform/config';

/** The PostgreSQL schema holding the registry's tables, unless configured otherwise. */
export const DEFAULT_DB_SCHEMA = 'schema_registry';
export const DB_SCHEMA_ENV = 'SCHEMA_REGISTRY_DB_SCHEMA';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Explicit option, then `SCHEMA_REGISTRY_DB_SCHEMA`, then `schema_registry`, the last two
 * prefixed by the namespace. The name is
 * interpolated into DDL and queries, so only plain lower-case identifiers are accepted.
 */
export function resolveDbSchema(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  // The variable and its default are prefixed by the run's namespace (NAMESPACE).
  const name = explicit ?? serviceNames(env).registryDbSchema;
  if (!IDENTIFIER.test(name)) {
    throw new Error(
      `invalid PostgreSQL schema name '${name}' (${explicit === undefined ? DB_SCHEMA_ENV : 'dbSchema option'}): use lower-case letters, digits and _, at most 63`,
    );
  }
  return name;
}

/** `"schema"."table"`; both parts are validated identifiers. */
export function qualified(schema: string, table: string): string {
  return `"${schema}"."${table}"`;
}
