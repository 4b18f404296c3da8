import { CompatibilityConfigController } from './compatibility-config.controller';
import {
  call,
  dropDbSchema,
  recordSchema,
  startRegistry,
  uniqueDbSchema,
  type RunningRegistry,
} from '../testing/registry-test-app';

const V1 = recordSchema('User', [{ name: 'id', type: 'string' }]);
const V2_REQUIRED = recordSchema('User', [
  { name: 'id', type: 'string' },
  { name: 'age', type: 'int' },
]);
const V2_OPTIONAL = recordSchema('User', [
  { name: 'id', type: 'string' },
  { name: 'age', type: 'int', default: 0 },
]);

describe(CompatibilityConfigController.name, () => {
  const dbSchema = uniqueDbSchema('config');
  let registry: RunningRegistry;
  const api = <T = unknown>(method: string, path: string, body?: unknown) =>
    call<T>(registry.url, method, path, body);

  beforeAll(async () => {
    registry = await startRegistry(dbSchema);
  });

  afterAll(async () => {
    await registry?.close();
    await dropDbSchema(dbSchema);
  });

  it('defaults the global level to BACKWARD and lets PUT /config change it', async () => {
    expect((await api('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await api('PUT', '/config', { compatibility: 'full' })).body).toEqual({
      compatibility: 'FULL',
    });
    expect((await api('GET', '/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await api('DELETE', '/config')).body).toEqual({ compatibilityLevel: 'FULL' });
    expect((await api('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('answers 42203 for an unknown level and keeps the old one', async () => {
    const res = await api<{ error_code: number }>('PUT', '/config', { compatibility: 'SIDEWAYS' });
    expect(res.status).toBe(422);
    expect(res.body.error_code).toBe(42203);
    expect((await api<{ error_code: number }>('PUT', '/config/x', {})).body.error_code).toBe(42203);
    expect((await api('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('answers 40408 for a subject without its own level, unless defaultToGlobal', async () => {
    const res = await api<{ error_code: number; message: string }>('GET', '/config/plain-value');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error_code: 40408,
      message: "Subject 'plain-value' does not have subject-level compatibility configured",
    });
    expect((await api('GET', '/config/plain-value?defaultToGlobal=true')).body).toEqual({
      compatibilityLevel: 'BACKWARD',
    });
  });

  it('applies a subject level to registrations and removes it with DELETE', async () => {
    await api('POST', '/subjects/users-value/versions', { schema: V1 });
    expect(
      (await api('POST', '/subjects/users-value/versions', { schema: V2_REQUIRED })).status,
    ).toBe(409);

    expect((await api('PUT', '/config/users-value', { compatibility: 'NONE' })).body).toEqual({
      compatibility: 'NONE',
    });
    expect((await api('GET', '/config/users-value')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect(
      (await api('POST', '/subjects/users-value/versions', { schema: V2_REQUIRED })).status,
    ).toBe(200);

    expect((await api('DELETE', '/config/users-value')).body).toEqual({
      compatibilityLevel: 'NONE',
    });
    expect((await api<{ error_code: number }>('GET', '/config/users-value')).body.error_code).toBe(
      40408,
    );
    expect(
      (await api<{ error_code: number }>('DELETE', '/config/users-value')).body.error_code,
    ).toBe(40401);
  });

  it('checks compatibility against a version without registering, with messages when verbose', async () => {
    await api('POST', '/subjects/check-value/versions', { schema: V1 });
    const bad = await api('POST', '/compatibility/subjects/check-value/versions/latest', {
      schema: V2_REQUIRED,
    });
    expect(bad.status).toBe(200);
    expect(bad.body).toEqual({ is_compatible: false });

    const verbose = await api<{ is_compatible: boolean; messages: string[] }>(
      'POST',
      '/compatibility/subjects/check-value/versions/1?verbose=true',
      { schema: V2_REQUIRED },
    );
    expect(verbose.body.is_compatible).toBe(false);
    expect(verbose.body.messages.join('\n')).toMatch(/age/);

    expect(
      (
        await api('POST', '/compatibility/subjects/check-value/versions/latest', {
          schema: V2_OPTIONAL,
        })
      ).body,
    ).toEqual({
      is_compatible: true,
    });
    expect((await api('GET', '/subjects/check-value/versions')).body).toEqual([1]);
  });

  it('answers the compatibility check with 40402, 42202 and 42201 as Confluent does', async () => {
    await api('POST', '/subjects/check2-value/versions', { schema: V1 });
    const code = async (path: string, schema: string): Promise<number> =>
      (await api<{ error_code: number }>('POST', path, { schema })).body.error_code;
    // A numbered version that is not there is 40402, whether or not the subject is.
    expect(await code('/compatibility/subjects/nobody/versions/1', V1)).toBe(40402);
    expect(await code('/compatibility/subjects/check2-value/versions/5', V1)).toBe(40402);
    expect(await code('/compatibility/subjects/check2-value/versions/abc', V1)).toBe(42202);
    expect(
      await code('/compatibility/subjects/check2-value/versions/latest', '{"type":"nope"}'),
    ).toBe(42201);
    // With verbose, an invalid candidate is an incompatible answer that says why.
    for (const path of [
      '/compatibility/subjects/check2-value/versions/latest?verbose=true',
      '/compatibility/subjects/check2-value/versions?verbose=true',
    ]) {
      const verbose = await api<{ is_compatible: boolean; messages: string[] }>('POST', path, {
        schema: '{"type":"nope"}',
      });
      expect(verbose.status).toBe(200);
      expect(verbose.body.is_compatible).toBe(false);
      expect(verbose.body.messages.join('\n')).toMatch(/nope/);
    }
    // Nothing to break yet: latest of an empty subject is compatible.
    expect(
      (await api('POST', '/compatibility/subjects/fresh/versions/latest', { schema: V1 })).body,
    ).toEqual({ is_compatible: true });
  });

  it('checks every version under a transitive level', async () => {
    const a = recordSchema('T', [{ name: 'a', type: 'string' }]);
    const ab = recordSchema('T', [
      { name: 'a', type: 'string' },
      { name: 'b', type: 'string', default: '' },
    ]);
    const b = recordSchema('T', [{ name: 'b', type: 'string', default: '' }]);
    await api('PUT', '/config/trans-value', { compatibility: 'FORWARD_TRANSITIVE' });
    await api('POST', '/subjects/trans-value/versions', { schema: a });
    expect((await api('POST', '/subjects/trans-value/versions', { schema: ab })).status).toBe(200);
    // Readable by version 2 (b has a default there) but not by version 1, which needs "a".
    const res = await api<{ error_code: number; message: string }>(
      'POST',
      '/subjects/trans-value/versions',
      { schema: b },
    );
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('against version 1');
  });
});
