import { clickHouseType } from '../clickhouse/clickhouse-ddl';
import { quoteIdentifier } from '../clickhouse/clickhouse-literal';
import { ClickHouseSink } from '../clickhouse/clickhouse.sink';
import { PostgresSink } from '../postgres/postgres.sink';
import { SinkError } from '../sink.error';
import type { ColumnSpec, Sink, SinkValue, TableSchema } from '../sink.port';
import { keyValue } from './table-bindings';

/** Deletes rows by key, keeping any row whose version is newer than the given one. */
export type RowDeleter = (
  table: string,
  schema: TableSchema,
  rows: readonly Readonly<Record<string, unknown>>[],
) => Promise<void>;

export interface Statement<P> {
  readonly sql: string;
  readonly params: P;
}

function keyColumns(schema: TableSchema): ColumnSpec[] {
  return schema.key.map((name) => {
    const spec = schema.columns.find((c) => c.name === name);
    if (spec === undefined) throw new SinkError('INVALID_SCHEMA', `key column ${name} missing`);
    return spec;
  });
}

/**
 * `ALTER TABLE db.t DELETE WHERE (key = … AND version <= …) OR …`: a mutation. ClickHouse
 * applies it to the parts that exist when it is issued, so a row inserted after it survives.
 * On servers before 20.x mutations run asynchronously: the rows go away shortly after.
 */
export function clickHouseDeleteStatement(
  database: string,
  table: string,
  schema: TableSchema,
  rows: readonly Readonly<Record<string, unknown>>[],
  dateTime64: boolean,
): Statement<Record<string, SinkValue>> {
  const keys = keyColumns(schema);
  const params: Record<string, SinkValue> = {};
  let n = 0;
  const features = {
    version: '',
    ttl: false,
    queryParams: false,
    dateTime64,
    asyncInsert: false,
    insertDeduplicationToken: false,
  };
  const clauses = rows.map((row) => {
    const conds = keys.map((spec) => {
      const name = `p${n++}`;
      params[name] = keyValue(row[spec.name]);
      return `${quoteIdentifier(spec.name)} = {${name}:${clickHouseType({ ...spec, nullable: false }, features)}}`;
    });
    if (schema.versionColumn !== undefined) {
      const name = `p${n++}`;
      params[name] = keyValue(row[schema.versionColumn]);
      conds.push(`${quoteIdentifier(schema.versionColumn)} <= {${name}:Int64}`);
    }
    return `(${conds.join(' AND ')})`;
  });
  return {
    sql: `ALTER TABLE ${quoteIdentifier(database)}.${quoteIdentifier(table)} DELETE WHERE ${clauses.join(' OR ')}`,
    params,
  };
}

const pgIdent = (name: string): string => `"${name}"`;

/** `DELETE FROM schema.t WHERE (key = $1 AND version <= $2) OR …`. */
export function postgresDeleteStatement(
  dbSchema: string,
  table: string,
  schema: TableSchema,
  rows: readonly Readonly<Record<string, unknown>>[],
): Statement<SinkValue[]> {
  const keys = keyColumns(schema);
  const params: SinkValue[] = [];
  const clauses = rows.map((row) => {
    const conds = keys.map((spec) => {
      const v = keyValue(row[spec.name]);
      params.push(
        (spec.type === 'timestamp' || spec.type === 'datetime') && typeof v === 'number'
          ? new Date(v)
          : v,
      );
      return `${pgIdent(spec.name)} = $${params.length}`;
    });
    if (schema.versionColumn !== undefined) {
      params.push(keyValue(row[schema.versionColumn]));
      conds.push(`${pgIdent(schema.versionColumn)} <= $${params.length}`);
    }
    return `(${conds.join(' AND ')})`;
  });
  return {
    sql: `DELETE FROM ${pgIdent(dbSchema)}.${pgIdent(table)} WHERE ${clauses.join(' OR ')}`,
    params,
  };
}

/** The deleter of a sink, by driver; sinks without one refuse retractions (non-retriable). */
export function rowDeleterFor(
  sink: Sink,
  names: { readonly clickhouseDatabase: string; readonly postgresSchema: string },
): RowDeleter {
  if (sink instanceof ClickHouseSink) {
    return async (table, schema, rows) => {
      const s = clickHouseDeleteStatement(
        names.clickhouseDatabase,
        table,
        schema,
        rows,
        sink.features.dateTime64,
      );
      await sink.query(s.sql, s.params);
    };
  }
  if (sink instanceof PostgresSink) {
    return async (table, schema, rows) => {
      const s = postgresDeleteStatement(names.postgresSchema, table, schema, rows);
      await sink.query(s.sql, s.params);
    };
  }
  return () =>
    Promise.reject(
      new SinkError('INVALID_ARGUMENT', `sink ${sink.name} cannot delete retracted windows`, {
        retriable: false,
        sink: sink.name,
      }),
    );
}
