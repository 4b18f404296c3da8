import { SinkError } from './sink.error';
import { SinkValue } from './sink.port';

/** Epoch milliseconds of a timestamp value: a number of ms, a Date, a bigint or an ISO string. */
export function toEpochMs(value: SinkValue, column = 'value'): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value)) return Number(value);
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new SinkError('TYPE', `${column}: ${String(value)} is not a timestamp`);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `YYYY-MM-DD hh:mm:ss.sss` in UTC: what ClickHouse DateTime64(3, 'UTC') parses. */
export function formatUtcMillis(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/** `YYYY-MM-DD hh:mm:ss` in UTC (second precision, ClickHouse DateTime). */
export function formatUtcSeconds(epochMs: number): string {
  return formatUtcMillis(epochMs).slice(0, 19);
}

/** `YYYY-MM-DD` of a date value: the string itself, or the UTC day of a Date / epoch ms. */
export function toDateString(value: SinkValue, column = 'value'): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return formatUtcMillis(toEpochMs(value, column)).slice(0, 10);
}
