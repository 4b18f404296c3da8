import {
  AggregationSpec,
  AggregationType,
  DomainModel,
  EventTypeSpec,
  FieldType,
  fieldsOf,
} from '@platform/contracts';
import { assertIdentifier } from './identifiers';
import { SinkError } from './sink.error';
import { COLUMN_TYPES, ColumnSpec, ColumnType, TableSchema } from './sink.port';

/**
 * Checks a schema before any DDL is built from it: identifiers, known types, key and
 * version columns that exist and are not nullable. Throws `INVALID_SCHEMA`.
 */
export function validateTableSchema(table: string, schema: TableSchema): void {
  assertIdentifier(table, 'table name');
  const fail = (message: string): never => {
    throw new SinkError('INVALID_SCHEMA', `table ${table}: ${message}`);
  };
  if (schema.columns.length === 0) fail('has no columns');
  const byName = new Map<string, ColumnSpec>();
  for (const column of schema.columns) {
    assertIdentifier(column.name, `column name in ${table}`);
    if (!(COLUMN_TYPES as readonly string[]).includes(column.type)) {
      fail(`column ${column.name} has unknown type ${JSON.stringify(column.type)}`);
    }
    if (byName.has(column.name)) fail(`column ${column.name} is declared twice`);
    byName.set(column.name, column);
  }
  if (schema.key.length === 0) fail('has an empty key');
  const mustBeRequired = (name: string, role: string): void => {
    const column = byName.get(name);
    if (!column) fail(`${role} column ${name} is not a column of the table`);
    else if (column.nullable) fail(`${role} column ${name} must not be nullable`);
  };
  schema.key.forEach((k) => mustBeRequired(k, 'key'));
  (schema.orderBy ?? []).forEach((k) => mustBeRequired(k, 'orderBy'));
  if (schema.versionColumn !== undefined) {
    mustBeRequired(schema.versionColumn, 'version');
    const type = byName.get(schema.versionColumn)?.type;
    if (type !== 'int' && type !== 'long' && type !== 'timestamp' && type !== 'datetime') {
      fail(`version column ${schema.versionColumn} must be int, long, timestamp or datetime`);
    }
    if (schema.key.includes(schema.versionColumn))
      fail('the version column cannot be part of the key');
  }
}

const fieldColumnType = (type: FieldType): ColumnType => type;

/**
 * The table of raw events of one type: `event_id`, `timestamp`, the entity's primary key,
 * the dimensions (required) and the attributes (nullable). Keyed by `event_id`.
 */
export function eventTableSchema(eventType: EventTypeSpec, model: DomainModel): TableSchema {
  const optional = new Set(eventType.attributes.map((a) => a.name));
  const columns: ColumnSpec[] = [...fieldsOf(eventType, model.entities)].map(([name, type]) => ({
    name,
    type: fieldColumnType(type),
    nullable: optional.has(name),
  }));
  return {
    columns,
    orderBy: ['timestamp'],
    key: ['event_id'],
    timeSeries: {
      column: 'timestamp',
      ...(eventType.retentionMs === undefined ? {} : { retentionMs: eventType.retentionMs }),
    },
  };
}

/** Type of an aggregation's `value`: the result table's column and the query's output. */
export function aggregateValueType(
  type: AggregationType,
  fieldType: FieldType | undefined,
): FieldType {
  switch (type) {
    case 'count':
    case 'count_distinct':
      return 'long';
    case 'avg':
      return 'double';
    case 'sum':
      return fieldType === 'int' || fieldType === 'long' ? 'long' : 'double';
    case 'min':
    case 'max':
    case 'first':
    case 'last':
      return fieldType ?? 'double';
  }
}

/**
 * The table of one aggregation's results: `window_start`, `window_end`, the group-by
 * fields, `value`, `event_count` and `version`. Keyed by window and group; the highest
 * version of a window wins, so a re-emitted (late-updated) window replaces the old row and a
 * replay of an old version changes nothing.
 */
export function aggregateTableSchema(
  aggregation: AggregationSpec,
  model: DomainModel,
): TableSchema {
  const eventType = model.eventTypes.find((e) => e.name === aggregation.eventType);
  if (!eventType) {
    throw new SinkError(
      'INVALID_SCHEMA',
      `aggregation ${aggregation.name} refers to unknown event type ${aggregation.eventType}`,
    );
  }
  const fields = fieldsOf(eventType, model.entities);
  const groupColumns: ColumnSpec[] = aggregation.groupBy.map((name) => {
    const type = fields.get(name);
    if (!type) {
      throw new SinkError(
        'INVALID_SCHEMA',
        `aggregation ${aggregation.name} groups by unknown field ${name}`,
      );
    }
    // Key columns are never nullable (a primary key in PostgreSQL, a sorting key in ClickHouse).
    return { name, type: fieldColumnType(type) };
  });
  const fieldType = aggregation.field === undefined ? undefined : fields.get(aggregation.field);
  const countLike = aggregation.type === 'count' || aggregation.type === 'count_distinct';
  return {
    columns: [
      { name: 'window_start', type: 'timestamp' },
      { name: 'window_end', type: 'timestamp' },
      ...groupColumns,
      {
        name: 'value',
        type: aggregateValueType(aggregation.type, fieldType),
        nullable: !countLike,
      },
      { name: 'event_count', type: 'long' },
      { name: 'version', type: 'long' },
    ],
    orderBy: [],
    key: ['window_start', 'window_end', ...aggregation.groupBy],
    versionColumn: 'version',
  };
}
