import * as avro from 'avsc';
import { canonicalJson, canonicalOfType, errorMessage, forSchema } from './avro-types';
import { SerdeError, SerdeIssue } from './serde.error';
import {
  decodeFrame,
  encodeFrame,
  FRAME_HEADER_LENGTH,
  frameSchemaId,
  isValidSchemaId,
  MAGIC_BYTE,
} from './wire-format';

/** The port a schema registry client implements: the writer schema's text, by id. */
export interface SchemaLookup {
  getSchemaById(id: number): Promise<string>;
}

/** A schema as JSON text, as a JSON object (e.g. a generated `AvroRecordSchema`) or a parsed avsc type. */
export type SchemaInput = string | avro.Type | object;

interface ParsedSchema {
  readonly type: avro.Type;
  /** The schema as parsed from its JSON text. */
  readonly json: unknown;
  /** Full canonical JSON (defaults and aliases included): the reader's identity for resolvers. */
  readonly fingerprint: string;
}

/**
 * Avro serializer and deserializer over the Confluent wire format.
 *
 * - Writer schemas are fetched by id through the lookup port once, then cached (a failed
 *   lookup is not cached, so the next message retries it).
 * - Decoding into a reader schema resolves the writer's data into the reader's shape (Avro
 *   schema resolution: added fields take their defaults, promotions apply, aliases match).
 *   Resolvers are cached by (writer id, reader fingerprint). The fingerprint is the full
 *   canonical schema, not Avro's Parsing Canonical Form: that form drops defaults and
 *   aliases, which change what a resolver produces.
 * - `timestamp-millis` values are plain numbers of epoch milliseconds (see TimestampMillisType).
 * - Encoding is strict: a missing, mistyped or undeclared field fails with ENCODE_FAILED
 *   and one issue per bad path, rather than being dropped or coerced.
 */
export class AvroSerde {
  private readonly writers = new Map<number, Promise<ParsedSchema>>();
  /** The writer schemas fetched so far, for synchronous decoding. */
  private readonly loaded = new Map<number, ParsedSchema>();
  /** Ids the registry does not know (a lookup that cannot heal), with the error. */
  private readonly unknown = new Map<number, unknown>();
  private readonly parsedByText = new Map<string, ParsedSchema>();
  private readonly parsedByType = new WeakMap<avro.Type, ParsedSchema>();
  private readonly resolvers = new Map<string, ReturnType<avro.Type['createResolver']>>();

  constructor(private readonly lookup: SchemaLookup) {}

  /** Encodes `value` with `schema` and frames it with `schemaId`. */
  encode(schemaId: number, schema: SchemaInput, value: unknown): Buffer {
    if (!isValidSchemaId(schemaId)) {
      throw new SerdeError(
        'ENCODE_FAILED',
        `schema id ${String(schemaId)} is not an unsigned 32-bit integer`,
      );
    }
    const { type } = this.parseInput(schema, 'ENCODE_FAILED', 'writer schema');
    // One pass: avsc's writers reject a value that does not fit as they write it. Only a
    // value that failed pays for the diagnosis, which names every bad path.
    const frame = encodeFramed(type, schemaId, value);
    if (frame !== undefined) return frame;
    const issues = validate(type, value);
    if (issues.length > 0) {
      throw new SerdeError(
        'ENCODE_FAILED',
        `value does not match schema ${describe(type)} (id ${schemaId}): ${issues
          .map((i) => `${i.path || '<root>'}: ${i.message}`)
          .join('; ')}`,
        { issues, schemaId },
      );
    }
    try {
      return encodeFrame(schemaId, type.toBuffer(value));
    } catch (err) {
      throw new SerdeError(
        'ENCODE_FAILED',
        `value could not be encoded with schema ${describe(type)} (id ${schemaId}): ${errorMessage(err)}`,
        { schemaId, cause: err },
      );
    }
  }

  /**
   * Decodes a framed message. Without a reader schema the value has the writer's shape;
   * with one, the writer's data is resolved into the reader's schema.
   */
  async decode(buf: Uint8Array, readerSchema?: SchemaInput): Promise<unknown> {
    await this.writerSchema(decodeFrame(buf).schemaId);
    return this.decodeSync(buf, readerSchema);
  }

