import { z } from 'zod';
import { entityOf } from './lookup';
import {
  EVENT_ID_FIELD,
  EVENT_TIMESTAMP_FIELD,
  type DomainModel,
  type EventTypeSpec,
  type FieldSpec,
  type FieldType,
} from './model';

/**
 * The one place request schemas are built from the domain model: each event type becomes a
 * strict zod object. Validation (`validate`) and the OpenAPI document (`jsonSchemaOf`) both
 * read these, so docs and behaviour cannot drift.
 */

/** One reason an event was refused, naming the field (`$` for the event itself). */
export interface FieldFailure {
  readonly field: string;
  readonly reason: string;
}

export type EventValue = string | number | boolean | null;
export type ValidEvent = Readonly<Record<string, EventValue>>;

export type ValidationResult =
  | { readonly ok: true; readonly event: ValidEvent; readonly clientEventId: boolean }
  | { readonly ok: false; readonly failures: readonly FieldFailure[] };

export interface EventContractsOptions {
  /** Longest string accepted in any field. */
  readonly maxStringLength: number;
  /**
   * Bounds of event time (`timestamp`): not before `minMs` (epoch ms, at least 0), and at most
   * `maxFutureSkewMs` after the time of receipt. Default: 1970-01-01 and one day.
   */
  readonly eventTime?: { readonly minMs: number; readonly maxFutureSkewMs: number };
}

/** Event time defaults: the epoch, and one day into the future. */
export const DEFAULT_EVENT_TIME_BOUNDS = {
  minMs: 0,
  maxFutureSkewMs: 24 * 60 * 60 * 1000,
} as const;

/**
 * The latest instant every sink stores exactly: ClickHouse's DateTime64 ends with 2299, and
 * PostgreSQL reads ISO years of four digits only. Timestamp fields other than event time may
 * be in the future, up to this.
 */
export const STORABLE_TIME_MAX_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

/** Longest entity key (the Kafka record key and part of every table's sort key). */
export const ENTITY_KEY_MAX_LENGTH = 256;

/** Error lists stop at this many failures; the rest are counted (see {@link boundFailures}). */
export const MAX_FAILURES = 100;
/** Longest field name quoted back in a failure. */
const FIELD_NAME_MAX = 200;

export interface FillIns {
  readonly now: () => number;
  readonly newId: () => string;
}

export const ROOT_FIELD = '$';
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const EVENT_ID_MAX = 128;

interface CompiledType {
  readonly spec: EventTypeSpec;
  readonly schema: z.ZodObject;
  /** True only for input `schema` accepts as it is (see {@link Accepts}). */
  readonly accepts: Accepts;
  readonly fields: ReadonlyMap<string, { readonly type: FieldType; readonly required: boolean }>;
  /**
   * `fields` as a list, and the names of its timestamps: what each event is walked over
   * (iterating the map makes an entry array per field per event).
   */
  readonly fieldList: readonly { readonly name: string; readonly type: FieldType }[];
  readonly timestampFields: readonly string[];
  readonly attributes: readonly string[];
}

const ISO_DATETIME = z.iso.datetime({ offset: true });

function timestampSchema(): z.ZodType {
  return z.union([z.number().int().min(0), ISO_DATETIME]);
}

/**
 * A quick check beside each zod schema, for the common case of a valid event: true only for
 * values its schema accepts unchanged (none of these schemas transforms), false whenever in
 * doubt, and then the schema itself decides and words the failures. Parsing every event with
 * zod copied it and walked its schema: a tenth of the gateway's CPU at 100 events a request.
 */
type Accepts = (value: unknown) => boolean;

const acceptsTimestamp: Accepts = (v) =>
  typeof v === 'number'
    ? Number.isSafeInteger(v) && v >= 0
    : typeof v === 'string' && ISO_DATETIME.safeParse(v).success;

/** Mirrors `storableString(z.string().min(min).max(max))`. */
function acceptsStorableString(min: number, max: number): Accepts {
  return (v) =>
    typeof v === 'string' &&
    v.length >= min &&
    v.length <= max &&
    !v.includes(NUL) &&
    !LONE_SURROGATE.test(v);
}

/** Mirrors `entityKeySchema(maxLength)`. */
function acceptsEntityKey(maxLength: number): Accepts {
  return (v) =>
    typeof v === 'string' &&
    v.length >= 1 &&
    v.length <= maxLength &&
    !CONTROL.test(v) &&
    !LONE_SURROGATE.test(v);
}

