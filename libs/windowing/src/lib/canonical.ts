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

/**
 * JSON with object keys sorted and no whitespace: equal values give equal strings, and two
 * texts that differ only in formatting or key order give the same string. Arrays keep their
 * order. Anything else is written as `JSON.stringify` writes it (`toJSON` is called, keys
 * whose value is `undefined` are left out, `undefined` in an array or alone is `null`). The
 * one copy: the engine's group keys and the schema registry's canonical schemas use it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return canonicalJson(toJSON.call(value));
  const record = value as { readonly [key: string]: unknown };
  const body: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const field = record[key];
    if (field === undefined || typeof field === 'function' || typeof field === 'symbol') continue;
    body.push(`${JSON.stringify(key)}:${canonicalJson(field)}`);
  }
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
