import { TableColumnOptions } from 'typeorm';
import { assertIdentifier } from '../identifiers';
import { ColumnSpec, ColumnType, SinkValue, TableSchema } from '../sink.port';

/** PostgreSQL's column type for a schema type. Times: `timestamptz(3)` (see README). */
export function postgresType(type: ColumnType): string {
  switch (type) {
    case 'string':
      return 'text';
    case 'int':
      return 'integer';
    case 'long':
      return 'bigint';
    case 'float':
    case 'double':
      return 'double precision';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
    case 'datetime':
      return 'timestamptz(3)';
    case 'date':
      return 'date';
  }
}

/** TypeORM `Table` column options: the key columns form the primary key. */
export function typeormColumns(schema: TableSchema): TableColumnOptions[] {
  const key = new Set(schema.key);
  return schema.columns.map((c) => {
    const isTime = c.type === 'timestamp' || c.type === 'datetime';
    return {
      name: c.name,
      type: isTime ? 'timestamptz' : postgresType(c.type),
      ...(isTime ? { precision: 3 } : {}),
      isNullable: !key.has(c.name) && c.nullable === true,
      isPrimary: key.has(c.name),
    };
  });
}

/** A double-quoted identifier; throws unless it passes the strict identifier check. */
export function pgIdent(name: string): string {
  return `"${assertIdentifier(name)}"`;
}

export function pgQualified(schema: string, table: string): string {
  return `${pgIdent(schema)}.${pgIdent(table)}`;
}

/**
 * One field of `COPY ... (FORMAT csv)`: NULL is the unquoted empty field, every string is
 * quoted (so an empty string stays an empty string) with quotes doubled. Commas, newlines
 * and any unicode need nothing more inside quotes.
 */
export function copyCsvField(value: SinkValue, type: ColumnType): string {
  if (value === null) return '';
  switch (type) {
    case 'timestamp':
    case 'datetime':
      return new Date(Number(value)).toISOString();
    case 'boolean':
      return value ? 't' : 'f';
    case 'int':
    case 'long':
    case 'float':
    case 'double':
      return typeof value === 'number' && !Number.isFinite(value)
        ? Number.isNaN(value)
          ? 'NaN'
          : value > 0
            ? 'Infinity'
            : '-Infinity'
        : String(value);
    default: {
      const s = value instanceof Date ? value.toISOString() : String(value);
      return `"${s.replace(/"/g, '""')}"`;
    }
  }
}

export function copyCsvLine(values: readonly SinkValue[], specs: readonly ColumnSpec[]): string {
  return values.map((v, i) => copyCsvField(v, specs[i].type)).join(',') + '\n';
}

/**
 * The conflict clause of the idempotent upsert: events (no version) keep the stored row; a
 * versioned row replaces the stored one only when its version is strictly higher, so an
 * older or replayed version changes nothing.
 */
export function conflictClause(
  schema: TableSchema,
  columns: readonly string[],
  targetAlias: string,
): string {
  const key = schema.key.map(pgIdent).join(', ');
  if (schema.versionColumn === undefined) return `ON CONFLICT (${key}) DO NOTHING`;
  const keySet = new Set(schema.key);
  const updates = columns
    .filter((c) => !keySet.has(c))
    .map((c) => `${pgIdent(c)} = EXCLUDED.${pgIdent(c)}`)
    .join(', ');
  const version = pgIdent(schema.versionColumn);
  return `ON CONFLICT (${key}) DO UPDATE SET ${updates} WHERE ${pgIdent(targetAlias)}.${version} < EXCLUDED.${version}`;
}

/**
 * `INSERT ... SELECT` from the staging table. Versioned: one row per key, the highest
 * version, because ON CONFLICT DO UPDATE cannot touch a row twice in one statement.
 * Unversioned: DO NOTHING already skips in-batch duplicates, so no sort is needed.
 */
export function upsertFromStagingSql(
  pgSchema: string,
  table: string,
  staging: string,
  schema: TableSchema,
  columns: readonly string[],
): string {
  const cols = columns.map(pgIdent).join(', ');
  const key = schema.key.map(pgIdent).join(', ');
  const select =
    schema.versionColumn === undefined
      ? `SELECT ${cols} FROM ${pgIdent(staging)}`
      : `SELECT DISTINCT ON (${key}) ${cols} FROM ${pgIdent(staging)} ` +
        `ORDER BY ${key}, ${pgIdent(schema.versionColumn)} DESC`;
  return (
    `INSERT INTO ${pgQualified(pgSchema, table)} AS ${pgIdent('target')} (${cols}) ${select} ` +
    conflictClause(schema, columns, 'target')
  );
}
