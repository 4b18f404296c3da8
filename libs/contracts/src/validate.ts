import ms from 'ms';
import { z } from 'zod';
import {
  AGGREGATION_TYPES,
  AggregationSpec,
  CONTRACT_MODES,
  DomainModel,
  EntitySpec,
  EventTypeSpec,
  FIELD_TYPES,
  FieldSpec,
  FieldType,
  NUMERIC_FIELD_TYPES,
  RESERVED_FIELD_NAMES,
  WindowSpec,
} from './model';
import { aggregateTable, eventTable, MAX_EVENT_TABLE_LENGTH, MAX_SQL_NAME_LENGTH } from './naming';

export interface ContractIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type DomainValidation =
  | { readonly ok: true; readonly model: DomainModel }
  | { readonly ok: false; readonly issues: readonly ContractIssue[] };

/** Avro names, SQL identifiers and topic suffixes all accept this shape. */
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_RULE =
  'must start with a letter or underscore and contain only letters, digits and underscores';
const NAMESPACE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const name = z
  .string()
  .regex(NAME_PATTERN, NAME_RULE)
  .max(
    MAX_SQL_NAME_LENGTH,
    `must be at most ${MAX_SQL_NAME_LENGTH} characters (PostgreSQL's limit)`,
  );

/** The name of what is stored in the table `<prefix><name>`, which must fit `maxTable`. */
const tableName = (prefix: string, maxTable: number) =>
  name.max(
    maxTable - prefix.length,
    `must be at most ${maxTable - prefix.length} characters: its table ${prefix}<name> must fit ${maxTable} (PostgreSQL's limit on names${maxTable < MAX_SQL_NAME_LENGTH ? ', with the daily partitions' : ''})`,
  );
const duration = z.union([z.string().min(1), z.number()]);

/** A field is `{ name, type, ... }`, or just its name for a string field. */
const rawField = z.preprocess(
  (value) => (typeof value === 'string' ? { name: value } : value),
  z.strictObject({
    name,
    type: z.enum(FIELD_TYPES).default('string'),
    description: z.string().optional(),
    values: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  }),
);

const rawWindow = z.strictObject({
  type: z.enum(['tumbling', 'sliding', 'session']),
  duration: duration.optional(),
  slide: duration.optional(),
  gap: duration.optional(),
  allowed_lateness: duration.default(0),
  out_of_orderness: duration.default(0),
});

const rawDomain = z.strictObject({
  domain: name,
  version: z.string().regex(/^v\d+$/, 'must look like v1, v2, ...'),
  contract: z.strictObject({
    description: z.string().optional(),
    namespace: z
      .string()
      .regex(NAMESPACE_PATTERN, 'must be a dotted Avro namespace')
      .default('com.streaming.events'),
    mode: z.enum(CONTRACT_MODES).default('async'),
    sla: z
      .strictObject({
        freshness: duration.default('5 minutes'),
        completeness: z.number().min(0).max(1).default(0.999),
      })
      .default({ freshness: '5 minutes', completeness: 0.999 }),
  }),
  entities: z.record(
    name,
    z.strictObject({ primary_key: name, primary_key_type: z.enum(FIELD_TYPES).default('string') }),
  ),
  event_types: z
    .array(
      z.strictObject({
        name: tableName(eventTable(''), MAX_EVENT_TABLE_LENGTH),
        entity: name,
        description: z.string().optional(),
        attributes: z.array(rawField).default([]),
        dimensions: z.array(rawField).default([]),
        retention: z.union([z.string(), z.number()]).optional(),
      }),
    )
    .min(1, 'must declare at least one event type'),
  aggregations: z
    .array(
      z.strictObject({
        name: tableName(aggregateTable(''), MAX_SQL_NAME_LENGTH),
        description: z.string().optional(),
        event_type: name,
        type: z.enum(AGGREGATION_TYPES),
        field: name.nullish(),
        window: rawWindow,
        group_by: z.array(name).default([]),
      }),
    )
    .default([]),
  processors: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[a-z][a-z0-9_-]*$/, 'must be lower case letters, digits, "-" or "_"'),
        module: z.string().min(1).optional(),
        event_types: z.array(name).min(1).optional(),
        options: z.record(z.string(), z.unknown()).default({}),
      }),
    )
    .default([]),
});

type RawDomain = z.infer<typeof rawDomain>;
type Path = readonly (string | number)[];