  /**
   * Fetches the writer schemas of these framed messages that are not cached yet, so that
   * `decodeSync` can decode all of them: one await per batch instead of one per record.
   * A lookup that may heal (the registry did not answer) rejects, so the caller retries
   * the batch; one that cannot (an unknown id) is remembered and thrown by `decodeSync`
   * for the records that need it. Unframed messages are left for `decodeSync` to refuse.
   */
  async loadWriterSchemas(buffers: Iterable<Uint8Array | null | undefined>): Promise<void> {
    const missing = new Set<number>();
    // A batch's records mostly share one writer schema: each run of an id is looked up once.
    let previous: number | null = null;
    for (const buf of buffers) {
      const id = buf === null || buf === undefined ? null : frameSchemaId(buf);
      if (id === previous) continue;
      previous = id;
      if (id !== null && !this.loaded.has(id) && !this.unknown.has(id)) missing.add(id);
    }
    await Promise.all(
      [...missing].map((id) =>
        this.writerSchema(id).catch((err: unknown) => {
          if (err instanceof SerdeError && err.retriable) throw err;
          this.unknown.set(id, err);
        }),
      ),
    );
  }

  /**
   * Decodes a framed message whose writer schema is already cached (by `decode` or
   * `loadWriterSchemas`); a schema that is not throws UNKNOWN_SCHEMA.
   */
  decodeSync(buf: Uint8Array, readerSchema?: SchemaInput): unknown {
    // The frame is read in place: no payload slice per record on this hot path. A message
    // that is not framed goes to `decodeFrame`, which throws the precise reason.
    const schemaId = frameSchemaId(buf) ?? decodeFrame(buf).schemaId;
    const writer = this.loaded.get(schemaId);
    if (writer === undefined) {
      const failure = this.unknown.get(schemaId);
      if (failure !== undefined) throw failure;
      throw new SerdeError(
        'UNKNOWN_SCHEMA',
        `schema id ${schemaId} is not loaded: call loadWriterSchemas or decode first`,
        { schemaId, retriable: true },
      );
    }
    const reader =
      readerSchema === undefined
        ? undefined
        : this.parseInput(readerSchema, 'DECODE_FAILED', 'reader schema');
    const resolver =
      reader === undefined || reader.fingerprint === writer.fingerprint
        ? undefined
        : this.resolver(schemaId, writer, reader);
    return decodePayload(buf, schemaId, writer, reader?.type ?? writer.type, resolver);
  }

  /**
   * The writer schema (its JSON) of a schema id loaded already (by `decode` or
   * `loadWriterSchemas`), for code that reads the Avro bytes itself; undefined otherwise.
   */
  writerSchemaOf(schemaId: number): unknown {
    return this.loaded.get(schemaId)?.json;
  }

  /**
   * A decoder like `decodeSync` that reads only `fields` of a record and skips the others
   * (no string is built for a skipped field), for a consumer that needs a few fields of
   * wide events. The projection of each writer schema is built once. A writer schema that
   * is not a record, or whose kept fields refer to a type defined in a skipped one, is
   * decoded whole. Skipped bytes are walked, not checked: a consumer that must refuse a
   * malformed value in any field decodes it whole.
   */
  projection(fields: Iterable<string>): (buf: Uint8Array) => unknown {
    const keep = new Set(fields);
    const projected = new Map<
      number,
      { type: avro.Type; resolver: ReturnType<avro.Type['createResolver']> } | null
    >();
    return (buf) => {
      // The frame is read in place: no payload slice per record on this hot path.
      const schemaId = frameSchemaId(buf);
      const writer = schemaId === null ? undefined : this.loaded.get(schemaId);
      if (schemaId === null || writer === undefined) return this.decodeSync(buf);
      let projection = projected.get(schemaId);
      if (projection === undefined) {
        projection = projectRecord(writer.type, keep);
        projected.set(schemaId, projection);
      }
      if (projection === null) return this.decodeSync(buf);
      return decodePayload(buf, schemaId, writer, projection.type, projection.resolver);
    };
  }

  private writerSchema(schemaId: number): Promise<ParsedSchema> {
    let pending = this.writers.get(schemaId);
    if (!pending) {
      pending = this.fetchWriter(schemaId).then((parsed) => {
        this.loaded.set(schemaId, parsed);
        this.unknown.delete(schemaId);
        return parsed;
      });
      this.writers.set(schemaId, pending);
      // A registry outage must not poison the cache for this id.
      pending.catch(() => this.writers.delete(schemaId));
    }
    return pending;
  }

