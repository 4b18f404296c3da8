import * as avro from 'avsc';
import fc from 'fast-check';
import {
  AvroField,
  AvroRecordSchema,
  AvroValueType,
  generateAllSchemas,
  toJson,
} from './avro-schema';
import { forSchema } from './avro-types';
import { AvroSerde, encodeFramed, SchemaLookup, validate } from './serde';
import { SerdeError } from './serde.error';
import { loadEcommerceModel } from './testing/ecommerce-model';
import { encodeFrame } from './wire-format';

/** An in-memory registry that counts lookups. */
class MapLookup implements SchemaLookup {
  readonly calls: number[] = [];
  constructor(private readonly schemas: ReadonlyMap<number, string>) {}
  async getSchemaById(id: number): Promise<string> {
    this.calls.push(id);
    const schema = this.schemas.get(id);
    if (schema === undefined) throw new Error(`schema ${id} not found (40403)`);
    return schema;
  }
}

const schemas = generateAllSchemas(loadEcommerceModel());
const ids = new Map<string, number>(Object.keys(schemas).map((name, i) => [name, i + 1]));
const registry = new Map<number, string>(
  Object.entries(schemas).map(([name, schema]) => [ids.get(name) ?? 0, toJson(schema)]),
);
const pageViewJson = registry.get(1) ?? '';

