import type { JsonValue } from './types';

/**
 * Turns a field value into the JSON value the engine stores, so state snapshots are plain
 * JSON: `undefined` and non-finite numbers become `null`, `-0` becomes `0`, a `bigint`
 * (an Avro long decoded as such) becomes a number when it is safe and a decimal string
 * otherwise, a `Date` its epoch milliseconds, bytes a base64 string, and object keys are
 * sorted.
 */
export function toJsonValue(value: unknown): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null;
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return null;
    default:
      break;
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof Date) return toJsonValue(value.getTime());
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  const record: Record<string, JsonValue> = {};
  for (const key of Object.keys(value as object).sort()) {
    record[key] = toJsonValue((value as Record<string, unknown>)[key]);
  }
  return record;
}

/** JSON with object keys sorted: equal values give equal strings. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as { readonly [key: string]: JsonValue };
  const body = Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${body.join(',')}}`;
}

/**
 * The numeric value of a field for sum, avg, min and max: finite numbers (and bigints) only;
 * anything else is treated as absent, as SQL treats NULL.
 */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : null;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

/** Compares strings by UTF-16 code units, the same everywhere (no locale). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