/** Mirrors `fieldSchema(spec, maxString)`. */
function acceptsField(
  spec: Pick<FieldSpec, 'type' | 'values' | 'min' | 'max'>,
  maxString: number,
): Accepts {
  const values = spec.values !== undefined && spec.values.length > 0 ? spec.values : undefined;
  switch (spec.type) {
    case 'string': {
      if (values === undefined) return acceptsStorableString(0, maxString);
      const allowed = new Set(values.map(String));
      return (v) => typeof v === 'string' && allowed.has(v);
    }
    case 'int':
    case 'long':
    case 'float':
    case 'double': {
      const integer = spec.type === 'int' || spec.type === 'long';
      const min = spec.type === 'int' ? Math.max(spec.min ?? INT32_MIN, INT32_MIN) : spec.min;
      const max = spec.type === 'int' ? Math.min(spec.max ?? INT32_MAX, INT32_MAX) : spec.max;
      return (v) =>
        typeof v === 'number' &&
        (integer ? Number.isSafeInteger(v) : Number.isFinite(v)) &&
        (min === undefined || v >= min) &&
        (max === undefined || v <= max) &&
        (values === undefined || values.includes(v));
    }
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'timestamp':
      return acceptsTimestamp;
  }
}

const optional =
  (accepts: Accepts): Accepts =>
  (v) =>
    v === undefined || accepts(v);

const nullableOptional =
  (accepts: Accepts): Accepts =>
  (v) =>
    v === undefined || v === null || accepts(v);

/** Mirrors `z.strictObject(shape)` over plain JSON objects; anything else is left to zod. */
function acceptsStrictObject(fields: ReadonlyMap<string, Accepts>): Accepts {
  const checks = [...fields];
  return (input) => {
    if (typeof input !== 'object' || input === null) return false;
    if (Object.getPrototypeOf(input) !== Object.prototype) return false;
    const record = input as Record<string, unknown>;
    for (const key in record) if (!fields.has(key)) return false;
    for (const [name, accepts] of checks) if (!accepts(record[name])) return false;
    return true;
  };
}

/** A lone UTF-16 surrogate: with the `u` flag a well-formed pair is one code point, not `Cs`. */
const LONE_SURROGATE = /\p{Cs}/u;
const NUL = '\u0000';
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Strings every sink stores exactly as sent: well-formed Unicode (a lone surrogate cannot be
 * encoded as UTF-8, so Avro and both databases would store U+FFFD instead) and no U+0000
 * (PostgreSQL text cannot hold it).
 */
function storableString(schema: z.ZodString): z.ZodType {
  return wellFormed(schema).refine((s) => !s.includes(NUL), {
    message: 'must not contain U+0000 (NUL)',
  });
}

/** Whether `text` holds a lone UTF-16 surrogate: no UTF-8 form, so no sink can store it. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

function wellFormed(schema: z.ZodString): z.ZodString {
  return schema.refine((s) => !hasLoneSurrogate(s), {
    message: 'is not well-formed Unicode: it holds a lone UTF-16 surrogate',
  });
}

/** An entity key: the Kafka record key, so never empty, printable, and short. */
function entityKeySchema(maxLength: number): z.ZodType {
  return wellFormed(z.string().min(1).max(maxLength)).refine((s) => !CONTROL.test(s), {
    message: 'must not contain control characters (U+0000 to U+001F, U+007F to U+009F)',
  });
}

/** `text` cut to at most `max` UTF-16 units without splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/**
 * At most `max` failures, and how many were left out: a request with 100,000 unknown keys
 * gets a short answer, not a 6 MB one.
 */
export function boundFailures(
  failures: readonly FieldFailure[],
  max = MAX_FAILURES,
): { readonly failures: readonly FieldFailure[]; readonly omitted: number } {
  return failures.length <= max
    ? { failures, omitted: 0 }
    : { failures: failures.slice(0, max), omitted: failures.length - max };
}