  private async fetchWriter(schemaId: number): Promise<ParsedSchema> {
    let text: string;
    try {
      text = await this.lookup.getSchemaById(schemaId);
    } catch (err) {
      throw new SerdeError(
        'UNKNOWN_SCHEMA',
        `schema id ${schemaId} could not be looked up: ${errorMessage(err)}`,
        // A lookup port that says whether a retry can help is believed (a 404 cannot);
        // otherwise assume a transient failure, as for a registry that did not answer.
        { schemaId, retriable: lookupRetriable(err), cause: err },
      );
    }
    try {
      return this.parseText(text);
    } catch (err) {
      throw new SerdeError(
        'UNKNOWN_SCHEMA',
        `schema id ${schemaId} is not a valid Avro schema: ${errorMessage(err)}`,
        { schemaId, cause: err },
      );
    }
  }

  private resolver(
    schemaId: number,
    writer: ParsedSchema,
    reader: ParsedSchema,
  ): ReturnType<avro.Type['createResolver']> {
    const key = `${schemaId}\u0000${reader.fingerprint}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      try {
        // Avro matches named types by unqualified name: a reader need not repeat the namespace.
        resolver = reader.type.createResolver(writer.type, { ignoreNamespaces: true });
      } catch (err) {
        throw new SerdeError(
          'DECODE_FAILED',
          `reader schema ${describe(reader.type)} cannot read data written with schema id ${schemaId} (${describe(
            writer.type,
          )}): ${errorMessage(err)}`,
          { schemaId, cause: err },
        );
      }
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }

  private parseInput(
    schema: SchemaInput,
    code: 'ENCODE_FAILED' | 'DECODE_FAILED',
    role: string,
  ): ParsedSchema {
    try {
      if (avro.Type.isType(schema)) {
        const type = schema as avro.Type;
        let parsed = this.parsedByType.get(type);
        if (!parsed) {
          parsed = { type, json: type.schema(), fingerprint: canonicalOfType(type) };
          this.parsedByType.set(type, parsed);
        }
        return parsed;
      }
      return this.parseText(typeof schema === 'string' ? schema : JSON.stringify(schema));
    } catch (err) {
      throw new SerdeError(code, `${role} is not a valid Avro schema: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  private parseText(text: string): ParsedSchema {
    let parsed = this.parsedByText.get(text);
    if (!parsed) {
      const json: unknown = JSON.parse(text);
      const type = forSchema(json);
      parsed = { type, json, fingerprint: canonicalOfType(type) };
      this.parsedByText.set(text, parsed);
    }
    return parsed;
  }
}

/**
 * Frames are encoded straight into a shared slab and handed out as views of it, as Node's
 * `allocUnsafe` hands out views of its pool: no copy of each encoded value. A slab is freed
 * once none of its frames is referenced.
 */
const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafe(SLAB_BYTES);
let slabUsed = 0;

/**
 * `value` encoded with `type` and framed with `schemaId` (Confluent wire format) in one
 * pass, or undefined when it does not fit the type (a wrong or missing value, an undeclared
 * field): then `validate` says where. `schemaId` must be valid.
 */
export function encodeFramed(
  type: avro.Type,
  schemaId: number,
  value: unknown,
): Buffer | undefined {
  if (hasUndeclaredFields(type, value)) return undefined;
  let start = slabUsed;
  let end: number;
  try {
    end = type.encode(value, slab, start + FRAME_HEADER_LENGTH);
    if (end < 0) {
      // No room left in this slab (avsc says how many bytes it lacked): a new one.
      const needed = slab.length - end - start;
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, needed));
      start = 0;
      end = type.encode(value, slab, FRAME_HEADER_LENGTH);
    }
  } catch {
    return undefined;
  }
  slab[start] = MAGIC_BYTE;
  slab.writeUInt32BE(schemaId, start + 1);
  slabUsed = end;
  return slab.subarray(start, end);
}

/** Record types whose fields hold no records (directly or in unions, arrays, maps). */
const flatRecords = new WeakMap<avro.Type, ReadonlySet<string> | null>();

/**
 * avsc ignores fields a record does not declare; encoding is strict about them. A flat
 * record (the usual event) is checked by its keys alone; anything nested by avsc's walk.
 */
function hasUndeclaredFields(type: avro.Type, value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  let declared = flatRecords.get(type);
  if (declared === undefined) {
    declared = avro.Type.isType(type, 'record', 'error')
      ? flatFieldNames(type as avro.types.RecordType)
      : null;
    flatRecords.set(type, declared);
  }
  if (declared === null) return !type.isValid(value, { noUndeclaredFields: true });
  for (const key in value) if (!declared.has(key)) return true;
  return false;
}

