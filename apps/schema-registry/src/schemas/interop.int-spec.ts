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
});