/**
 * Parses and checks a domain description (the `domain`, `version`, `contract`, `entities`,
 * `event_types`, `aggregations` and `processors` keys of the merged config). Returns every problem at once,
 * each with the key path it concerns, rather than stopping at the first.
 */
export function validateDomainModel(raw: unknown): DomainValidation {
  const parsed = rawDomain.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
        message: issue.message,
      })),
    };
  }
  const issues: ContractIssue[] = [];
  const model = buildModel(parsed.data, (path, message) => issues.push({ path, message }));
  return issues.length > 0 ? { ok: false, issues } : { ok: true, model };
}

type Report = (path: Path, message: string) => void;

function buildModel(raw: RawDomain, report: Report): DomainModel {
  const entities: EntitySpec[] = Object.entries(raw.entities).map(([entityName, e]) => ({
    name: entityName,
    primaryKey: e.primary_key,
    primaryKeyType: e.primary_key_type,
  }));
  const eventTypes = raw.event_types.map((e, i) =>
    buildEventType(e, ['event_types', i], entities, report),
  );
  reportDuplicates(
    eventTypes.map((e) => e.name),
    (i) => ['event_types', i, 'name'],
    'event type',
    report,
    true,
  );

  const aggregations = raw.aggregations.flatMap((a, i) => {
    const agg = buildAggregation(a, ['aggregations', i], entities, eventTypes, report);
    return agg ? [agg] : [];
  });
  reportDuplicates(
    raw.aggregations.map((a) => a.name),
    (i) => ['aggregations', i, 'name'],
    'aggregation',
    report,
    true,
  );

  const known = new Set(eventTypes.map((e) => e.name));
  const processors = raw.processors.map((p, i) => {
    p.event_types?.forEach((type, j) => {
      if (!known.has(type))
        report(['processors', i, 'event_types', j], `unknown event type ${JSON.stringify(type)}`);
    });
    return {
      name: p.name,
      ...(p.module === undefined ? {} : { module: p.module }),
      ...(p.event_types === undefined ? {} : { eventTypes: p.event_types }),
      options: p.options,
    };
  });

  return {
    domain: raw.domain,
    version: raw.version,
    contract: {
      ...(raw.contract.description === undefined ? {} : { description: raw.contract.description }),
      namespace: raw.contract.namespace,
      mode: raw.contract.mode,
      sla: {
        freshnessMs: toMs(raw.contract.sla.freshness, ['contract', 'sla', 'freshness'], report),
        completeness: raw.contract.sla.completeness,
      },
    },
    entities,
    eventTypes,
    aggregations,
    ...(processors.length === 0 ? {} : { processors }),
  };
}

function buildEventType(
  raw: RawDomain['event_types'][number],
  path: Path,
  entities: readonly EntitySpec[],
  report: Report,
): EventTypeSpec {
  const entity = entities.find((e) => e.name === raw.entity);
  if (!entity) {
    report(
      [...path, 'entity'],
      `unknown entity "${raw.entity}"; declared: ${list(entities.map((e) => e.name))}`,
    );
  }
  const attributes = raw.attributes.map(toField);
  const dimensions = raw.dimensions.map(toField);
  // Every name an event's fields may not take, by its lower case (the case-only check).
  const taken = new Map<string, string>();
  for (const name of [...RESERVED_FIELD_NAMES, ...(entity ? [entity.primaryKey] : [])])
    taken.set(name.toLowerCase(), name);
  for (const [kind, fields] of [
    ['attributes', attributes],
    ['dimensions', dimensions],
  ] as const) {
    fields.forEach((field, j) => {
      const fieldPath = [...path, kind, j];
      const first = taken.get(field.name.toLowerCase());
      if (first === field.name) {
        const reason = RESERVED_FIELD_NAMES.includes(field.name)
          ? 'is a field every event already has'
          : field.name === entity?.primaryKey
            ? `is the primary key of entity "${entity.name}", which every event already has`
            : 'is declared twice';
        report([...fieldPath, 'name'], `field "${field.name}" ${reason}`);
      } else if (first !== undefined) {
        report(
          [...fieldPath, 'name'],
          `field "${field.name}" differs from "${first}" only in case; ${CASE_TWIN_REASON}`,
        );
      } else taken.set(field.name.toLowerCase(), field.name);
      checkFieldHints(field, fieldPath, report);
    });
  }
  let retentionMs: number | undefined;
  if (raw.retention !== undefined) {
    retentionMs = parseDuration(raw.retention);
    if (retentionMs === undefined || retentionMs < DAY_MS)
      report(
        [...path, 'retention'],
        `retention must be a duration of at least one day ("90 days"), got ${JSON.stringify(raw.retention)}`,
      );
  }
  return {
    name: raw.name,
    entity: raw.entity,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    attributes,
    dimensions,
    ...(retentionMs === undefined ? {} : { retentionMs }),
  };
}

