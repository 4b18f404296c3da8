import { RegistryStore } from './registry.store';
import {
  call,
  dropDbSchema,
  recordSchema,
  startRegistry,
  uniqueDbSchema,
  type RunningRegistry,
} from '../testing/registry-test-app';

describe(`${RegistryStore.name} across restarts`, () => {
  const dbSchema = uniqueDbSchema('restart');
  let registry: RunningRegistry | undefined;

  afterAll(async () => {
    await registry?.close();
    await dropDbSchema(dbSchema);
  });

  it('keeps every id and version after the app is replaced by a fresh instance', async () => {
    registry = await startRegistry(dbSchema);
    await call(registry.url, 'PUT', '/config', { compatibility: 'NONE' });
    const schemas = Array.from({ length: 5 }, (_, i) =>
      recordSchema(`Event${i}`, [
        { name: 'id', type: 'string' },
        { name: `f${i}`, type: 'int' },
      ]),
    );
    const ids: number[] = [];
    for (const [i, schema] of schemas.entries()) {
      const res = await call<{ id: number }>(
        registry.url,
        'POST',
        `/subjects/restart-${i % 2}/versions`,
        { schema },
      );
      expect(res.status).toBe(200);
      ids.push(res.body.id);
    }
    await registry.close();

    registry = await startRegistry(dbSchema);
    for (const [i, schema] of schemas.entries()) {
      expect((await call(registry.url, 'GET', `/schemas/ids/${ids[i]}`)).body).toEqual({ schema });
    }
    for (const [i, schema] of schemas.entries()) {
      const again = await call<{ id: number }>(
        registry.url,
        'POST',
        `/subjects/restart-${i % 2}/versions`,
        { schema },
      );
      expect(again.body.id).toBe(ids[i]);
    }
    expect((await call(registry.url, 'GET', '/subjects/restart-0/versions')).body).toEqual([
      1, 2, 3,
    ]);
    expect((await call(registry.url, 'GET', '/subjects/restart-1/versions')).body).toEqual([1, 2]);
    expect((await call(registry.url, 'GET', '/config')).body).toEqual({
      compatibilityLevel: 'NONE',
    });
    // A new schema after the restart gets a new id, never a reused one.
    const fresh = await call<{ id: number }>(registry.url, 'POST', '/subjects/restart-2/versions', {
      schema: recordSchema('Fresh', [{ name: 'x', type: 'long' }]),
    });
    expect(ids).not.toContain(fresh.body.id);
  });
});
