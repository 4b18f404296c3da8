import {
  EVENT_ID_FIELD,
  EVENT_TIMESTAMP_FIELD,
  entityOf,
  type DomainModel,
  type EventTypeSpec,
  type FieldSpec,
} from '@platform/contracts';
import { fitsType } from './field-values';
import type { EventValue } from './types';

export interface EventIssue {
  readonly field: string;
  readonly message: string;
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Checks an event against its type: `event_id` and `timestamp` present, the entity key of the
 * right type, every dimension present and typed, every attribute null or typed, values within
 * the declared `values`, `min` and `max`, and no undeclared field. Returns every problem; an
 * empty list means valid. Pure, for tests and for a dry run's self-check.
 */
export function checkEvent(
  model: DomainModel,
  eventType: EventTypeSpec,
  event: Readonly<Record<string, unknown>>,
): EventIssue[] {
  const issues: EventIssue[] = [];
  const entity = entityOf(model, eventType);
  const id = event[EVENT_ID_FIELD];
  if (typeof id !== 'string' || !UUID_SHAPE.test(id)) {
    issues.push({ field: EVENT_ID_FIELD, message: 'must be a lowercase UUID string' });
  }
  const known = new Set<string>([EVENT_ID_FIELD, EVENT_TIMESTAMP_FIELD, entity.primaryKey]);
  checkField(issues, { name: EVENT_TIMESTAMP_FIELD, type: 'timestamp' }, event, false);
  checkField(issues, { name: entity.primaryKey, type: entity.primaryKeyType }, event, false);
  for (const field of eventType.attributes) {
    known.add(field.name);
    checkField(issues, field, event, true);
  }
  for (const field of eventType.dimensions) {
    known.add(field.name);
    checkField(issues, field, event, false);
  }
  for (const name of Object.keys(event)) {
    if (!known.has(name))
      issues.push({ field: name, message: 'is not declared by the event type' });
  }
  return issues;
}

function checkField(
  issues: EventIssue[],
  field: FieldSpec,
  event: Readonly<Record<string, unknown>>,
  optional: boolean,
): void {
  if (!(field.name in event)) {
    issues.push({ field: field.name, message: 'is missing' });
    return;
  }
  const value = event[field.name];
  if (value === null) {
    if (!optional) issues.push({ field: field.name, message: 'is required and null' });
    return;
  }
  if (!isEventValue(value) || !fitsType(field.type, value)) {
    issues.push({ field: field.name, message: `${JSON.stringify(value)} is not a ${field.type}` });
    return;
  }
  if (
    field.values !== undefined &&
    field.type !== 'boolean' &&
    !field.values.includes(value as string | number)
  ) {
    issues.push({
      field: field.name,
      message: `${JSON.stringify(value)} is not one of the declared values`,
    });
  }
  if (typeof value === 'number') {
    if (field.min !== undefined && value < field.min) {
      issues.push({ field: field.name, message: `${value} is below min ${field.min}` });
    }
    if (field.max !== undefined && value > field.max) {
      issues.push({ field: field.name, message: `${value} is above max ${field.max}` });
    }
  }
}

function isEventValue(value: unknown): value is EventValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  );
}
