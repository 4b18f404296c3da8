import { SinkError } from '../sink.error';
import { ColumnSpec } from '../sink.port';
import type { ByteWriter } from './byte-writer';
import type { FieldWriter, RowLayout } from './rows-writer';

/**
 * Writes rows given as framed Avro values (`from` inclusive to `to` exclusive), straight from
 * their bytes: no decoded object, and no JS string for a text field the sink can take as
 * it is.
 */
export type AvroRowsWriter = (
  values: readonly Buffer[],
  from: number,
  to: number,
  w: ByteWriter,
) => void;

/**
 * Writes a string into a text column from its UTF-8 bytes when the sink's format can take
 * them unchanged (e.g. ASCII that needs no escape); returns false otherwise, and the string
 * is decoded and handed to the sink's `FieldWriter` instead.
 */
export type StringBytesWriter = (
  w: ByteWriter,
  bytes: Buffer,
  start: number,
  end: number,
) => boolean;

/** Bytes before the Avro payload: magic byte 0 and the schema id (Confluent wire format). */
const FRAME_HEADER_LENGTH = 5;

/** How a field of the writer schema is read. */
const enum Kind {
  Null,
  String,
  Int,
  Long,
  Float,
  Double,
  Boolean,
}

interface FieldReader {
  /** The column it feeds, or -1 when the table has no such column (read and dropped). */
  readonly column: number;
  readonly kind: Kind;
  /** Nullable union: the branch index that holds null (0 or 1), else -1. */
  readonly nullBranch: number;
}

const PRIMITIVE_KINDS: Readonly<Record<string, Kind>> = {
  string: Kind.String,
  int: Kind.Int,
  long: Kind.Long,
  float: Kind.Float,
  double: Kind.Double,
  boolean: Kind.Boolean,
};

/** A primitive type (name or object form), as avsc would read it, or undefined. */
function primitiveKind(type: unknown): Kind | undefined {
  if (typeof type === 'string') return PRIMITIVE_KINDS[type];
  if (typeof type !== 'object' || type === null || Array.isArray(type)) return undefined;
  const { type: name, logicalType } = type as { type?: unknown; logicalType?: unknown };
  if (typeof name !== 'string') return undefined;
  // timestamp-millis reads as its long (epoch ms); other logical types are left to avsc.
  if (logicalType !== undefined && !(logicalType === 'timestamp-millis' && name === 'long'))
    return undefined;
  return PRIMITIVE_KINDS[name];
}

/**
 * The field readers of a writer schema, when every field is a primitive or a union of null
 * and one primitive (what the platform's contracts generate); undefined for anything else
 * (nested records, arrays, maps, enums, other unions, other logical types), which the
 * caller decodes whole instead.
 */
export function avroFieldReaders(
  writerSchema: unknown,
  specs: readonly ColumnSpec[],
): readonly FieldReader[] | undefined {
  if (typeof writerSchema !== 'object' || writerSchema === null) return undefined;
  const { type, fields } = writerSchema as { type?: unknown; fields?: unknown };
  if (type !== 'record' || !Array.isArray(fields)) return undefined;
  const columnOf = new Map(specs.map((s, i) => [s.name, i]));
  const readers: FieldReader[] = [];
  for (const field of fields as { name?: unknown; type?: unknown }[]) {
    if (typeof field?.name !== 'string') return undefined;
    const column = columnOf.get(field.name) ?? -1;
    if (Array.isArray(field.type)) {
      if (field.type.length !== 2) return undefined;
      const nullBranch = field.type.indexOf('null');
      const kind = nullBranch < 0 ? undefined : primitiveKind(field.type[1 - nullBranch]);
      if (kind === undefined) return undefined;
      readers.push({ column, kind, nullBranch });
      continue;
    }
    const kind = primitiveKind(field.type);
    if (kind === undefined) return undefined;
    readers.push({ column, kind, nullBranch: -1 });
  }
  return readers;
}

/**
 * Compiles the writer of rows encoded with `writerSchema` into the columns `specs`, in a
 * sink's layout: each field is read from the Avro bytes, a string handed to `stringBytes`
 * as bytes and every other value (and a string it declines) to the sink's own
 * `fieldWriter` as the value avsc would have decoded, so the output is byte for byte the
 * sink's encoding of the decoded record. Columns the writer schema lacks get `undefined`,
 * as a decoded record without the field would. Returns undefined when the schema is not
 * one `avroFieldReaders` takes.
 *
 * A value that is not valid Avro for the schema (truncated, trailing bytes, a union
 * branch out of range, a long beyond 2^53) throws a `TYPE` SinkError naming the field.
 */