const pageView = {
  event_id: 'e-1',
  timestamp: 1_700_000_000_123,
  user_id: 'u-1',
  page_url: '/home',
  page_title: null,
  referrer: null,
  device_type: 'mobile',
  country: 'DE',
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe(AvroSerde.name, () => {
  it('round-trips an event, keeping the timestamp a number of epoch ms', async () => {
    const serde = new AvroSerde(new MapLookup(registry));

    const frame = serde.encode(1, pageViewJson, pageView);
    const decoded = await serde.decode(frame);

    expect(frame[0]).toBe(0);
    expect(frame.readUInt32BE(1)).toBe(1);
    expect(decoded).toEqual(pageView);
    expect(typeof (decoded as { timestamp: unknown }).timestamp).toBe('number');
  });

  it('accepts the generated schema object and a parsed avsc type as well as JSON text', async () => {
    const serde = new AvroSerde(new MapLookup(registry));
    const schema = schemas['page_view'] as AvroRecordSchema;

    const fromObject = serde.encode(1, schema, pageView);
    const fromType = serde.encode(1, avro.Type.forSchema(JSON.parse(pageViewJson)), pageView);

    expect(fromObject).toEqual(serde.encode(1, pageViewJson, pageView));
    expect(fromType).toEqual(fromObject);
  });

  it('looks a writer schema up once and caches it by id', async () => {
    const lookup = new MapLookup(registry);
    const serde = new AvroSerde(lookup);
    const frame = serde.encode(1, pageViewJson, pageView);

    await Promise.all([serde.decode(frame), serde.decode(frame)]);
    await serde.decode(frame);

    expect(lookup.calls).toEqual([1]);
  });

  it('decodes a batch synchronously after one lookup per unknown id', async () => {
    const lookup = new MapLookup(registry);
    const serde = new AvroSerde(lookup);
    const frames = [1, 2, 3].map((n) =>
      serde.encode(1, pageViewJson, { ...pageView, event_id: `e-${n}` }),
    );

    expect(thrown(() => serde.decodeSync(frames[0]))).toMatchObject({
      code: 'UNKNOWN_SCHEMA',
      retriable: true,
    });
    await serde.loadWriterSchemas([...frames, null, Buffer.from('not framed')]);
    await serde.loadWriterSchemas(frames);

    expect(frames.map((f) => (serde.decodeSync(f) as { event_id: string }).event_id)).toEqual([
      'e-1',
      'e-2',
      'e-3',
    ]);
    expect(lookup.calls).toEqual([1]);
  });

  it('decodes only the fields of a projection, skipping the others', async () => {
    const serde = new AvroSerde(new MapLookup(registry));
    const frame = serde.encode(1, pageViewJson, { ...pageView, page_title: 'Home' });
    await serde.loadWriterSchemas([frame]);
    const project = serde.projection(['event_id', 'timestamp', 'device_type', 'not_a_field']);

    expect(project(frame)).toEqual({
      event_id: 'e-1',
      timestamp: 1_700_000_000_123,
      device_type: 'mobile',
    });
    expect(thrown(() => project(frame.subarray(0, frame.length - 3)))).toMatchObject({
      code: 'DECODE_FAILED',
    });
  });

  it('decodes whole what a projection cannot narrow: every field kept, or not a record', async () => {
    const string = '"string"';
    const serde = new AvroSerde(new MapLookup(new Map([...registry, [99, string]])));
    const whole = serde.encode(1, pageViewJson, pageView);
    const text = serde.encode(99, string, 'hello');
    await serde.loadWriterSchemas([whole, text]);

    expect(serde.projection(Object.keys(pageView))(whole)).toEqual(pageView);
    expect(serde.projection(['event_id'])(text)).toBe('hello');
  });

  it('remembers an id the registry does not know for decodeSync, and rejects a lookup that may heal', async () => {
    const notFound = Object.assign(new Error('Schema 7 not found'), { retriable: false });
    const unknown = new AvroSerde({ getSchemaById: () => Promise.reject(notFound) });
    const frame = encodeFrame(7, Buffer.alloc(0));

    await unknown.loadWriterSchemas([frame]);

    expect(thrown(() => unknown.decodeSync(frame))).toMatchObject({
      code: 'UNKNOWN_SCHEMA',
      retriable: false,
      schemaId: 7,
    });

    const down = new AvroSerde({ getSchemaById: () => Promise.reject(new Error('ECONNREFUSED')) });
    await expect(down.loadWriterSchemas([frame])).rejects.toMatchObject({
      code: 'UNKNOWN_SCHEMA',
      retriable: true,
    });
  });

  it('reads data written with an older schema into the newer reader schema', async () => {
    const v1 = {
      type: 'record',
      name: 'purchase',
      fields: [
        { name: 'order_id', type: 'string' },
        { name: 'quantity', type: 'int' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      ],
    };
    const v2 = {
      type: 'record',
      name: 'purchase',
      fields: [
        { name: 'order_id', type: 'string' },
        { name: 'quantity', type: 'long' },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'coupon', type: ['null', 'string'], default: null },
        { name: 'channel', type: 'string', default: 'web' },
      ],
    };
    const serde = new AvroSerde(new MapLookup(new Map([[10, JSON.stringify(v1)]])));
    const frame = serde.encode(10, v1, { order_id: 'o-1', quantity: 3, at: 42 });

    await expect(serde.decode(frame, JSON.stringify(v2))).resolves.toEqual({
      order_id: 'o-1',
      quantity: 3,
      at: 42,
      coupon: null,
      channel: 'web',
    });
    // Same reader text again, and the same reader as an object: served by the cached resolver.
    await expect(serde.decode(frame, v2)).resolves.toMatchObject({ channel: 'web' });
  });

  it('fails with DECODE_FAILED when the reader schema cannot read the writer data', async () => {
    const serde = new AvroSerde(new MapLookup(registry));
    const frame = serde.encode(1, pageViewJson, pageView);
    const reader = {
      type: 'record',
      name: 'page_view',
      fields: [{ name: 'session_id', type: 'string' }],
    };

    const err = await rejection(serde.decode(frame, reader));

    expect(err).toBeInstanceOf(SerdeError);
    expect(err).toMatchObject({ code: 'DECODE_FAILED', schemaId: 1, retriable: false });
    expect((err as Error).message).toContain('session_id');
  });

  it('fails with UNKNOWN_SCHEMA, retriable, when the lookup fails, and retries it next time', async () => {
    const lookup = new MapLookup(new Map());
    const serde = new AvroSerde(lookup);
    const frame = encodeFrame(99, Buffer.alloc(0));

    const first = await rejection(serde.decode(frame));
    await rejection(serde.decode(frame));

    expect(first).toMatchObject({ code: 'UNKNOWN_SCHEMA', retriable: true, schemaId: 99 });
    expect((first as Error).message).toBe(
      'schema id 99 could not be looked up: schema 99 not found (40403)',
    );
    expect(lookup.calls).toEqual([99, 99]);
  });

  it('fails with UNKNOWN_SCHEMA, not retriable, when the lookup says a retry cannot help', async () => {
    const notFound = Object.assign(new Error('Schema 7 not found'), { retriable: false });
    const serde = new AvroSerde({ getSchemaById: () => Promise.reject(notFound) });

    const err = await rejection(serde.decode(encodeFrame(7, Buffer.alloc(0))));

    expect(err).toMatchObject({ code: 'UNKNOWN_SCHEMA', retriable: false, schemaId: 7 });
  });

  it('fails with UNKNOWN_SCHEMA, not retriable, when the registry returns an invalid schema', async () => {
    const serde = new AvroSerde(new MapLookup(new Map([[5, '{"type":"recrod"}']])));

    const err = await rejection(serde.decode(encodeFrame(5, Buffer.alloc(0))));

    expect(err).toMatchObject({ code: 'UNKNOWN_SCHEMA', retriable: false });
    expect((err as Error).message).toContain('schema id 5 is not a valid Avro schema');
  });

  it('fails with DECODE_FAILED on a truncated payload and on trailing bytes', async () => {
    const serde = new AvroSerde(new MapLookup(registry));
    const frame = serde.encode(1, pageViewJson, pageView);

    await expect(serde.decode(frame.subarray(0, frame.length - 3))).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringContaining('truncated'),
    });
    await expect(serde.decode(Buffer.concat([frame, Buffer.from([1])]))).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringContaining('trailing'),
    });
  });

  it('fails with ENCODE_FAILED naming every bad field path', () => {
    const serde = new AvroSerde(new MapLookup(registry));
    const bad = { ...pageView, timestamp: 1.5, device_type: 7, page_url: undefined, colour: 'red' };
    delete (bad as Partial<typeof bad>).country;

    const err = thrown(() => serde.encode(1, pageViewJson, bad));

    expect(err).toBeInstanceOf(SerdeError);
    const { code, issues, message } = err as SerdeError;
    expect(code).toBe('ENCODE_FAILED');
    expect(issues.map((i) => i.path)).toEqual(['timestamp', 'device_type', 'country', '']);
    expect(issues[0]?.message).toBe(
      'expected {"logicalType":"timestamp-millis","type":"long"}, got 1.5',
    );
    expect(issues[2]?.message).toBe('missing, expected "string"');
    expect(issues[3]?.message).toContain('undeclared field(s) "colour"');
    expect(message).toContain('device_type: expected "string", got 7');
  });

  it('encodes a left-out field that has a default as that default', async () => {
    const serde = new AvroSerde(new MapLookup(registry));
    const { referrer: _omitted, ...withoutReferrer } = pageView;

    await expect(serde.decode(serde.encode(1, pageViewJson, withoutReferrer))).resolves.toEqual(
      pageView,
    );
  });

  it.each([
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    -(2 ** 52) - 1,
    2 ** 52 + 1,
    -1,
    0,
    // Either side of the fast path's limit (2^48) and of the 7-byte varint (2^48 zigzag).
    2 ** 48 - 1,
    2 ** 48,
    -(2 ** 48),
    -(2 ** 48) - 1,
    2 ** 49 + 3,
    1_796_245_962_731,
  ])('round-trips the long %p exactly (avsc alone corrupts negatives below -2^52)', async (n) => {
    const schema = '{"type":"record","name":"r","fields":[{"name":"n","type":"long"}]}';
    const serde = new AvroSerde(new MapLookup(new Map([[1, schema]])));

    await expect(serde.decode(serde.encode(1, schema, { n }))).resolves.toEqual({ n });
  });

  it('writes longs as the Avro spec does: zigzag varints, on both sides of the fast path', () => {
    const type = forSchema('long');
    const zigzag = (n: bigint): Buffer => {
      let z = n >= 0n ? n << 1n : (-n << 1n) - 1n;
      const bytes: number[] = [];
      while (z >= 0x80n) {
        bytes.push(Number(z & 0x7fn) | 0x80);
        z >>= 7n;
      }
      bytes.push(Number(z));
      return Buffer.from(bytes);
    };
    for (const n of [0, -1, 63, -64, 2 ** 48 - 1, -(2 ** 48), 2 ** 48, Number.MIN_SAFE_INTEGER]) {
      expect(type.toBuffer(n)).toEqual(zigzag(BigInt(n)));
      expect(type.fromBuffer(zigzag(BigInt(n)))).toBe(n);
    }
  });

  it('fails with DECODE_FAILED on a long beyond 2^53 rather than losing precision', async () => {
    const schema = '{"type":"record","name":"r","fields":[{"name":"n","type":"long"}]}';
    const serde = new AvroSerde(new MapLookup(new Map([[1, schema]])));
    // zigzag(2^60) as a varint: 2^61 in 7-bit groups.
    const varint = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);

    await expect(serde.decode(encodeFrame(1, varint))).rejects.toMatchObject({
      code: 'DECODE_FAILED',
      message: expect.stringContaining('outside the safe integer range'),
    });
  });

  it('encodes in one pass the same bytes as a separate validation and encode', () => {
    const type = forSchema(JSON.parse(pageViewJson));
    expect(validate(type, pageView)).toEqual([]);
    expect(encodeFramed(type, 7, pageView)).toEqual(encodeFrame(7, type.toBuffer(pageView)));
    expect(encodeFramed(type, 7, { ...pageView, device_type: 7 })).toBeUndefined();
    expect(encodeFramed(type, 7, { ...pageView, colour: 'red' })).toBeUndefined();
  });

  it('hands out frames that later encodes never overwrite, values larger than a slab included', () => {
    const type = forSchema(JSON.parse(pageViewJson));
    const values = Array.from({ length: 3_000 }, (_, i) => ({
      ...pageView,
      page_url: i % 1_000 === 7 ? `https://shop.example/${'x'.repeat(100_000)}` : `/p/${i}`,
    }));
    const frames = values.map((v, i) => encodeFramed(type, i, v));
    // A failed encode in between leaves the frames before it as they were.
    expect(encodeFramed(type, 1, { ...pageView, device_type: 7 })).toBeUndefined();
    values.forEach((v, i) => {
      expect(frames[i]).toEqual(encodeFrame(i, type.toBuffer(v)));
    });
  });

  it('fails with ENCODE_FAILED on an invalid schema or schema id', () => {
    const serde = new AvroSerde(new MapLookup(registry));

    expect(thrown(() => serde.encode(1, '{"type":', pageView))).toMatchObject({
      code: 'ENCODE_FAILED',
    });
    expect(thrown(() => serde.encode(-1, pageViewJson, pageView))).toMatchObject({
      code: 'ENCODE_FAILED',
    });
  });

  describe('properties', () => {
    const valueArb = (type: AvroValueType): fc.Arbitrary<unknown> => {
      if (typeof type === 'object') return fc.maxSafeInteger();
      switch (type) {
        case 'string':
          return fc.string({ unit: 'grapheme' });
        case 'int':
          return fc.integer();
        case 'long':
          return fc.maxSafeInteger();
        case 'float':
          return fc.float();
        case 'double':
          return fc.double();
        case 'boolean':
          return fc.boolean();
      }
    };
    const fieldArb = (field: AvroField): fc.Arbitrary<unknown> =>
      Array.isArray(field.type)
        ? fc.option(valueArb(field.type[1] as AvroValueType), { nil: null })
        : valueArb(field.type as AvroValueType);
    const eventArb = (schema: AvroRecordSchema): fc.Arbitrary<Record<string, unknown>> =>
      fc.record(Object.fromEntries(schema.fields.map((f) => [f.name, fieldArb(f)])));

    it.each(Object.keys(schemas))('round-trips arbitrary %s events', async (name) => {
      const schema = schemas[name] as AvroRecordSchema;
      const id = ids.get(name) ?? 0;
      const serde = new AvroSerde(new MapLookup(registry));

      await fc.assert(
        fc.asyncProperty(eventArb(schema), async (event) => {
          const decoded = await serde.decode(serde.encode(id, toJson(schema), event));
          expect(decoded).toEqual(event);
        }),
      );
    });

    it('rejects arbitrary bytes with nothing but SerdeError', async () => {
      const serde = new AvroSerde(new MapLookup(registry));
      const framed = fc
        .tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 64 }))
        .map(([id, payload]) => new Uint8Array(encodeFrame(id, payload)));

      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 64 }), framed), async (bytes) => {
          try {
            await serde.decode(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(SerdeError);
          }
        }),
        { numRuns: 500 },
      );
    });
  });
});
