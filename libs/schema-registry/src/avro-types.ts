import * as avro from 'avsc';
import { canonicalJson } from '@platform/windowing';

/** Whatever `avro.Type.forSchema` accepts (avsc does not export the name). */
export type AvscSchema = Parameters<typeof avro.Type.forSchema>[0];
type ForSchemaOptions = NonNullable<Parameters<typeof avro.Type.forSchema>[1]>;

const UNDERLYING_LONG = Symbol('underlying long of a logical type');

/**
 * `timestamp-millis` stays a plain `number` of epoch milliseconds in JS, not a `Date`:
 * the windowing engine, the sinks and the HTTP API all reason in epoch ms, and avsc keeps
 * a `long` as a number, exact up to 2^53 (year 287396). Registering the logical type anyway
 * makes the choice explicit and lets encoding reject anything but a safe integer.
 */
export class TimestampMillisType extends avro.types.LogicalType {
  constructor(schema: AvscSchema, opts?: Partial<ForSchemaOptions>) {
    // Marks the schema so that the type hook builds the underlying long as EXACT_LONG.
    super({ ...(schema as object), [UNDERLYING_LONG]: true } as unknown as AvscSchema, opts);
  }

  protected override _fromValue(value: number): number {
    return value;
  }

  protected override _toValue(value: unknown): number | undefined {
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
  }

  /** Data written as a plain long (or an int, promoted) reads as a timestamp unchanged. */
  protected override _resolve(writer: avro.Type): ((value: number) => number) | undefined {
    return avro.Type.isType(writer, 'long', 'abstract:long', 'int', 'logical:timestamp-millis')
      ? (value: number): number => value
      : undefined;
  }
}

const MAX_LONG = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_LONG = -MAX_LONG;

const EXACT_LONG_METHODS = {
  fromBuffer(buf: Buffer): number {
    const n = buf.readBigInt64LE(0);
    if (n > MAX_LONG || n < MIN_LONG) {
      throw new Error(`long ${n} is outside the safe integer range of a JS number`);
    }
    return Number(n);
  },
  toBuffer(n: number): Buffer {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON(value: unknown): number {
    return Number(value);
  },
  toJSON(n: number): number {
    return n;
  },
  isValid(value: unknown): boolean {
    return typeof value === 'number' && Number.isSafeInteger(value);
  },
  compare(a: number, b: number): number {
    return a === b ? 0 : a < b ? -1 : 1;
  },
};

/** avsc's reader and writer position over a buffer (not exported by its typings). */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  writeLong(n: number): void;
}

/**
 * The BigInt path allocates a buffer per long. Below 2^48 avsc's own varint code is exact
 * (its float arithmetic only loses bits past 2^53), and timestamps, counts and ids live
 * there: those take avsc's path, and only a larger long pays for exactness. A varint of at
 * most 7 bytes holds at most 49 bits of zigzag, so at most 48 of magnitude.
 */
const FAST_VARINT_BYTES = 7;
const FAST_LONG_LIMIT = 2 ** 48;

/** avsc's abstract long (what `LongType.__with` builds), before it is frozen. */
type AbstractLong = avro.Type & {
  _toBuffer: unknown;
  _fromBuffer: unknown;
  _fromJSON: unknown;
  _toJSON: unknown;
  _isValid: unknown;
  _read(tap: Tap): unknown;
  _write(tap: Tap, value: unknown): void;
};

function exactLong(): avro.Type {
  // `__with` freezes what it builds; the same construction, with the fast paths added first.
  const reference = avro.types.LongType.__with(EXACT_LONG_METHODS);
  const AbstractLongType = Object.getPrototypeOf(reference).constructor as new (
    noUnpack: boolean,
  ) => AbstractLong;
  const type = new AbstractLongType(false);
  type._toBuffer = EXACT_LONG_METHODS.toBuffer;
  type._fromBuffer = EXACT_LONG_METHODS.fromBuffer;
  type._fromJSON = EXACT_LONG_METHODS.fromJSON;
  type._toJSON = EXACT_LONG_METHODS.toJSON;
  type._isValid = EXACT_LONG_METHODS.isValid;
  type.compare = EXACT_LONG_METHODS.compare;
  const exactRead = AbstractLongType.prototype._read;
  const exactWrite = AbstractLongType.prototype._write;
  type._read = function (this: AbstractLong, tap: Tap): unknown {
    const { buf, pos } = tap;
    const end = Math.min(buf.length, pos + FAST_VARINT_BYTES);
    let i = pos;
    while (i < end && (buf[i] & 0x80) !== 0) i++;
    return i < end ? tap.readLong() : exactRead.call(this, tap);
  };
  type._write = function (this: AbstractLong, tap: Tap, value: unknown): void {
    if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < FAST_LONG_LIMIT) {
      tap.writeLong(value);
    } else {
      exactWrite.call(this, tap, value);
    }
  };
  return Object.freeze(type);
}

/**
 * avsc's built-in long zigzag-encodes through floating point and silently corrupts negative
 * values below -2^52 (e.g. -(2^52 + 1) decodes as +2^52; found by the serde round-trip
 * property). This long goes through BigInt instead, past 2^48: every safe integer encodes
 * exactly, and a long outside the safe range fails to decode rather than losing precision.
 */
export const EXACT_LONG: avro.Type = exactLong();

/** The type names of a long: avsc's own, and that of a custom long such as EXACT_LONG. */
export const isLongTypeName = (typeName: string): boolean =>
  typeName === 'long' || typeName === 'abstract:long';

export const LOGICAL_TYPES = { 'timestamp-millis': TimestampMillisType } as const;

/** avsc's string type class (its instances freeze themselves as they are built). */
type StringTypeClass = new () => avro.Type & { _write(tap: Tap, value: unknown): void };

