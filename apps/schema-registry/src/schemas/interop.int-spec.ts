import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AvroSerde, type SchemaLookup } from '@platform/schema-registry';
import { SchemasController } from './schemas.controller';
import {
  call,
  dropDbSchema,
  startRegistry,
  uniqueDbSchema,
  type RunningRegistry,
} from '../testing/registry-test-app';

const PAGE_VIEW = JSON.stringify({
  type: 'record',
  name: 'PageView',
  namespace: 'com.example.events',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'user_id', type: 'string' },
    { name: 'duration_ms', type: 'int' },
    { name: 'referrer', type: ['null', 'string'], default: null },
  ],
});

const RECORD = {
  event_id: 'e-1',
  timestamp: 1_732_530_000_123,
  user_id: 'u-42',
  duration_ms: 1500,
  referrer: 'https://example.com',
};

/** Our serde's port, over our registry's HTTP API. */
function httpLookup(baseUrl: string): SchemaLookup {
  return {
    async getSchemaById(id: number): Promise<string> {
      const res = await call<{ schema: string }>(baseUrl, 'GET', `/schemas/ids/${id}`);
      if (res.status !== 200) throw new Error(`schema ${id}: HTTP ${res.status} ${res.text}`);
      return res.body.schema;
    },
  };
}

describe(`${SchemasController.name} interoperability with the Confluent client`, () => {
  const dbSchema = uniqueDbSchema('interop');
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry(dbSchema);
  });

  afterAll(async () => {
    await registry?.close();
    await dropDbSchema(dbSchema);
  });

  it('decodes with our AvroSerde what @kafkajs/confluent-schema-registry registered and encoded here', async () => {
    const theirs = new SchemaRegistry({ host: registry.url });
    const { id } = await theirs.register(
      { type: SchemaType.AVRO, schema: PAGE_VIEW },
      { subject: 'events.page_view-value' },
    );
    const message = await theirs.encode(id, RECORD);

    expect(message.readUInt8(0)).toBe(0);
    expect(message.readUInt32BE(1)).toBe(id);
    const ours = new AvroSerde(httpLookup(registry.url));
    expect(await ours.decode(message)).toEqual(RECORD);

    // Their client set the subject's level on first registration, through our config API.
    expect((await call(registry.url, 'GET', '/config/events.page_view-value')).body).toEqual({
      compatibilityLevel: 'BACKWARD',
    });
    // And registering again through their client is a no-op with the same id.
    const again = await theirs.register(
      { type: SchemaType.AVRO, schema: PAGE_VIEW },
      { subject: 'events.page_view-value' },
    );
    expect(again.id).toBe(id);
  });

  it('lets @kafkajs/confluent-schema-registry decode what our AvroSerde encoded with an id from our API', async () => {
    const registered = await call<{ id: number }>(
      registry.url,
      'POST',
      '/subjects/events.page_view_v2-value/versions',
      {
        schema: PAGE_VIEW,
      },
    );
    expect(registered.status).toBe(200);
    const ours = new AvroSerde(httpLookup(registry.url));
    const message = ours.encode(registered.body.id, PAGE_VIEW, { ...RECORD, referrer: null });

    const theirs = new SchemaRegistry({ host: registry.url });
    expect(await theirs.decode(message)).toEqual({ ...RECORD, referrer: null });
    expect(await theirs.getLatestSchemaId('events.page_view_v2-value')).toBe(registered.body.id);
  });

  it('gives the same schema written two ways one id and one version, whichever client registers it', async () => {
    const subject = 'events.spelled-value';
    const theirs = new SchemaRegistry({ host: registry.url });
    const { id } = await theirs.register({ type: SchemaType.AVRO, schema: PAGE_VIEW }, { subject });
    // Full name instead of a namespace, primitives as objects, other key order, whitespace.
    const spelledOtherwise = `{
      "fields": [
        {"type": {"type": "string"}, "name": "event_id"},
        {"name": "timestamp", "type": {"logicalType": "timestamp-millis", "type": "long"}},
        {"name": "user_id", "type": {"type": "string"}},
        {"name": "duration_ms", "type": "int"},
        {"default": null, "name": "referrer", "type": ["null", {"type": "string"}]}
      ],
      "type": "record",
      "name": "com.example.events.PageView"
    }`;
    const again = await call<{ id: number }>(
      registry.url,
      'POST',
      `/subjects/${subject}/versions`,
      {
        schema: spelledOtherwise,
      },
    );
    expect(again.body).toEqual({ id });
    expect((await call(registry.url, 'GET', `/subjects/${subject}/versions`)).body).toEqual([1]);
    const found = await call(registry.url, 'POST', `/subjects/${subject}`, {
      schema: spelledOtherwise,
    });
    expect(found.body).toMatchObject({ id, version: 1 });
    // Their client finds it by the other spelling too.
    expect(
      await theirs.getRegistryIdBySchema(subject, {
        type: SchemaType.AVRO,
        schema: spelledOtherwise,
      }),
    ).toBe(id);
  });

  it('keeps the attributes that change a schema: another doc is another schema', async () => {
    const subject = 'events.documented-value';
    const base = JSON.parse(PAGE_VIEW) as Record<string, unknown>;
    const first = await call<{ id: number }>(
      registry.url,
      'POST',
      `/subjects/${subject}/versions`,
      {
        schema: JSON.stringify({ ...base, doc: 'one' }),
      },
    );
    const second = await call<{ id: number }>(
      registry.url,
      'POST',
      `/subjects/${subject}/versions`,
      {
        schema: JSON.stringify({ ...base, doc: 'two' }),
      },
    );
    expect(second.body.id).not.toBe(first.body.id);
  });

  it('stores the canonical text of a new schema registered with normalize=true', async () => {
    const res = await call<{ id: number }>(
      registry.url,
      'POST',
      '/subjects/events.normalized-value/versions?normalize=true',
      {
        schema:
          '{"type": "record", "name": "N", "namespace": "x", "fields": [{"name": "a", "type": {"type": "int"}}]}',
      },
    );
    expect(res.status).toBe(200);
    const stored = await call<{ schema: string }>(
      registry.url,
      'GET',
      `/schemas/ids/${res.body.id}`,
    );
    expect(stored.body.schema).toBe(
      '{"name":"x.N","type":"record","fields":[{"name":"a","type":"int"}]}',
    );
  });

  it('answers /mode, /mode/{subject}, /contexts and /schemas/types as Confluent does', async () => {
    expect((await call(registry.url, 'GET', '/mode')).body).toEqual({ mode: 'READWRITE' });
    expect((await call(registry.url, 'GET', '/mode/events.page_view-value')).body).toEqual({
      mode: 'READWRITE',
    });
    expect((await call(registry.url, 'PUT', '/mode', { mode: 'READWRITE' })).body).toEqual({
      mode: 'READWRITE',
    });
    const readonly = await call(registry.url, 'PUT', '/mode/events.page_view-value', {
      mode: 'READONLY',
    });
    expect(readonly.status).toBe(422);
    expect(readonly.body).toMatchObject({ error_code: 42205 });
    const invalid = await call(registry.url, 'PUT', '/mode', { mode: 'SOMETIMES' });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({ error_code: 42204 });
    expect((await call(registry.url, 'GET', '/contexts')).body).toEqual(['.']);
    expect((await call(registry.url, 'GET', '/schemas/types')).body).toEqual(['AVRO']);
  });
});
