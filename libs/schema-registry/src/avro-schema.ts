import {
  AggregationSpec,
  DomainModel,
  EVENT_ID_FIELD,
  EVENT_TIMESTAMP_FIELD,
  EntitySpec,
  EventTypeSpec,
  FieldSpec,
  FieldType,
  entityOf,
  findEventType,
} from '@platform/contracts';

/**
 * Avro schemas derived from the domain model. Pure: the same model always gives the same
 * schemas, byte for byte once passed through `toJson`, so re-registering them is a no-op.
 */

export const DEFAULT_EVENT_NAMESPACE = 'com.streaming.events';

export type AvroPrimitiveName = 'string' | 'int' | 'long' | 'float' | 'double' | 'boolean';

export interface AvroTimestampMillis {
  readonly type: 'long';
  readonly logicalType: 'timestamp-millis';
}

export type AvroValueType = AvroPrimitiveName | AvroTimestampMillis;

/** An optional value: null first, so that `"default": null` is legal. */
export type AvroNullable = readonly ['null', AvroValueType];

export type AvroFieldType = AvroValueType | AvroNullable;

export interface AvroField {
  readonly name: string;
  readonly type: AvroFieldType;
  readonly doc?: string;
  /** Present (and null) exactly when the type is nullable. */
  readonly default?: null;
}