/**
 * A string shorter than 64 chars has a one-byte length, and an ASCII one as many bytes as
 * chars: such a string is written in one pass, without avsc's `Buffer.byteLength` first
 * (about a third of what encoding an event's strings cost). Any other string, and a write
 * that would not fit the buffer, takes avsc's own path.
 */
class FastStringType extends (avro.types.StringType as unknown as StringTypeClass) {
  override _write(tap: Tap, value: unknown): void {
    if (typeof value !== 'string' || value.length >= 64) {
      super._write(tap, value);
      return;
    }
    const { buf, pos } = tap;
    const n = value.length;
    if (pos + 1 + n > buf.length) {
      super._write(tap, value);
      return;
    }
    let p = pos + 1;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) {
        super._write(tap, value);
        return;
      }
      buf[p++] = c;
    }
    buf[pos] = n << 1; // the zigzag varint of n < 64
    tap.pos = p;
  }
}

const FAST_STRING: avro.Type = new FastStringType();

/**
 * A primitive written as an object, `{"type": "string", ...}`; `known` says whether it names a
 * logical type this lib handles (Avro reads any other logical type as the primitive under it).
 */
function primitiveObject(
  schema: unknown,
  type: string,
): { readonly known: boolean; readonly schema: object } | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const { type: declared, logicalType } = schema as Readonly<Record<string, unknown>>;
  if (declared !== type) return undefined;
  return { known: typeof logicalType === 'string' && logicalType in LOGICAL_TYPES, schema };
}

/**
 * Every string becomes FAST_STRING: a `"string"` reference and a `{"type": "string"}` with
 * attributes (Java producers add `avro.java.string`), which avsc reads, and exports, as a
 * plain string too. Every union of null and a self-checking primitive becomes a
 * `NullableUnionType`. Then every long (`exactLongHook`).
 */
function typeHook(schema: unknown, opts: unknown): avro.Type | undefined {
  if (schema === 'string') return FAST_STRING;
  if (isNullableSelfChecking(schema)) return new NullableUnionType(schema, opts);
  const string = primitiveObject(schema, 'string');
  if (string !== undefined && !string.known) return FAST_STRING;
  return exactLongHook(schema);
}

/**
 * Every `long` becomes EXACT_LONG: a `"long"` reference, a `{"type": "long"}` (with no logical
 * type, or one this lib does not know, which Avro reads as its underlying type), and the
 * underlying long of a known logical type. avsc's `registry` option only covers the first.
 */
function exactLongHook(schema: unknown): avro.Type | undefined {
  if (schema === 'long') return EXACT_LONG;
  const long = primitiveObject(schema, 'long');
  if (long === undefined) return undefined;
  return !long.known || UNDERLYING_LONG in long.schema ? EXACT_LONG : undefined;
}

/** Branch types whose own writer refuses any value that is not theirs: avsc's primitives. */
const SELF_CHECKING_BRANCHES: ReadonlySet<string> = new Set([
  'string',
  'int',
  'float',
  'double',
  'boolean',
]);

interface Tap {
  writeLong(n: number): void;
}
interface Branch {
  readonly typeName: string;
  _write(tap: Tap, value: unknown): void;
}
type UnionConstructor = new (schema: unknown, opts: unknown) => avro.Type;
const UnwrappedUnionType = (avro.types as unknown as { UnwrappedUnionType: UnionConstructor })
  .UnwrappedUnionType;

/**
 * A union of null and one of those primitives writes null as its null branch and anything
 * else through the other branch, whose writer refuses what is not its own: the bytes avsc
 * writes, without its lookup of the value's JS type among the branches on every write (most of
 * an event's fields are nullable).
 */
class NullableUnionType extends UnwrappedUnionType {
  _write(tap: Tap, value: unknown): void {
    const types = (this as unknown as { readonly types: readonly Branch[] }).types;
    const nullFirst = types[0]?.typeName === 'null';
    if (value === null) {
      tap.writeLong(nullFirst ? 0 : 1);
      return;
    }
    const branch = nullFirst ? 1 : 0;
    tap.writeLong(branch);
    (types[branch] as Branch)._write(tap, value);
  }
}

/** `["null", "string"]`, `[{"type": "double"}, "null"]`, …: the schemas NullableUnionType takes. */
function isNullableSelfChecking(schema: unknown): schema is unknown[] {
  if (!Array.isArray(schema) || schema.length !== 2) return false;
  const nullAt = schema.indexOf('null');
  if (nullAt < 0) return false;
  const other: unknown = schema[1 - nullAt];
  const name = typeof other === 'string' ? other : (other as { type?: unknown } | null)?.type;
  if (typeof name !== 'string' || !SELF_CHECKING_BRANCHES.has(name)) return false;
  // An object form counts when Avro reads it as the plain primitive.
  return typeof other === 'string' || primitiveObject(other, name)?.known === false;
}

/** Parses an Avro schema the way every module of this lib does. Throws avsc's error. */
export function forSchema(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as AvscSchema, {
    logicalTypes: LOGICAL_TYPES,
    typeHook,
    // Decoded records are plain data, not objects carrying avsc's helper methods.
    omitRecordMethods: true,
  });
}

/**
 * JSON with object keys sorted and no whitespace: two texts that differ only in formatting
 * or key order give the same string. Arrays (fields, symbols, union branches) keep their
 * order because it is meaningful. The one copy lives in `@platform/windowing` (pure, below
 * this lib).
 */
export { canonicalJson };

/** The full schema of a parsed type, defaults, aliases and docs included, as canonical JSON. */
export function canonicalOfType(type: avro.Type): string {
  return canonicalJson(type.schema({ exportAttrs: true }));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Avro's primitive type names. */
export const AVRO_PRIMITIVES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);