function fieldSchema(
  spec: Pick<FieldSpec, 'type' | 'values' | 'min' | 'max' | 'description'>,
  maxString: number,
): z.ZodType {
  let schema: z.ZodType;
  switch (spec.type) {
    case 'string':
      schema =
        spec.values !== undefined && spec.values.length > 0
          ? z.enum(spec.values.map(String) as [string, ...string[]])
          : storableString(z.string().max(maxString));
      break;
    case 'int':
    case 'long':
    case 'float':
    case 'double': {
      let n = spec.type === 'int' || spec.type === 'long' ? z.number().int() : z.number();
      const min = spec.type === 'int' ? Math.max(spec.min ?? INT32_MIN, INT32_MIN) : spec.min;
      const max = spec.type === 'int' ? Math.min(spec.max ?? INT32_MAX, INT32_MAX) : spec.max;
      if (min !== undefined) n = n.min(min);
      if (max !== undefined) n = n.max(max);
      schema =
        spec.values !== undefined && spec.values.length > 0
          ? n.refine((v) => spec.values?.includes(v) ?? true, {
              message: `must be one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`,
            })
          : n;
      break;
    }
    case 'boolean':
      schema = z.boolean();
      break;
    case 'timestamp':
      schema = timestampSchema();
      break;
  }
  return spec.description === undefined ? schema : schema.describe(spec.description);
}

/** `String(value)`, or `[object Object]` for an object that has no way to be one (no prototype). */
function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : printable(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'a JSON object',
  array: 'an array',
};

/**
 * What a union takes, from the type each branch expected at its root ("a string or an
 * array"); undefined when a branch refused the value for another reason than its type.
 */
function unionExpects(branches: readonly (readonly z.core.$ZodIssue[])[]): string[] | undefined {
  const expected = new Set<string>();
  for (const branch of branches) {
    const atRoot = branch.filter((i) => i.path.length === 0);
    if (atRoot.length === 0) return undefined;
    for (const issue of atRoot) {
      if (issue.code === 'invalid_type') expected.add(EXPECTED[issue.expected] ?? issue.expected);
      else if (issue.code === 'invalid_union') {
        const inner = unionExpects(issue.errors);
        if (inner === undefined) return undefined;
        for (const e of inner) expected.add(e);
      } else return undefined;
    }
  }
  return [...expected];
}

/** `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cursor = input;
  for (const key of path) {
    if (typeof cursor !== 'object' || cursor === null) return undefined;
    cursor = (cursor as Record<PropertyKey, unknown>)[key];
  }
  return cursor;
}

/** JSON Schema (2020-12) of what a request body may hold, without the `$schema` line. */
export function requestJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
}