const DAY_MS = 86_400_000;

function toField(raw: z.infer<typeof rawField>): FieldSpec {
  const { description, values, min, max } = raw;
  return {
    name: raw.name,
    type: raw.type,
    ...(description === undefined ? {} : { description }),
    ...(values === undefined ? {} : { values }),
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
  };
}

function checkFieldHints(field: FieldSpec, path: Path, report: Report): void {
  const numeric = NUMERIC_FIELD_TYPES.includes(field.type);
  if ((field.min !== undefined || field.max !== undefined) && !numeric) {
    report(path, `min and max apply only to numeric fields, and "${field.name}" is ${field.type}`);
  }
  if (field.min !== undefined && field.max !== undefined && field.min > field.max) {
    report([...path, 'min'], `min (${field.min}) is greater than max (${field.max})`);
  }
  for (const [k, value] of (field.values ?? []).entries()) {
    if (numeric !== (typeof value === 'number')) {
      report(
        [...path, 'values', k],
        `value ${JSON.stringify(value)} does not fit type ${field.type}`,
      );
    }
  }
}

const NEEDS_FIELD = new Set(['count_distinct', 'sum', 'avg', 'min', 'max', 'first', 'last']);
const NEEDS_NUMERIC = new Set(['sum', 'avg', 'min', 'max']);

function buildAggregation(
  raw: RawDomain['aggregations'][number],
  path: Path,
  entities: readonly EntitySpec[],
  eventTypes: readonly EventTypeSpec[],
  report: Report,
): AggregationSpec | undefined {
  const eventType = eventTypes.find((e) => e.name === raw.event_type);
  if (!eventType) {
    report(
      [...path, 'event_type'],
      `unknown event type "${raw.event_type}"; declared: ${list(eventTypes.map((e) => e.name))}`,
    );
  }
  const fields = eventType ? fieldsOf(eventType, entities) : new Map<string, FieldType>();
  const field = raw.field ?? undefined;

  if (raw.type === 'count' && field !== undefined) {
    report(
      [...path, 'field'],
      'a count takes no field; use count_distinct to count distinct values',
    );
  }
  if (NEEDS_FIELD.has(raw.type) && field === undefined) {
    report([...path, 'field'], `a ${raw.type} aggregation needs a field`);
  }
  if (eventType && field !== undefined) {
    const type = fields.get(field);
    if (type === undefined) {
      report([...path, 'field'], `event type "${eventType.name}" has no field "${field}"`);
    } else if (NEEDS_NUMERIC.has(raw.type) && !NUMERIC_FIELD_TYPES.includes(type)) {
      report([...path, 'field'], `a ${raw.type} needs a numeric field, and "${field}" is ${type}`);
    }
  }
  raw.group_by.forEach((key, i) => {
    if (eventType && !fields.has(key)) {
      report([...path, 'group_by', i], `event type "${eventType.name}" has no field "${key}"`);
    } else if (eventType && isOptional(eventType, key)) {
      report(
        [...path, 'group_by', i],
        `"${key}" is an optional attribute; group only by dimensions or the primary key`,
      );
    }
  });
  reportDuplicates(raw.group_by, (i) => [...path, 'group_by', i], 'group_by field', report);

  const window = buildWindow(raw.window, [...path, 'window'], report);
  if (!window) return undefined;
  return {
    name: raw.name,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    eventType: raw.event_type,
    type: raw.type,
    ...(field === undefined ? {} : { field }),
    window,
    groupBy: raw.group_by,
  };
}

