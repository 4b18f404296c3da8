import { clickHouseType } from '../clickhouse/clickhouse-ddl';
import { quoteIdentifier } from '../clickhouse/clickhouse-literal';
import { pgIdent } from '../postgres/postgres-sql';
import { SinkError } from '../sink.error';
import type { ColumnSpec, SinkValue, TableSchema } from '../sink.port';
import { keyValue } from './table-bindings';

/** The retraction deletes of the SQL drivers (`Sink.deleteWindows`), as pure statements. */

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
