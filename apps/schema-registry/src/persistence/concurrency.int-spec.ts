import { RegistryStore } from './registry.store';
import {
  call,
  dropDbSchema,
  recordSchema,
  startRegistry,
  uniqueDbSchema,
  type RunningRegistry,
} from '../testing/registry-test-app';

describe(`${RegistryStore.name} under concurrent registrations`, () => {
  const dbSchema = uniqueDbSchema('concurrency');
  let registry: RunningRegistry;
  let second: RunningRegistry;

  beforeAll(async () => {
    // Two instances on the same tables, booting together on an empty schema: the migration
    // and registration locks are in PostgreSQL, not in the process.
    [registry, second] = await Promise.all([startRegistry(dbSchema), startRegistry(dbSchema)]);
  });

  afterAll(async () => {
    await registry?.close();
    await second?.close();
    await dropDbSchema(dbSchema);
  });

  it('gives 20 concurrent registrations of one new schema exactly one id and one version', async () => {
    const schema = recordSchema('Same', [{ name: 'id', type: 'string' }]);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call<{ id: number }>(
          i % 2 ? second.url : registry.url,
          'POST',
          '/subjects/same-value/versions',
          { schema },
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect((await call(registry.url, 'GET', '/subjects/same-value/versions')).body).toEqual([1]);
  });

  it('gives one schema registered concurrently under 10 subjects one id', async () => {
    const schema = recordSchema('Cross', [{ name: 'id', type: 'string' }]);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call<{ id: number }>(
          i % 2 ? second.url : registry.url,
          'POST',
          `/subjects/cross-${i}/versions`,
          { schema },
        ),
      ),
    );
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
  });

  it('numbers 10 concurrent compatible schemas under one subject 1..10 without gaps or duplicates', async () => {
    const schemas = Array.from({ length: 10 }, (_, i) =>
      recordSchema('Grow', [
        { name: 'id', type: 'string' },
        { name: `opt${i}`, type: ['null', 'string'], default: null },
      ]),
    );
    await call(registry.url, 'PUT', '/config/grow-value', { compatibility: 'BACKWARD' });
    const responses = await Promise.all(
      schemas.map((schema, i) =>
        call<{ id: number }>(
          i % 2 ? second.url : registry.url,
          'POST',
          '/subjects/grow-value/versions',
          { schema },
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(10);
    expect((await call(registry.url, 'GET', '/subjects/grow-value/versions')).body).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    // Each id sits at exactly one version.
    const byVersion = await Promise.all(
      schemas.map((_, i) =>
        call<{ id: number }>(registry.url, 'GET', `/subjects/grow-value/versions/${i + 1}`),
      ),
    );
    expect(new Set(byVersion.map((r) => r.body.id))).toEqual(
      new Set(responses.map((r) => r.body.id)),
    );
  });
});
