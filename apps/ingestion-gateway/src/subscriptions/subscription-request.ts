import {
  entityOf,
  failuresOf,
  hasLoneSurrogate,
  FILTER_OPERATORS,
  type DomainModel,
  type FieldFailure,
  type FieldType,
  type FilterOperator,
} from '@platform/contracts';
import { z } from 'zod';

const scalar = z.union([
  z
    .string()
    .max(256)
    .refine((s) => !s.includes('\u0000') && !hasLoneSurrogate(s), {
      error: 'must be well-formed Unicode without U+0000',
    }),
  z.number(),
  z.boolean(),
]);

export const subscriptionRequestSchema = z
  .strictObject({
    event_types: z.array(z.string().max(64)).min(1).max(20).describe('Event types to deliver.'),
    filters: z
      .array(
        z.strictObject({
          field: z
            .string()
            .max(64)
            .describe('A dimension (or the entity key) of every listed event type.'),
          op: z.enum(FILTER_OPERATORS),
          value: z.union([scalar, z.array(scalar).min(1).max(100)]),
        }),
      )
      .max(20)
      .optional(),
  })
  .describe('Deliver matching events, produced from now on, to subscriptions.<id>.');

export type SubscriptionFilterValue = string | number | boolean;

export interface SubscriptionFilter {
  readonly field: string;
  readonly op: FilterOperator;
  readonly values: readonly SubscriptionFilterValue[];
}

export interface SubscriptionSpec {
  readonly eventTypes: readonly string[];
  readonly filters: readonly SubscriptionFilter[];
}

export type SubscriptionPlan =
  | { readonly ok: true; readonly spec: SubscriptionSpec }
  | { readonly ok: false; readonly failures: readonly FieldFailure[] };

const jsType = (type: FieldType): string =>
  type === 'string' ? 'string' : type === 'boolean' ? 'boolean' : 'number';

/** Pure: checks a subscription request against the contract. */
export function planSubscription(model: DomainModel, body: unknown): SubscriptionPlan {
  const parsed = subscriptionRequestSchema.safeParse(body);
  if (!parsed.success)
    return { ok: false, failures: parsed.error.issues.flatMap((i) => failuresOf(i, body)) };
  const failures: FieldFailure[] = [];
  const types = [...new Set(parsed.data.event_types)];
  const specs = types.flatMap((name, i) => {
    const spec = model.eventTypes.find((e) => e.name === name);
    if (spec === undefined) {
      failures.push({
        field: `event_types.${i}`,
        reason: `unknown event type; known: ${model.eventTypes.map((e) => e.name).join(', ')}`,
      });
      return [];
    }
    return [spec];
  });
  const filters: SubscriptionFilter[] = [];
  (parsed.data.filters ?? []).forEach((f, i) => {
    let fieldType: FieldType | undefined;
    /** The enumerations the field has in the listed types: a value must be in each. */
    const enumerations: (readonly (string | number)[])[] = [];
    for (const spec of specs) {
      const key = entityOf(model, spec);
      const dimension = spec.dimensions.find((d) => d.name === f.field);
      const type = key.primaryKey === f.field ? key.primaryKeyType : dimension?.type;
      if (type === undefined) {
        failures.push({ field: `filters.${i}.field`, reason: `not a dimension of ${spec.name}` });
        return;
      }
      fieldType = type;
      if (dimension?.values !== undefined && dimension.values.length > 0)
        enumerations.push(dimension.values);
    }
    if (fieldType === undefined) return;
    const many = f.op === 'in' || f.op === 'not_in';
    if (many !== Array.isArray(f.value)) {
      failures.push({
        field: `filters.${i}.value`,
        reason: many
          ? `operator ${f.op} takes an array of values`
          : `operator ${f.op} takes one value`,
      });
      return;
    }
    const values = Array.isArray(f.value) ? f.value : [f.value];
    const expected = jsType(fieldType);
    if (values.some((v) => typeof v !== expected)) {
      failures.push({
        field: `filters.${i}.value`,
        reason: `expected ${expected} values for ${f.field}`,
      });
      return;
    }
    const outside = values.find((v) =>
      enumerations.some((allowed) => !allowed.includes(v as string | number)),
    );
    if (outside !== undefined) {
      failures.push({
        field: `filters.${i}.value`,
        reason: `${JSON.stringify(outside)} is not a value of ${f.field}; allowed: ${(enumerations[0] ?? []).join(', ')}`,
      });
      return;
    }
    if (['gt', 'gte', 'lt', 'lte'].includes(f.op) && expected !== 'number') {
      failures.push({ field: `filters.${i}.op`, reason: `operator ${f.op} needs a numeric field` });
      return;
    }
    filters.push({ field: f.field, op: f.op, values });
  });
  if (failures.length > 0) return { ok: false, failures };
  return { ok: true, spec: { eventTypes: types, filters } };
}

/** Pure: does a decoded event satisfy every filter? */
export function matchesFilters(filters: readonly SubscriptionFilter[], event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const record = event as Readonly<Record<string, unknown>>;
  return filters.every((f) => {
    const value = record[f.field];
    const first = f.values[0];
    switch (f.op) {
      case 'eq':
        return value === first;
      case 'neq':
        return value !== first;
      case 'in':
        return f.values.includes(value as SubscriptionFilterValue);
      case 'not_in':
        return !f.values.includes(value as SubscriptionFilterValue);
      case 'gt':
        return typeof value === 'number' && typeof first === 'number' && value > first;
      case 'gte':
        return typeof value === 'number' && typeof first === 'number' && value >= first;
      case 'lt':
        return typeof value === 'number' && typeof first === 'number' && value < first;
      case 'lte':
        return typeof value === 'number' && typeof first === 'number' && value <= first;
    }
  });
}
