/**
 * The normalized domain model: what the domain YAML means once it has been validated.
 * Durations are milliseconds, references are resolved, and every list is read-only.
 */

export const FIELD_TYPES = [
  'string',
  'int',
  'long',
  'float',
  'double',
  'boolean',
  'timestamp',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const NUMERIC_FIELD_TYPES: readonly FieldType[] = [
  'int',
  'long',
  'float',
  'double',
  'timestamp',
];

export const AGGREGATION_TYPES = [
  'count',
  'count_distinct',
  'sum',
  'avg',
  'min',
  'max',
  'first',
  'last',
] as const;
export type AggregationType = (typeof AGGREGATION_TYPES)[number];

export const CONTRACT_MODES = ['sync', 'async'] as const;
export type ContractMode = (typeof CONTRACT_MODES)[number];

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly description?: string;
  /** Allowed values, when the field is an enumeration (also used by the generator). */
  readonly values?: readonly (string | number)[];
  /** Numeric range hints, inclusive. */
  readonly min?: number;
  readonly max?: number;
}

export interface EntitySpec {
  readonly name: string;
  readonly primaryKey: string;
  readonly primaryKeyType: FieldType;
}

export interface EventTypeSpec {
  readonly name: string;
  readonly entity: string;
  readonly description?: string;
  /** Optional fields: null when absent. */
  readonly attributes: readonly FieldSpec[];
  /** Required fields: every event carries them. */
  readonly dimensions: readonly FieldSpec[];
  /** How long stored events are kept (`retention` in the domain YAML); absent: for good. */
  readonly retentionMs?: number;
}

interface WindowTiming {
  /** How long after the watermark passes a window's end a late event still updates it. */
  readonly allowedLatenessMs: number;
  /** How far behind the maximum event time seen the watermark trails. */
  readonly outOfOrdernessMs: number;
}

export type WindowSpec =
  | ({ readonly type: 'tumbling'; readonly sizeMs: number } & WindowTiming)
  | ({ readonly type: 'sliding'; readonly sizeMs: number; readonly slideMs: number } & WindowTiming)
  | ({ readonly type: 'session'; readonly gapMs: number } & WindowTiming);

export interface AggregationSpec {
  readonly name: string;
  readonly description?: string;
  readonly eventType: string;
  readonly type: AggregationType;
  /** The aggregated field; absent only for `count`. */
  readonly field?: string;
  readonly window: WindowSpec;
  readonly groupBy: readonly string[];
}

export interface SlaSpec {
  readonly freshnessMs: number;
  /** Fraction of events that must arrive, 0..1. */
  readonly completeness: number;
}

export interface ContractSpec {
  readonly description?: string;
  readonly namespace: string;
  readonly mode: ContractMode;
  readonly sla: SlaSpec;
}

export interface DomainModel {
  readonly domain: string;
  readonly version: string;
  readonly contract: ContractSpec;
  readonly entities: readonly EntitySpec[];
  readonly eventTypes: readonly EventTypeSpec[];
  readonly aggregations: readonly AggregationSpec[];
  /** The ingestion processors, in the order they run. */
  readonly processors?: readonly ProcessorSpec[];
}

/** An ingestion processor enabled for this domain (see `@platform/processors`). */
export interface ProcessorSpec {
  /** A processor registered under this name: built in, or the one `module` exports. */
  readonly name: string;
  /** A module (path or package) whose export builds this processor, for one of your own. */
  readonly module?: string;
  /** The event types it applies to; every type when absent. */
  readonly eventTypes?: readonly string[];
  /** Its own options, checked by the processor when the chain is built. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Fields every event carries, whatever its type. */
export const EVENT_ID_FIELD = 'event_id';
export const EVENT_TIMESTAMP_FIELD = 'timestamp';
export const RESERVED_FIELD_NAMES: readonly string[] = [EVENT_ID_FIELD, EVENT_TIMESTAMP_FIELD];
