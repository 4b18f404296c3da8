import type {
  EventContracts,
  EventValue,
  FieldFailure,
  FillIns,
  ValidationResult,
} from './event-contracts';
import type { FieldType } from './model';

/**
 * Pure mapping of foreign records (a CSV row of text cells, a JSON object from an HTTP API)
 * to contract events: each value is coerced to its field's contract type, then the event is
 * checked by `EventContracts.validate`, so a replayed record passes exactly the checks an
 * event sent to the gateway passes.
 */

export type Coercion =
  | { readonly ok: true; readonly value: EventValue }
  | { readonly ok: false; readonly reason: string };

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

function quoted(text: string): string {
  const json = JSON.stringify(text);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/**
 * A text cell as a value of `type`: integers for `int`/`long`, numbers for `float`/`double`,
 * `true/false/1/0/yes/no` for `boolean`; a `timestamp` is epoch milliseconds when all digits,
 * otherwise left as text for the contract's ISO-8601 check. Range and enumeration checks are
 * the contract's.
 */
export function coerceText(type: FieldType, text: string): Coercion {
  const trimmed = text.trim();
  switch (type) {
    case 'string':
      return { ok: true, value: text };
    case 'int':
    case 'long': {
      const n = INTEGER.test(trimmed) ? Number(trimmed) : NaN;
      if (!Number.isSafeInteger(n)) {
        return { ok: false, reason: `expected an integer, got ${quoted(text)}` };
      }
      return { ok: true, value: n };
    }
    case 'float':
    case 'double': {
      const n = DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
      if (!Number.isFinite(n))
        return { ok: false, reason: `expected a number, got ${quoted(text)}` };
      return { ok: true, value: n };
    }
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (TRUE.has(lower)) return { ok: true, value: true };
      if (FALSE.has(lower)) return { ok: true, value: false };
      return { ok: false, reason: `expected true or false, got ${quoted(text)}` };
    }
    case 'timestamp':
      return { ok: true, value: /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed };
  }
}

/** A JSON value as a value of `type`: text is coerced as in {@link coerceText}, numbers become text for `string` fields. */
export function coerceJson(type: FieldType, value: unknown): Coercion {
  if (value === null) return { ok: true, value: null };
  if (typeof value === 'string') return coerceText(type, value);
  if (typeof value === 'number' && type === 'string') return { ok: true, value: String(value) };
  if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value };
  return {
    ok: false,
    reason: `expected a ${type}, got ${Array.isArray(value) ? 'an array' : typeof value}`,
  };
}

/**
 * The value at a dot path (`data.items`, `user.id`, `items.0.sku`); a leading `$.` or `$` is
 * allowed. The empty path (or `$`) is the value itself. Undefined when the path is absent.
 */
export function valueAtPath(value: unknown, path: string): unknown {
  const keys = path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter((key) => key !== '');
  let cursor = value;
  for (const key of keys) {
    if (typeof cursor !== 'object' || cursor === null) return undefined;
    cursor = (cursor as Record<string, unknown>)[key];
  }
  return cursor;
}

function checked(
  contracts: EventContracts,
  eventType: string,
  input: Record<string, EventValue>,
  failures: FieldFailure[],
  fill: FillIns,
): ValidationResult {
  const result = contracts.validate(eventType, input, fill);
  if (failures.length === 0) return result;
  // Coercion failures first-hand; the contract's other complaints still count.
  const coerced = new Set(failures.map((f) => f.field));
  const rest = result.ok ? [] : result.failures.filter((f) => !coerced.has(f.field));
  const all = [...failures, ...rest];
  all.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  return { ok: false, failures: all };
}

/**
 * A CSV row (column → cell text) as an event of `eventType`. Empty cells are absent (null
 * attributes, filled `event_id`/`timestamp`, a missing required field); a non-empty cell in
 * a column that is not a field of the type is refused. `ignoreColumns` (such as the column
 * naming the type) are skipped.
 */
export function eventFromTextRecord(
  contracts: EventContracts,
  eventType: string,
  row: Readonly<Record<string, string>>,
  fill: FillIns,
  ignoreColumns: ReadonlySet<string> = new Set(),
): ValidationResult {
  const fields = contracts.fieldsOf(eventType);
  if (fields === undefined) return contracts.validate(eventType, {}, fill);
  const input: Record<string, EventValue> = {};
  const failures: FieldFailure[] = [];
  for (const [column, text] of Object.entries(row)) {
    if (ignoreColumns.has(column) || text === '') continue;
    const field = fields.get(column);
    if (field === undefined) {
      failures.push({ field: column, reason: `unknown field: not in the ${eventType} contract` });
      continue;
    }
    const coerced = coerceText(field.type, text);
    if (coerced.ok) input[column] = coerced.value;
    else failures.push({ field: column, reason: coerced.reason });
  }
  return checked(contracts, eventType, input, failures, fill);
}

/** Event field ← dot path into the record. */
export interface FieldMapping {
  readonly field: string;
  readonly path: string;
}

/**
 * A JSON object as an event of `eventType`. With a mapping, each listed field takes the value
 * at its path; without one, every contract field takes the record's same-named key. Other
 * keys of the record are not event data and are left out. Values are coerced with
 * {@link coerceJson}.
 */
export function eventFromJsonRecord(
  contracts: EventContracts,
  eventType: string,
  record: unknown,
  fill: FillIns,
  mapping?: readonly FieldMapping[],
): ValidationResult {
  const fields = contracts.fieldsOf(eventType);
  if (fields === undefined) return contracts.validate(eventType, {}, fill);
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { ok: false, failures: [{ field: '$', reason: 'expected a JSON object' }] };
  }
  const pairs =
    mapping ?? [...fields.keys()].map((field): FieldMapping => ({ field, path: field }));
  const input: Record<string, EventValue> = {};
  const failures: FieldFailure[] = [];
  for (const { field, path } of pairs) {
    const value =
      mapping === undefined ? (record as Record<string, unknown>)[path] : valueAtPath(record, path);
    if (value === undefined) continue;
    const type = fields.get(field)?.type;
    if (type === undefined) {
      failures.push({ field, reason: `unknown field: not in the ${eventType} contract` });
      continue;
    }
    const coerced = coerceJson(type, value);
    if (coerced.ok) input[field] = coerced.value;
    else failures.push({ field, reason: coerced.reason });
  }
  return checked(contracts, eventType, input, failures, fill);
}
