import { compileAvroRowsWriter, type AvroRowsWriter } from '../encoding/avro-rows-writer';
import { ByteWriter } from '../encoding/byte-writer';
import { compileRowsWriter } from '../encoding/rows-writer';
import { ColumnSpec, ColumnType, Row, SinkValue } from '../sink.port';
import { formatUtcMillis } from '../time';
import { coerceValue } from '../value-coercion';
import { ClickHouseFeatures } from './clickhouse-features';

/**
 * Rows `from` to `to` as a TabSeparated body, written straight into buffers of about 1 MB
 * (no string per row or per chunk to copy again): a compact text format that ClickHouse
 * 18.16 and current servers (and chDB, which takes text) parse alike. A field never spans
 * two buffers, so each one is valid UTF-8 on its own.
 */
export function tabSeparatedChunks(
  rows: readonly Row[],
  from: number,
  to: number,
  specs: readonly ColumnSpec[],
  features: ClickHouseFeatures,
): Buffer[] {
  return tabSeparatedWriter(specs, features)(rows, from, to);
}

/**
 * `tabSeparatedChunks` compiled for one column list (see `compileRowsWriter`): build it
 * once per table and call it for every write.
 */
export function tabSeparatedWriter(
  specs: readonly ColumnSpec[],
  features: ClickHouseFeatures,
): (rows: readonly Row[], from: number, to: number) => Buffer[] {
  const writeRows = compileRowsWriter(
    specs,
    () => (w, spec, raw) => writeField(w, spec, raw, features),
    { fieldSeparator: TAB, rowTerminator: NEWLINE },
  );
  return (rows, from, to) => {
    const w = new ByteWriter();
    writeRows(rows, from, Math.min(to, rows.length), w);
    return w.finish();
  };
}

/**
 * `tabSeparatedWriter` for rows given as framed Avro values of `writerSchema`, transcoded
 * from their bytes (see `compileAvroRowsWriter`): the same lines as the decoded rows would
 * give. Undefined when the schema is not one it takes.
 */
export function tabSeparatedAvroWriter(
  specs: readonly ColumnSpec[],
  features: ClickHouseFeatures,
  writerSchema: unknown,
): AvroRowsWriter | undefined {
  return compileAvroRowsWriter(
    writerSchema,
    specs,
    () => (w, spec, raw) => writeField(w, spec, raw, features),
    { fieldSeparator: TAB, rowTerminator: NEWLINE },
    // Text that needs no escape is its bytes; a string column takes any text.
    (w, bytes, start, end) => w.plainAsciiBytes(bytes, start, end),
  );
}

const TAB = 0x09;
const NEWLINE = 0x0a;

function writeField(
  w: ByteWriter,
  spec: ColumnSpec,
  raw: unknown,
  features: ClickHouseFeatures,
): void {
  // The common shapes skip the coercion's checks; anything else goes through them.
  switch (spec.type) {
    case 'string':
      if (typeof raw === 'string') {
        if (isPlainAscii(raw)) w.ascii(raw);
        else w.utf8(tabSeparatedField('string', raw, features));
        return;
      }
      break;
    case 'int':
    case 'long':
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) {
        w.ascii(String(raw));
        return;
      }
      break;
    case 'float':
    case 'double':
      if (typeof raw === 'number' && Number.isFinite(raw)) {
        w.ascii(String(raw));
        return;
      }
      break;
    case 'timestamp':
    case 'datetime':
      if (!features.dateTime64 && typeof raw === 'number' && Number.isSafeInteger(raw)) {
        w.ascii(String(raw));
        return;
      }
      break;
    default:
      break;
  }
  w.utf8(tabSeparatedField(spec.type, coerceValue(spec, raw), features));
}

/** True when every char is ASCII and none needs a TabSeparated escape. */
function isPlainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c < 0x20 || c === 0x5c) return false;
  }
  return true;
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
