import { compileAvroRowsWriter } from '../encoding/avro-rows-writer';
import { ByteWriter } from '../encoding/byte-writer';
import { compileRowsWriter } from '../encoding/rows-writer';
import { SinkError } from '../sink.error';
import { ColumnSpec, Row } from '../sink.port';
import { coerceValue } from '../value-coercion';

/** `PGCOPY\n\377\r\n\0`, flags 0, no header extension. */
const HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** Microseconds and days from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;
const PG_EPOCH_DAYS = 10_957;
const DAY_MS = 86_400_000;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Rows as the body of `COPY ... FROM STDIN WITH (FORMAT binary)`, in the column types of
 * `postgresType`: text, int4, int8, float8, bool, timestamptz (µs since 2000), date (days
 * since 2000). Values are coerced as for every sink (`coerceValue`); a value the column
 * cannot hold is a `TYPE` error before anything is sent. Binary needs no escaping, quoting
 * or date formatting, and the server does not parse text.
 */
export function copyBinaryBody(rows: readonly Row[], specs: readonly ColumnSpec[]): Buffer[] {
  return copyBinaryWriter(specs)(rows);
}

/** `copyBinaryBody` compiled for one column list (see `compileRowsWriter`). */
export function copyBinaryWriter(specs: readonly ColumnSpec[]): (rows: readonly Row[]) => Buffer[] {
  const writeRows = compileRowsWriter(specs, () => writeField, { rowPrefixInt16: specs.length });
  return (rows) => copyBinaryBodyOf((w) => writeRows(rows, 0, rows.length, w));
}

/**
 * `copyBinaryWriter` for rows given as framed Avro values of `writerSchema`, transcoded
 * from their bytes (see `compileAvroRowsWriter`): the same body as the decoded rows would
 * give. Undefined when the schema is not one it takes.
 */
export function copyBinaryAvroWriter(
  specs: readonly ColumnSpec[],
  writerSchema: unknown,
): ((values: readonly Buffer[], from: number, to: number, w: ByteWriter) => void) | undefined {
  return compileAvroRowsWriter(
    writerSchema,
    specs,
    () => writeField,
    { rowPrefixInt16: specs.length },
    (w, bytes, start, end) => w.int32BEPrefixedAsciiBytes(bytes, start, end),
  );
}

/** The start of a binary COPY body, then rows written into `w` by `writeRows`, then its end. */
export function copyBinaryBodyOf(writeRows: (w: ByteWriter) => void): Buffer[] {
  const w = new ByteWriter();
  w.bytes(HEADER);
  writeRows(w);
  w.int16BE(-1);
  return w.finish();
}

function writeField(w: ByteWriter, spec: ColumnSpec, raw: unknown): void {
  if (raw === undefined || raw === null) {
    coerceValue(spec, null); // throws for a required column
    w.int32BE(-1);
    return;
  }
  switch (spec.type) {
    case 'string':
      w.int32BEPrefixedUtf8(typeof raw === 'string' ? raw : (coerceValue(spec, raw) as string));
      return;
    case 'int': {
      const v = typeof raw === 'number' && Number.isInteger(raw) ? raw : coerceValue(spec, raw);
      if (typeof v !== 'number' || v < INT32_MIN || v > INT32_MAX) throw outOfRange(spec, v);
      w.int32BE(4);
      w.int32BE(v);
      return;
    }
    case 'long': {
      const v = typeof raw === 'number' && Number.isSafeInteger(raw) ? raw : coerceValue(spec, raw);
      w.int32BE(8);
      if (typeof v === 'number' && Number.isSafeInteger(v)) w.int64BE(v);
      else {
        const big = BigInt(v as number | bigint);
        if (big < INT64_MIN || big > INT64_MAX) throw outOfRange(spec, v);
        w.bigInt64BE(big);
      }
      return;
    }
    case 'float':
    case 'double':
      w.int32BE(8);
      w.doubleBE(typeof raw === 'number' ? raw : (coerceValue(spec, raw) as number));
      return;
    case 'boolean':
      w.int32BE(1);
      w.byte((typeof raw === 'boolean' ? raw : coerceValue(spec, raw)) ? 1 : 0);
      return;
    case 'timestamp':
    case 'datetime': {
      const ms =
        typeof raw === 'number' && Number.isInteger(raw) ? raw : (coerceValue(spec, raw) as number);
      const micros = (ms - PG_EPOCH_MS) * 1000;
      if (!Number.isSafeInteger(micros)) throw outOfRange(spec, ms);
      w.int32BE(8);
      w.int64BE(micros);
      return;
    }
    case 'date': {
      const text = coerceValue(spec, raw) as string;
      const days = Date.parse(`${text}T00:00:00Z`) / DAY_MS - PG_EPOCH_DAYS;
      if (!Number.isInteger(days)) throw outOfRange(spec, text);
      w.int32BE(4);
      w.int32BE(days);
      return;
    }
  }
}

function outOfRange(spec: ColumnSpec, value: unknown): SinkError {
  return new SinkError(
    'TYPE',
    `column ${spec.name}: ${String(value)} is out of range for ${spec.type}`,
  );
}