function buildWindow(
  raw: z.infer<typeof rawWindow>,
  path: Path,
  report: Report,
): WindowSpec | undefined {
  const timing = {
    allowedLatenessMs: toMs(raw.allowed_lateness, [...path, 'allowed_lateness'], report, true),
    outOfOrdernessMs: toMs(raw.out_of_orderness, [...path, 'out_of_orderness'], report, true),
  };
  const allowed: Record<typeof raw.type, readonly ('duration' | 'slide' | 'gap')[]> = {
    tumbling: ['duration'],
    sliding: ['duration', 'slide'],
    session: ['gap'],
  };
  let complete = true;
  for (const key of ['duration', 'slide', 'gap'] as const) {
    const present = raw[key] !== undefined;
    const wanted = allowed[raw.type].includes(key);
    if (present && !wanted) report([...path, key], `a ${raw.type} window takes no ${key}`);
    if (!present && wanted) {
      report([...path, key], `a ${raw.type} window needs a ${key}`);
      complete = false;
    }
  }
  if (!complete) return undefined;
  switch (raw.type) {
    case 'tumbling':
      return {
        type: 'tumbling',
        sizeMs: toMs(raw.duration, [...path, 'duration'], report),
        ...timing,
      };
    case 'sliding': {
      const sizeMs = toMs(raw.duration, [...path, 'duration'], report);
      const slideMs = toMs(raw.slide, [...path, 'slide'], report);
      // Sliding windows are unions of panes of one slide each, so the size must be a whole number of slides.
      if (sizeMs > 0 && slideMs > 0 && (slideMs > sizeMs || sizeMs % slideMs !== 0)) {
        report(
          [...path, 'slide'],
          `the slide (${slideMs} ms) must divide the duration (${sizeMs} ms)`,
        );
      }
      return { type: 'sliding', sizeMs, slideMs, ...timing };
    }
    case 'session':
      return { type: 'session', gapMs: toMs(raw.gap, [...path, 'gap'], report), ...timing };
  }
}

/** Every field of an event type with its type: the common fields, the primary key, attributes and dimensions. */
export function fieldsOf(
  eventType: EventTypeSpec,
  entities: readonly EntitySpec[],
): Map<string, FieldType> {
  const fields = new Map<string, FieldType>([
    ['event_id', 'string'],
    ['timestamp', 'timestamp'],
  ]);
  const entity = entities.find((e) => e.name === eventType.entity);
  if (entity) fields.set(entity.primaryKey, entity.primaryKeyType);
  for (const f of [...eventType.attributes, ...eventType.dimensions]) fields.set(f.name, f.type);
  return fields;
}

function isOptional(eventType: EventTypeSpec, fieldName: string): boolean {
  return eventType.attributes.some((a) => a.name === fieldName);
}

/** Reads "5 minutes", "30s", "1h" or a number of milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  const result =
    typeof value === 'number' ? value : (ms as (v: string) => number | undefined)(value);
  return typeof result === 'number' && Number.isFinite(result) && Number.isInteger(result)
    ? result
    : undefined;
}

function toMs(
  value: string | number | undefined,
  path: Path,
  report: Report,
  zeroAllowed = false,
): number {
  const result = value === undefined ? undefined : parseDuration(value);
  if (result === undefined || result < 0 || (result === 0 && !zeroAllowed)) {
    report(
      path,
      `${JSON.stringify(value)} is not a ${zeroAllowed ? '' : 'positive '}duration; write e.g. "30 seconds", "5 minutes", "1h" or a number of milliseconds`,
    );
    return 0;
  }
  return result;
}

/**
 * Reports a name declared twice. With `foldCase`, also one that differs from an earlier one
 * only in case ({@link CASE_TWIN_REASON}).
 */
function reportDuplicates(
  names: readonly string[],
  pathOf: (index: number) => Path,
  what: string,
  report: Report,
  foldCase = false,
): void {
  const seen = new Map<string, string>();
  names.forEach((n, i) => {
    const key = foldCase ? n.toLowerCase() : n;
    const first = seen.get(key);
    if (first === n) report(pathOf(i), `${what} "${n}" is declared more than once`);
    else if (first !== undefined) {
      report(pathOf(i), `${what} "${n}" differs from "${first}" only in case; ${CASE_TWIN_REASON}`);
    } else seen.set(key, n);
  });
}

/**
 * Why names may not differ only in case: their tables, columns and topics would be told apart
 * by case alone, which unquoted SQL (PostgreSQL folds it) and some file systems do not do.
 */
const CASE_TWIN_REASON =
  'their tables, columns or topics would differ only in case, which unquoted SQL and some file systems fold';

function list(names: readonly string[]): string {
  return names.length > 0 ? names.join(', ') : '(none)';
}