function flatFieldNames(record: avro.types.RecordType): ReadonlySet<string> | null {
  const nested = (t: avro.Type): boolean => {
    if (avro.Type.isType(t, 'record', 'error')) return true;
    if (avro.Type.isType(t, 'union'))
      return (t as unknown as { readonly types: readonly avro.Type[] }).types.some(nested);
    if (avro.Type.isType(t, 'array')) return nested((t as avro.types.ArrayType).itemsType);
    if (avro.Type.isType(t, 'map')) return nested((t as avro.types.MapType).valuesType);
    if (avro.Type.isType(t, 'logical')) {
      return nested((t as avro.types.LogicalType).underlyingType);
    }
    return false;
  };
  return record.fields.some((f) => nested(f.type))
    ? null
    : new Set(record.fields.map((f) => f.name));
}

/** Every path at which `value` does not fit `type`, with what was expected there. */
export function validate(type: avro.Type, value: unknown): SerdeIssue[] {
  const issues: SerdeIssue[] = [];
  // A field with a default may be left out (undefined): avsc writes the default.
  type.isValid(value, {
    errorHook: (path: string[], actual: unknown, expected: avro.Type) => {
      issues.push({ path: path.join('.'), message: issueMessage(actual, expected) });
    },
  });
  // avsc stops at a record with undeclared fields, so they are collected in a second pass.
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path: string[], actual: unknown, expected: avro.Type) => {
      const undeclared = undeclaredFields(actual, expected);
      if (undeclared.length > 0) {
        issues.push({
          path: path.join('.'),
          message: `undeclared field(s) ${undeclared.map((k) => `"${k}"`).join(', ')} in ${describe(expected)}`,
        });
      }
    },
  });
  return issues;
}

function undeclaredFields(actual: unknown, expected: avro.Type): string[] {
  if (!avro.Type.isType(expected, 'record', 'error')) return [];
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [];
  const declared = new Set((expected as avro.types.RecordType).fields.map((f) => f.name));
  return Object.keys(actual).filter((k) => !declared.has(k));
}

function issueMessage(actual: unknown, expected: avro.Type): string {
  if (actual === undefined) return `missing, expected ${describeSchema(expected)}`;
  return `expected ${describeSchema(expected)}, got ${preview(actual)}`;
}

function describe(type: avro.Type): string {
  return type.name ?? type.typeName;
}

function describeSchema(type: avro.Type): string {
  if (type.name !== undefined) return type.name;
  // A custom long or a logical type exports as its Avro schema, not its JS class name.
  return canonicalJson(type.schema({ exportAttrs: true }));
}

function preview(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return typeof value;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return typeof value;
  }
}

function lookupRetriable(err: unknown): boolean {
  if (typeof err === 'object' && err !== null && 'retriable' in err) {
    return (err as { retriable: unknown }).retriable !== false;
  }
  return true;
}

/** A reader of `writer` (a record) with only the fields in `keep`, or null if none can be made. */
function projectRecord(
  writer: avro.Type,
  keep: ReadonlySet<string>,
): { type: avro.Type; resolver: ReturnType<avro.Type['createResolver']> } | null {
  if (writer.typeName !== 'record') return null;
  const schema = writer.schema({ exportAttrs: true }) as { fields: { name: string }[] };
  if (schema.fields.every((f) => keep.has(f.name))) return null;
  try {
    const type = forSchema({ ...schema, fields: schema.fields.filter((f) => keep.has(f.name)) });
    return { type, resolver: type.createResolver(writer) };
  } catch {
    return null;
  }
}

/**
 * Decodes the payload of a framed message with `type` (and `resolver`, if the reader differs
 * from the writer), reading the buffer in place after the 5-byte header. Anything but one
 * whole value is DECODE_FAILED, naming the writer schema.
 */
function decodePayload(
  buf: Uint8Array,
  schemaId: number,
  writer: ParsedSchema,
  type: avro.Type,
  resolver: ReturnType<avro.Type['createResolver']> | undefined,
): unknown {
  let problem: string;
  let cause: unknown;
  try {
    const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
    const { value, offset } = type.decode(bytes, FRAME_HEADER_LENGTH, resolver);
    if (offset === buf.length) return value;
    problem = offset === -1 ? 'truncated buffer' : 'trailing data';
  } catch (err) {
    problem = errorMessage(err);
    cause = err;
  }
  throw new SerdeError(
    'DECODE_FAILED',
    `payload of ${buf.length - FRAME_HEADER_LENGTH} byte(s) written with schema id ${schemaId} (${describe(
      writer.type,
    )}) could not be decoded: ${problem}`,
    cause === undefined ? { schemaId } : { schemaId, cause },
  );
}
