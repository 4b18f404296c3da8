import { ColumnSpec, ColumnType, Row, SinkValue } from '../sink.port';
import { formatUtcMillis } from '../time';
import { coerceValue } from '../value-coercion';
import { ClickHouseFeatures } from './clickhouse-features';

/** Rows of a TabSeparated body are joined into chunks of about this many characters. */
const CHUNK_CHARS = 1 << 20;

/**
 * Rows `from` to `to` as a TabSeparated body, in chunks of about `CHUNK_CHARS`: a compact
 * text format that ClickHouse 18.16 and current servers (and chDB, which takes text) parse
 * alike, streamed to the server without a JSON object per row.
 */
export function tabSeparatedChunks(
  rows: readonly Row[],
  from: number,
  to: number,
  specs: readonly ColumnSpec[],
  features: ClickHouseFeatures,
): string[] {
  const chunks: string[] = [];
  let chunk = '';
  const end = Math.min(to, rows.length);
  for (let i = from; i < end; i++) {
    const row = rows[i] as Row;
    let line = '';
    for (let c = 0; c < specs.length; c++) {
      const spec = specs[c] as ColumnSpec;
      if (c > 0) line += '\t';
      line += tabSeparatedField(spec.type, coerceValue(spec, row[spec.name]), features);
    }
    chunk += `${line}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      chunks.push(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') chunks.push(chunk);
  return chunks;
}

const TSV_SPECIAL = /[\\\t\n\r\0\b\f]/;
const TSV_SPECIALS = /[\\\t\n\r\0\b\f]/g;
const TSV_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
};

/** A coerced value as a TabSeparated field of the column's ClickHouse type (`\N` is NULL). */
export function tabSeparatedField(
  type: ColumnType,
  value: SinkValue,
  features: ClickHouseFeatures,
): string {
  if (value === null) return '\\N';
  switch (type) {
    case 'timestamp':
    case 'datetime':
      return features.dateTime64 ? formatUtcMillis(Number(value)) : String(value);
    case 'boolean':
      return value ? '1' : '0';
    case 'float':
    case 'double': {
      const n = value as number;
      if (Number.isFinite(n)) return String(n);
      return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
    }
    case 'int':
    case 'long':
    case 'date':
      return String(value);
    case 'string': {
      const s = value instanceof Date ? value.toISOString() : String(value);
      return TSV_SPECIAL.test(s) ? s.replace(TSV_SPECIALS, (ch) => TSV_ESCAPES[ch] as string) : s;
    }
  }
}