export interface AvroRecordSchema {
  readonly type: 'record';
  readonly namespace: string;
  readonly name: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

export const TIMESTAMP_MILLIS: AvroTimestampMillis = {
  type: 'long',
  logicalType: 'timestamp-millis',
};

/** Field names every aggregate record carries besides its group-by fields. */
export const AGGREGATE_WINDOW_START_FIELD = 'window_start';
export const AGGREGATE_WINDOW_END_FIELD = 'window_end';
export const AGGREGATE_VALUE_FIELD = 'value';
export const AGGREGATE_VERSION_FIELD = 'version';
export const AGGREGATE_EVENT_COUNT_FIELD = 'event_count';
export const AGGREGATE_RESERVED_FIELDS: readonly string[] = [
  AGGREGATE_WINDOW_START_FIELD,
  AGGREGATE_WINDOW_END_FIELD,
  AGGREGATE_VALUE_FIELD,
  AGGREGATE_VERSION_FIELD,
  AGGREGATE_EVENT_COUNT_FIELD,
];

/** Aggregate records live beside the events, in `<contract namespace>.aggregates`. */
export const aggregateNamespace = (eventNamespace: string): string =>
  `${eventNamespace}.aggregates`;

export function avroTypeOf(type: FieldType): AvroValueType {
  switch (type) {
    case 'timestamp':
      // A fresh object each time: callers may hand the schema to code that mutates it.
      return { ...TIMESTAMP_MILLIS };
    case 'string':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'boolean':
      return type;
  }
}

const required = (name: string, type: FieldType, doc?: string): AvroField =>
  withDoc({ name, type: avroTypeOf(type) }, doc);

const nullable = (name: string, type: FieldType, doc?: string): AvroField =>
  withDoc({ name, type: ['null', avroTypeOf(type)], default: null }, doc);

function withDoc(field: AvroField, doc: string | undefined): AvroField {
  return doc === undefined ? field : { ...field, doc };
}

const fromSpec = (field: FieldSpec, optional: boolean): AvroField =>
  (optional ? nullable : required)(field.name, field.type, field.description);

/**
 * The value schema of `events.<type>`: event_id, timestamp, the entity's primary key,
 * the attributes (nullable, default null) and the dimensions (required), in that order.
 */
export function generateEventSchema(
  eventType: EventTypeSpec,
  entity: Pick<EntitySpec, 'primaryKey'> & Partial<Pick<EntitySpec, 'primaryKeyType'>>,
  namespace: string = DEFAULT_EVENT_NAMESPACE,
): AvroRecordSchema {
  const fields: AvroField[] = [
    required(EVENT_ID_FIELD, 'string'),
    required(EVENT_TIMESTAMP_FIELD, 'timestamp'),
    required(entity.primaryKey, entity.primaryKeyType ?? 'string'),
    ...eventType.attributes.map((a) => fromSpec(a, true)),
    ...eventType.dimensions.map((d) => fromSpec(d, false)),
  ];
  return {
    type: 'record',
    namespace,
    name: eventType.name,
    ...(eventType.description === undefined ? {} : { doc: eventType.description }),
    fields,
  };
}

/** One schema per event type, keyed by event type name. */
export function generateAllSchemas(model: DomainModel): Record<string, AvroRecordSchema> {
  const schemas: Record<string, AvroRecordSchema> = {};
  for (const eventType of model.eventTypes) {
    schemas[eventType.name] = generateEventSchema(
      eventType,
      entityOf(model, eventType),
      model.contract.namespace,
    );
  }
  return schemas;
}

interface EventFieldInfo {
  readonly type: FieldType;
  /** Attributes may be null; event_id, timestamp, the key and dimensions never are. */
  readonly optional: boolean;
}

function eventFields(model: DomainModel, eventType: EventTypeSpec): Map<string, EventFieldInfo> {
  const entity = entityOf(model, eventType);
  const fields = new Map<string, EventFieldInfo>([
    [EVENT_ID_FIELD, { type: 'string', optional: false }],
    [EVENT_TIMESTAMP_FIELD, { type: 'timestamp', optional: false }],
    [entity.primaryKey, { type: entity.primaryKeyType, optional: false }],
  ]);
  for (const a of eventType.attributes) fields.set(a.name, { type: a.type, optional: true });
  for (const d of eventType.dimensions) fields.set(d.name, { type: d.type, optional: false });
  return fields;
}

function valueField(aggregation: AggregationSpec, fields: Map<string, EventFieldInfo>): AvroField {
  switch (aggregation.type) {
    case 'count':
    case 'count_distinct':
      return required(AGGREGATE_VALUE_FIELD, 'long');
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
      return required(AGGREGATE_VALUE_FIELD, 'double');
    case 'first':
    case 'last': {
      // The chosen event may lack an optional attribute, so the value may be null.
      const field = lookupField(aggregation, fields, aggregation.field, 'field');
      return nullable(AGGREGATE_VALUE_FIELD, field.type);
    }
  }
}

function lookupField(
  aggregation: AggregationSpec,
  fields: Map<string, EventFieldInfo>,
  name: string | undefined,
  role: string,
): EventFieldInfo {
  const field = name === undefined ? undefined : fields.get(name);
  if (!field) {
    throw new Error(
      `aggregation "${aggregation.name}": ${role} "${name ?? ''}" is not a field of event type "${aggregation.eventType}"`,
    );
  }
  return field;
}

/**
 * The value schema of `aggregates.<aggregation>`: the window, the group-by fields (typed as
 * in the event), the value, and the version (raised each time a late event updates the window)
 * and the number of events that went into it.
 */
export function generateAggregateSchema(
  aggregation: AggregationSpec,
  model: DomainModel,
): AvroRecordSchema {
  const eventType = findEventType(model, aggregation.eventType);
  if (!eventType) {
    throw new Error(
      `aggregation "${aggregation.name}" refers to unknown event type "${aggregation.eventType}"`,
    );
  }
  const fields = eventFields(model, eventType);
  const groupBy = aggregation.groupBy.map((name) => {
    if (AGGREGATE_RESERVED_FIELDS.includes(name)) {
      throw new Error(
        `aggregation "${aggregation.name}": group-by field "${name}" clashes with a field every aggregate carries (${AGGREGATE_RESERVED_FIELDS.join(', ')})`,
      );
    }
    const field = lookupField(aggregation, fields, name, 'group-by field');
    return (field.optional ? nullable : required)(name, field.type);
  });
  return {
    type: 'record',
    namespace: aggregateNamespace(model.contract.namespace),
    name: aggregation.name,
    ...(aggregation.description === undefined ? {} : { doc: aggregation.description }),
    fields: [
      required(AGGREGATE_WINDOW_START_FIELD, 'timestamp'),
      required(AGGREGATE_WINDOW_END_FIELD, 'timestamp'),
      ...groupBy,
      valueField(aggregation, fields),
      required(AGGREGATE_VERSION_FIELD, 'long'),
      required(AGGREGATE_EVENT_COUNT_FIELD, 'long'),
    ],
  };
}

/** One schema per aggregation, keyed by aggregation name. */
export function generateAllAggregateSchemas(model: DomainModel): Record<string, AvroRecordSchema> {
  const schemas: Record<string, AvroRecordSchema> = {};
  for (const aggregation of model.aggregations) {
    schemas[aggregation.name] = generateAggregateSchema(aggregation, model);
  }
  return schemas;
}

/** The schema text sent to a registry: compact JSON, keys in the order they were built. */
export function toJson(schema: AvroRecordSchema): string {
  return JSON.stringify(schema);
}