/** A zod issue as precise, stable per-field reasons. */
export function failuresOf(
  issue: z.core.$ZodIssue,
  input: unknown,
  fieldType?: FieldType,
): FieldFailure[] {
  const field =
    issue.path.length === 0
      ? ROOT_FIELD
      : truncateText(issue.path.map(String).join('.'), FIELD_NAME_MAX);
  const actual = valueAt(input, issue.path);
  if (
    fieldType === 'timestamp' &&
    actual !== undefined &&
    actual !== null &&
    (issue.code === 'invalid_union' ||
      issue.code === 'invalid_format' ||
      issue.code === 'invalid_type')
  ) {
    return [
      {
        field,
        reason: `expected epoch milliseconds (a non-negative integer) or an ISO-8601 date-time with offset, got ${shortValue(actual)}`,
      },
    ];
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        field: truncateText(issue.path.length === 0 ? key : `${field}.${key}`, FIELD_NAME_MAX),
        reason: 'unknown field: not in the contract',
      }));
    case 'invalid_type': {
      if (actual === undefined) return [{ field, reason: 'required field is missing' }];
      if (actual === null && issue.path.length > 0) return [{ field, reason: 'must not be null' }];
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.expected === 'int' && typeof actual === 'number') {
        return [{ field, reason: `expected an integer, got ${shortValue(actual)}` }];
      }
      // 1e400 parses to Infinity: a number, but not one JSON can carry.
      if (typeof actual === 'number' && !Number.isFinite(actual))
        return [{ field, reason: `expected a finite number, got ${String(actual)}` }];
      return [{ field, reason: `expected ${expected}, got ${typeName(actual)}` }];
    }
    case 'too_small':
      if (issue.origin === 'string') return [{ field, reason: `must not be empty` }];
      if (issue.origin === 'array')
        return [{ field, reason: `must have at least ${String(issue.minimum)} item(s)` }];
      return [
        {
          field,
          reason: `must be ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}, got ${shortValue(actual)}`,
        },
      ];
    case 'too_big':
      if (issue.origin === 'string') {
        return [{ field, reason: `longer than ${String(issue.maximum)} characters` }];
      }
      if (issue.origin === 'array')
        return [{ field, reason: `must have at most ${String(issue.maximum)} item(s)` }];
      return [
        {
          field,
          reason: `must be ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}, got ${shortValue(actual)}`,
        },
      ];
    case 'invalid_value':
      if (actual === undefined) return [{ field, reason: 'required field is missing' }];
      return [
        {
          field,
          reason: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${shortValue(actual)}`,
        },
      ];
    case 'invalid_union': {
      if (actual === undefined) return [{ field, reason: 'required field is missing' }];
      if (actual === null) return [{ field, reason: 'must not be null' }];
      const expects = unionExpects(issue.errors);
      if (expects !== undefined && expects.length > 0)
        return [{ field, reason: `expected ${orList(expects)}, got ${typeName(actual)}` }];
      return [{ field, reason: issue.message }];
    }
    default:
      return [{ field, reason: issue.message }];
  }
}

/** Compiled contracts of a domain: validation, fill-ins and JSON Schemas per event type. */
export class EventContracts {
  private readonly types = new Map<string, CompiledType>();

  constructor(
    readonly model: DomainModel,
    private readonly options: EventContractsOptions,
  ) {
    for (const spec of model.eventTypes) this.types.set(spec.name, this.compile(spec));
  }

  get eventTypes(): string[] {
    return [...this.types.keys()];
  }

  has(eventType: string): boolean {
    return this.types.has(eventType);
  }

  /** The zod schema of an event type's request body. */
  schemaOf(eventType: string): z.ZodObject | undefined {
    return this.types.get(eventType)?.schema;
  }

  /** JSON Schema (2020-12) of an event type's request body, for OpenAPI and the contract. */
  jsonSchemaOf(eventType: string): Record<string, unknown> | undefined {
    const schema = this.schemaOf(eventType);
    return schema === undefined ? undefined : requestJsonSchema(schema);
  }

  /** Fields of an event type with their contract types (event_id, timestamp, key, attributes, dimensions). */
  fieldsOf(
    eventType: string,
  ): ReadonlyMap<string, { readonly type: FieldType; readonly required: boolean }> | undefined {
    return this.types.get(eventType)?.fields;
  }

  /**
   * Checks `input` against the contract of `eventType`. On success the event is normalized
   * for Avro: `event_id` and `timestamp` filled when absent, timestamps as epoch ms, absent
   * attributes as null. Never throws for bad input.
   */
  validate(eventType: string, input: unknown, fill: FillIns): ValidationResult {
    const compiled = this.types.get(eventType);
    if (compiled === undefined) {
      return {
        ok: false,
        failures: [
          {
            field: 'type',
            reason: `unknown event type ${shortValue(eventType)}; known: ${this.eventTypes.join(', ')}`,
          },
        ],
      };
    }
    let data: Readonly<Record<string, unknown>>;
    if (compiled.accepts(input)) data = input as Readonly<Record<string, unknown>>;
    else {
      const parsed = compiled.schema.safeParse(input);
      if (!parsed.success) {
        const failures = parsed.error.issues.flatMap((issue) =>
          failuresOf(issue, input, compiled.fields.get(String(issue.path[0]))?.type),
        );
        failures.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
        return { ok: false, failures };
      }
      data = parsed.data as Record<string, unknown>;
    }
    const timeFailures = this.timeFailures(compiled, data, fill.now());
    if (timeFailures.length > 0) return { ok: false, failures: timeFailures };
    const event: Record<string, EventValue> = {};
    const clientEventId = typeof data[EVENT_ID_FIELD] === 'string';
    event[EVENT_ID_FIELD] = clientEventId ? (data[EVENT_ID_FIELD] as string) : fill.newId();
    for (const { name, type } of compiled.fieldList) {
      if (name === EVENT_ID_FIELD) continue;
      const value = data[name];
      if (type === 'timestamp') {
        if (value === undefined || value === null) {
          event[name] = name === EVENT_TIMESTAMP_FIELD ? fill.now() : null;
        } else {
          event[name] = typeof value === 'string' ? Date.parse(value) : (value as number);
        }
      } else {
        event[name] = value === undefined ? null : (value as EventValue);
      }
    }
    return { ok: true, event, clientEventId };
  }

  private get eventTime(): { readonly minMs: number; readonly maxFutureSkewMs: number } {
    return this.options.eventTime ?? DEFAULT_EVENT_TIME_BOUNDS;
  }

  /**
   * Timestamps every sink can store: none before the floor; event time at most the allowed
   * skew after receipt, other timestamp fields at most {@link STORABLE_TIME_MAX_MS}.
   */
  private timeFailures(
    compiled: CompiledType,
    data: Readonly<Record<string, unknown>>,
    now: number,
  ): FieldFailure[] {
    const { minMs, maxFutureSkewMs } = this.eventTime;
    const failures: FieldFailure[] = [];
    for (const name of compiled.timestampFields) {
      const value = data[name];
      if (value === undefined || value === null) continue;
      const ms = typeof value === 'string' ? Date.parse(value) : (value as number);
      const isEventTime = name === EVENT_TIMESTAMP_FIELD;
      const max = isEventTime
        ? Math.min(now + maxFutureSkewMs, STORABLE_TIME_MAX_MS)
        : STORABLE_TIME_MAX_MS;
      if (Number.isNaN(ms)) {
        failures.push({ field: name, reason: `${shortValue(value)} is not a valid date-time` });
      } else if (ms < minMs) {
        failures.push({
          field: name,
          reason: `must be at or after ${new Date(minMs).toISOString()}, got ${shortValue(value)}`,
        });
      } else if (ms > max) {
        failures.push({
          field: name,
          reason: isEventTime
            ? `must be at most ${maxFutureSkewMs} ms after the time of receipt (${new Date(max).toISOString()}), got ${shortValue(value)}`
            : `must be at or before ${new Date(max).toISOString()}, got ${shortValue(value)}`,
        });
      }
    }
    return failures;
  }

  private compile(spec: EventTypeSpec): CompiledType {
    const max = this.options.maxStringLength;
    const entity = entityOf(this.model, spec);
    const shape: Record<string, z.ZodType> = {};
    const fields = new Map<string, { type: FieldType; required: boolean }>();
    const checks = new Map<string, Accepts>();
    checks.set(EVENT_ID_FIELD, optional(acceptsStorableString(1, EVENT_ID_MAX)));
    shape[EVENT_ID_FIELD] = storableString(z.string().min(1).max(EVENT_ID_MAX))
      .optional()
      .describe(
        'Unique id of the event; generated when absent. Repeats within the idempotency window are acknowledged, not produced again.',
      );
    fields.set(EVENT_ID_FIELD, { type: 'string', required: false });
    shape[EVENT_TIMESTAMP_FIELD] = timestampSchema()
      .optional()
      .describe(
        `Event time: epoch milliseconds or ISO-8601; the time of receipt when absent. Not before ${new Date(this.eventTime.minMs).toISOString()}, and at most ${this.eventTime.maxFutureSkewMs} ms after receipt.`,
      );
    fields.set(EVENT_TIMESTAMP_FIELD, { type: 'timestamp', required: false });
    checks.set(EVENT_TIMESTAMP_FIELD, optional(acceptsTimestamp));
    shape[entity.primaryKey] =
      entity.primaryKeyType === 'string'
        ? entityKeySchema(Math.min(max, ENTITY_KEY_MAX_LENGTH)).describe(
            `Primary key of the ${entity.name} entity: 1 to ${Math.min(max, ENTITY_KEY_MAX_LENGTH)} characters, no control characters.`,
          )
        : fieldSchema(
            {
              type: entity.primaryKeyType,
              description: `Primary key of the ${entity.name} entity.`,
            },
            max,
          );
    fields.set(entity.primaryKey, { type: entity.primaryKeyType, required: true });
    checks.set(
      entity.primaryKey,
      entity.primaryKeyType === 'string'
        ? acceptsEntityKey(Math.min(max, ENTITY_KEY_MAX_LENGTH))
        : acceptsField({ type: entity.primaryKeyType }, max),
    );
    for (const a of spec.attributes) {
      shape[a.name] = fieldSchema(a, max).nullable().optional();
      fields.set(a.name, { type: a.type, required: false });
      checks.set(a.name, nullableOptional(acceptsField(a, max)));
    }
    for (const d of spec.dimensions) {
      shape[d.name] = fieldSchema(d, max);
      fields.set(d.name, { type: d.type, required: true });
      checks.set(d.name, acceptsField(d, max));
    }
    let schema = z.strictObject(shape);
    if (spec.description !== undefined) schema = schema.describe(spec.description);
    const fieldList = [...fields].map(([name, { type }]) => ({ name, type }));
    return {
      spec,
      schema,
      accepts: acceptsStrictObject(checks),
      fields,
      fieldList,
      timestampFields: fieldList.filter((f) => f.type === 'timestamp').map((f) => f.name),
      attributes: spec.attributes.map((a) => a.name),
    };
  }
}