export function compileAvroRowsWriter(
  writerSchema: unknown,
  specs: readonly ColumnSpec[],
  fieldWriter: (spec: ColumnSpec) => FieldWriter,
  layout: RowLayout,
  stringBytes: StringBytesWriter,
): AvroRowsWriter | undefined {
  const readers = avroFieldReaders(writerSchema, specs);
  if (readers === undefined) return undefined;
  const fieldNames = ((writerSchema as { fields: { name: string }[] }).fields ?? []).map(
    (f) => f.name,
  );
  const writers = specs.map(fieldWriter);
  const n = specs.length;
  // Per column, what the current row holds: a value, string bytes, or nothing (undefined).
  const values: unknown[] = new Array<unknown>(n);
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  const isBytes = new Uint8Array(n);

  return (rows, from, to, w) => {
    for (let r = from; r < to; r++) {
      const buf = rows[r] as Buffer;
      for (let c = 0; c < n; c++) {
        values[c] = undefined;
        isBytes[c] = 0;
      }
      source = buf;
      pos = FRAME_HEADER_LENGTH;
      for (let f = 0; f < readers.length; f++) {
        field = fieldNames[f] as string;
        const { column, kind, nullBranch } = readers[f] as FieldReader;
        let k = kind;
        if (nullBranch >= 0) {
          const branch = readLong();
          if (branch !== 0 && branch !== 1) fail(`union branch ${branch} out of range`);
          if (branch === nullBranch) k = Kind.Null;
        }
        let value: unknown;
        switch (k) {
          case Kind.Null:
            value = null;
            break;
          case Kind.String: {
            const length = readLong();
            if (length < 0 || pos + length > buf.length) fail('truncated');
            if (column >= 0) {
              starts[column] = pos;
              ends[column] = pos + length;
              isBytes[column] = 1;
            }
            pos += length;
            continue;
          }
          case Kind.Int:
          case Kind.Long:
            value = readLong();
            break;
          case Kind.Float:
            if (pos + 4 > buf.length) fail('truncated');
            value = buf.readFloatLE(pos);
            pos += 4;
            break;
          case Kind.Double:
            if (pos + 8 > buf.length) fail('truncated');
            value = buf.readDoubleLE(pos);
            pos += 8;
            break;
          case Kind.Boolean:
            if (pos >= buf.length) fail('truncated');
            value = buf[pos++] !== 0;
            break;
        }
        if (column >= 0) values[column] = value;
      }
      if (pos !== buf.length) fail('trailing data after the record');

      if (layout.rowPrefixInt16 !== undefined) w.int16BE(layout.rowPrefixInt16);
      for (let c = 0; c < n; c++) {
        const spec = specs[c] as ColumnSpec;
        if (isBytes[c] === 1) {
          const start = starts[c] as number;
          const stop = ends[c] as number;
          // The text avsc decodes from these bytes (invalid sequences become U+FFFD), unless
          // a text column takes them as they are.
          if (!(spec.type === 'string' && stringBytes(w, buf, start, stop)))
            (writers[c] as FieldWriter)(w, spec, buf.toString('utf8', start, stop));
        } else (writers[c] as FieldWriter)(w, spec, values[c]);
        if (c < n - 1 && layout.fieldSeparator !== undefined) w.byte(layout.fieldSeparator);
      }
      if (layout.rowTerminator !== undefined) w.byte(layout.rowTerminator);
    }
    // Not kept: a value's view would keep its whole fetched response alive.
    source = NOTHING;
  };
}

const NOTHING = Buffer.alloc(0);

// The value being read and where (one read runs at a time: all of it is synchronous).
let source: Buffer = NOTHING;
let pos = 0;
let field = '';

function fail(problem: string): never {
  throw new SinkError('TYPE', `avro value: field ${field}: ${problem}`);
}

/** A zigzag varint as a number; a long beyond 2^53 fails, as avsc's exact longs do. */
function readLong(): number {
  const start = pos;
  let value = 0;
  let scale = 1;
  let byte: number;
  do {
    if (pos >= source.length) fail('truncated');
    byte = source[pos++] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
  } while ((byte & 0x80) !== 0 && pos - start < 10);
  if ((byte & 0x80) !== 0) fail('varint longer than 10 bytes');
  // Seven bytes hold 49 bits, exact as a number; longer ones are read exactly as a bigint.
  if (pos - start <= 7) return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  let big = 0n;
  for (let i = pos - 1; i >= start; i--) big = (big << 7n) | BigInt((source[i] as number) & 0x7f);
  const n = (big >> 1n) ^ -(big & 1n);
  if (n > MAX_SAFE || n < -MAX_SAFE) fail('long beyond the safe integer range');
  return Number(n);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Writes rows `from` (inclusive) to `to` (exclusive) of a batch of Avro values. */
export type AvroRangeWriter = (from: number, to: number, w: ByteWriter) => void;

/** A run of consecutive values framed with one schema id. */
export interface SchemaRun {
  readonly schemaId: number;
  readonly from: number;
  readonly to: number;
}

/** The values split into runs of one schema id (-1 for a value that is not framed). */
export function schemaRuns(values: readonly Buffer[]): SchemaRun[] {
  const runs: SchemaRun[] = [];
  let from = 0;
  let id = NaN;
  values.forEach((value, i) => {
    const next = value.length >= FRAME_HEADER_LENGTH && value[0] === 0 ? value.readUInt32BE(1) : -1;
    if (next === id) return;
    if (i > from) runs.push({ schemaId: id, from, to: i });
    id = next;
    from = i;
  });
  if (values.length > from) runs.push({ schemaId: id, from, to: values.length });
  return runs;
}

/**
 * Writes rows `from` to `to` of `values`, each run of one schema id with the writer its id
 * gets from `writerOf`; undefined when any id has none (the caller decodes them instead).
 */
export function avroRangeWriter(
  values: readonly Buffer[],
  writerOf: (schemaId: number) => AvroRowsWriter | undefined,
): AvroRangeWriter | undefined {
  const runs = schemaRuns(values);
  const writers: AvroRowsWriter[] = [];
  for (const run of runs) {
    const writer = writerOf(run.schemaId);
    if (writer === undefined) return undefined;
    writers.push(writer);
  }
  return (from, to, w) => {
    runs.forEach((run, i) => {
      const start = Math.max(run.from, from);
      const end = Math.min(run.to, to);
      if (start < end) writers[i]?.(values, start, end, w);
    });
  };
}
