import { SinkError } from './sink.error';
import { ColumnSpec, SinkValue } from './sink.port';
import { toDateString, toEpochMs } from './time';

/**
 * A row value normalised to its column's type: epoch ms for timestamps, `YYYY-MM-DD` for
 * dates, numbers for numerics, booleans, strings. `undefined` becomes null; a null in a
 * required column is a non-retriable `TYPE` error. A nested object or array (a decoded
 * record's field that no mapping took apart) counts as its JSON text, as `mapRows` makes it.
 */
export function coerceValue(column: ColumnSpec, input: unknown): SinkValue {
  const value = sinkValueOf(input);
  if (value === undefined || value === null) {
    if (column.nullable) return null;
    throw new SinkError('TYPE', `column ${column.name} is not nullable but the row has no value`);
  }
  switch (column.type) {
    case 'string':
      return value instanceof Date ? value.toISOString() : String(value);
    case 'int':
    case 'long': {
      if (typeof value === 'bigint') return value;
      if (
        typeof value === 'string' &&
        /^-?\d+$/.test(value) &&
        !Number.isSafeInteger(Number(value))
      ) {
        return BigInt(value);
      }
      const n = value instanceof Date ? value.getTime() : Number(value);
      if (!Number.isInteger(n)) {
        throw new SinkError('TYPE', `column ${column.name}: ${String(value)} is not an integer`);
      }
      return n;
    }
    case 'float':
    case 'double': {
      // A number is stored as it is, NaN and infinities included: both databases hold them.
      if (typeof value === 'number') return value;
      const n = Number(value);
      if (Number.isNaN(n) && value !== 'NaN') {
        throw new SinkError('TYPE', `column ${column.name}: ${String(value)} is not a number`);
      }
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 1 || value === '1' || value === 'true') return true;
      if (value === 0 || value === '0' || value === 'false') return false;
      throw new SinkError('TYPE', `column ${column.name}: ${String(value)} is not a boolean`);
    case 'timestamp':
    case 'datetime':
      return toEpochMs(value, column.name);
    case 'date':
      return toDateString(value, column.name);
  }
}

function sinkValueOf(value: unknown): SinkValue | undefined {
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return JSON.stringify(value);
  }
  return value as SinkValue | undefined;
}
