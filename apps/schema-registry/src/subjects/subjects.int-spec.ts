import { SubjectsController } from './subjects.controller';
import {
  call,
  dropDbSchema,
  recordSchema,
  startRegistry,
  uniqueDbSchema,
  type RunningRegistry,
} from '../testing/registry-test-app';

const V1 = recordSchema('Order', [{ name: 'id', type: 'string' }]);
const V2 = recordSchema('Order', [
  { name: 'id', type: 'string' },
  { name: 'note', type: ['null', 'string'], default: null },
]);
const REQUIRED_FIELD_ADDED = recordSchema('Order', [
  { name: 'id', type: 'string' },
  { name: 'amount', type: 'double' },
]);

describe(SubjectsController.name, () => {
  const dbSchema = uniqueDbSchema('subjects');
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

  describe('registration', () => {
    it('registers a schema and answers with its global id in the registry media type', async () => {
      const res = await api<{ id: number }>('POST', '/subjects/orders-value/versions', {
        schema: V1,
      });
      expect(res.status).toBe(200);
      expect(res.contentType).toContain('application/vnd.schemaregistry.v1+json');
      expect(res.body).toEqual({ id: expect.any(Number) });
    });

    it('returns the same id and adds no version when the same schema is registered again', async () => {
      const first = await api<{ id: number }>('POST', '/subjects/again-value/versions', {
        schema: V1,
      });
      // Same schema, different formatting: same canonical form.
      const reformatted = JSON.stringify(JSON.parse(V1), null, 2);
      const second = await api<{ id: number }>('POST', '/subjects/again-value/versions', {
        schema: reformatted,
      });
      expect(second.body.id).toBe(first.body.id);
      expect((await api('GET', '/subjects/again-value/versions')).body).toEqual([1]);
    });

    it('gives a schema the same global id under another subject, as a new version there', async () => {
      const a = await api<{ id: number }>('POST', '/subjects/shared-a/versions', { schema: V2 });
      const b = await api<{ id: number }>('POST', '/subjects/shared-b/versions', { schema: V2 });
      expect(b.body.id).toBe(a.body.id);
      const versions = await api('GET', `/schemas/ids/${a.body.id}/versions`);
      expect(versions.body).toEqual([
        { subject: 'shared-a', version: 1 },
        { subject: 'shared-b', version: 1 },
      ]);
    });

    it('accepts bodies sent as application/json and application/octet-stream', async () => {
      const json = await call<{ id: number }>(
        registry.url,
        'POST',
        '/subjects/ct-value/versions',
        { schema: V1 },
        'application/json',
      );
      const octet = await call<{ id: number }>(
        registry.url,
        'POST',
        '/subjects/ct-value/versions',
        JSON.stringify({ schema: V1 }),
        'application/octet-stream',
      );
      const plain = await call(
        registry.url,
        'POST',
        '/subjects/ct-value/versions',
        { schema: V1 },
        'application/vnd.schemaregistry+json',
      );
      expect([json.status, octet.status, plain.status]).toEqual([200, 200, 200]);
      expect(octet.body.id).toBe(json.body.id);
      // No content type at all: JSON, as Confluent reads it.
      const unlabelled = await call<{ id: number }>(
        registry.url,
        'POST',
        '/subjects/ct-value/versions',
        { schema: V1 },
        null,
      );
      expect(unlabelled.status).toBe(200);
      expect(unlabelled.body.id).toBe(json.body.id);
    });

    it('refuses an incompatible schema with 409 and the reason, and stores nothing', async () => {
      await api('POST', '/subjects/compat-value/versions', { schema: V1 });
      const res = await api<{ error_code: number; message: string }>(
        'POST',
        '/subjects/compat-value/versions',
        {
          schema: REQUIRED_FIELD_ADDED,
        },
      );
      expect(res.status).toBe(409);
      expect(res.body.error_code).toBe(409);
      expect(res.body.message).toContain('amount');
      expect((await api('GET', '/subjects/compat-value/versions')).body).toEqual([1]);
      const lookup = await api('POST', '/subjects/compat-value', { schema: REQUIRED_FIELD_ADDED });
      expect(lookup.status).toBe(404);
    });

    it('accepts a compatible evolution as the next version', async () => {
      await api('POST', '/subjects/evolve-value/versions', { schema: V1 });
      await api('POST', '/subjects/evolve-value/versions', { schema: V2 });
      expect((await api('GET', '/subjects/evolve-value/versions')).body).toEqual([1, 2]);
      const latest = await api('GET', '/subjects/evolve-value/versions/latest');
      expect(latest.body).toEqual({
        subject: 'evolve-value',
        id: expect.any(Number),
        version: 2,
        schema: V2,
      });
      const raw = await api('GET', '/subjects/evolve-value/versions/1/schema');
      expect(raw.text).toBe(V1);
    });
  });

  describe('bad input', () => {
    it('answers 422/42201 with the parser reason for an invalid Avro schema', async () => {
      const res = await api<{ error_code: number; message: string }>(
        'POST',
        '/subjects/bad-value/versions',
        {
          schema: JSON.stringify({
            type: 'record',
            name: 'X',
            fields: [{ name: 'a', type: 'strng' }],
          }),
        },
      );
      expect(res.status).toBe(422);
      expect(res.body.error_code).toBe(42201);
      expect(res.body.message).toMatch(/strng/);
    });

    it('answers 422/42201 when the schema is not JSON at all', async () => {
      const res = await api<{ error_code: number; message: string }>(
        'POST',
        '/subjects/bad-value/versions',
        { schema: '{nope' },
      );
      expect(res.status).toBe(422);
      expect(res.body.error_code).toBe(42201);
    });

    it('answers 422 with a reason, never 500, for a malformed JSON body', async () => {
      const res = await api<{ error_code: number; message: string }>(
        'POST',
        '/subjects/bad-value/versions',
        '{"schema": ',
      );
      expect(res.status).toBe(422);
      expect(res.body.error_code).toBe(422);
      expect(res.body.message).toMatch(/invalid JSON/);
      expect(res.contentType).toContain('application/vnd.schemaregistry.v1+json');
    });

    it('answers 422 for a body that is not an object and 42201 for a missing schema', async () => {
      expect((await api('POST', '/subjects/bad-value/versions', '[1,2]')).status).toBe(422);
      const missing = await api<{ error_code: number }>('POST', '/subjects/bad-value/versions', {});
      expect(missing.body.error_code).toBe(42201);
    });

    it('answers 415 for an unsupported content type', async () => {
      const res = await call<{ error_code: number }>(
        registry.url,
        'POST',
        '/subjects/x/versions',
        'schema',
        'text/plain',
      );
      expect(res.status).toBe(415);
      expect(res.body.error_code).toBe(415);
    });

    it('answers 404/40401 for an unknown subject', async () => {
      for (const path of [
        '/subjects/nobody/versions',
        '/subjects/nobody/versions/1',
        '/subjects/nobody/versions/latest',
      ]) {
        const res = await api<{ error_code: number; message: string }>('GET', path);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ error_code: 40401, message: "Subject 'nobody' not found." });
      }
    });

    it('answers 404/40402 for an unknown version', async () => {
      await api('POST', '/subjects/known-value/versions', { schema: V1 });
      const res = await api<{ error_code: number }>('GET', '/subjects/known-value/versions/7');
      expect(res.status).toBe(404);
      expect(res.body.error_code).toBe(40402);
    });

    it('answers 422/42202 for a version that is not a number or "latest"', async () => {
      for (const version of ['abc', '0', '-2', '1.5', '99999999999']) {
        const res = await api<{ error_code: number }>(
          'GET',
          `/subjects/known-value/versions/${version}`,
        );
        expect(res.status).toBe(422);
        expect(res.body.error_code).toBe(42202);
      }
    });

    it('answers 404/40403 for an unknown schema id', async () => {
      const res = await api<{ error_code: number }>('GET', '/schemas/ids/987654');
      expect(res.status).toBe(404);
      expect(res.body.error_code).toBe(40403);
      expect((await api('GET', '/schemas/ids/abc')).status).toBe(404);
    });

    it('answers an unknown route with a Confluent-shaped 404', async () => {
      const res = await api<{ error_code: number }>('GET', '/no/such/route');
      expect(res.status).toBe(404);
      expect(res.body.error_code).toBe(404);
    });
  });

  describe('listings', () => {
    it('lists subjects by prefix, live, with deleted ones or deleted ones only, a page at a time', async () => {
      for (const subject of ['list-a', 'list-b', 'list-c', 'other-x'])
        await api('POST', `/subjects/${subject}/versions`, { schema: V1 });
      await api('DELETE', '/subjects/list-b');
      const list = async (query: string) => (await api<string[]>('GET', `/subjects?${query}`)).body;
      expect(await list('subjectPrefix=list-')).toEqual(['list-a', 'list-c']);
      expect(await list('subjectPrefix=list-&deleted=true')).toEqual([
        'list-a',
        'list-b',
        'list-c',
      ]);
      expect(await list('subjectPrefix=list-&deletedOnly=true')).toEqual(['list-b']);
      expect(await list('subjectPrefix=list-&deleted=true&offset=1&limit=1')).toEqual(['list-b']);
      expect(await list('subjectPrefix=list-&limit=-1')).toEqual(['list-a', 'list-c']);
      // A prefix is text, not a pattern.
      expect(await list('subjectPrefix=list_')).toEqual([]);
      expect(await list('subjectPrefix=%25')).toEqual([]);
      const bad = await api<{ error_code: number; message: string }>('GET', '/subjects?offset=x');
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({
        error_code: 400,
        message: 'offset must be a whole number, got "x"',
      });
      expect((await api('GET', '/subjects/list-b/versions?deletedOnly=true')).body).toEqual([1]);
    });

    it('lists schemas by subject prefix: every version, the latest only, soft-deleted ones', async () => {
      const first = await api<{ id: number }>('POST', '/subjects/sl-value/versions', {
        schema: V1,
      });
      const second = await api<{ id: number }>('POST', '/subjects/sl-value/versions', {
        schema: V2,
      });
      await api('DELETE', '/subjects/sl-value/versions/2');
      const entry = (version: number, id: number, schema: string) => ({
        subject: 'sl-value',
        version,
        id,
        schema: JSON.stringify(JSON.parse(schema)),
      });
      const list = async (query: string) =>
        (await api<{ schema: string }[]>('GET', `/schemas?${query}`)).body.map((s) => ({
          ...s,
          schema: JSON.stringify(JSON.parse(s.schema)),
        }));
      expect(await list('subjectPrefix=sl-')).toEqual([entry(1, first.body.id, V1)]);
      expect(await list('subjectPrefix=sl-&deleted=true')).toEqual([
        entry(1, first.body.id, V1),
        entry(2, second.body.id, V2),
      ]);
      expect(await list('subjectPrefix=sl-&deleted=true&latestOnly=true')).toEqual([
        entry(2, second.body.id, V2),
      ]);
      expect(await list('subjectPrefix=sl-&deleted=true&offset=1')).toEqual([
        entry(2, second.body.id, V2),
      ]);
    });

    it('answers the root with an empty object, as tools poll it', async () => {
      const res = await api('GET', '/');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
    });
  });

  describe('lookup', () => {
    it('finds the version a schema is registered as under a subject', async () => {
      const { body } = await api<{ id: number }>('POST', '/subjects/lookup-value/versions', {
        schema: V1,
      });
      const res = await api('POST', '/subjects/lookup-value', { schema: V1 });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ subject: 'lookup-value', id: body.id, version: 1, schema: V1 });
    });

    it('answers 40403 for a schema the subject does not have and 40401 for an unknown subject', async () => {
      const other = recordSchema('Other', [{ name: 'x', type: 'int' }]);
      expect(
        (await api<{ error_code: number }>('POST', '/subjects/lookup-value', { schema: other }))
          .body.error_code,
      ).toBe(40403);
      expect(
        (await api<{ error_code: number }>('POST', '/subjects/lookup-nobody', { schema: other }))
          .body.error_code,
      ).toBe(40401);
    });
  });

  describe('schemas by id', () => {
    it('serves the schema by id without schemaType for AVRO, and where it is used', async () => {
      const { body } = await api<{ id: number }>('POST', '/subjects/byid-value/versions', {
        schema: V1,
      });
      const schema = await api('GET', `/schemas/ids/${body.id}`);
      expect(schema.body).toEqual({ schema: V1 });
      const versions = await api<{ subject: string; version: number }[]>(
        'GET',
        `/schemas/ids/${body.id}/versions`,
      );
      expect(versions.body).toContainEqual({ subject: 'byid-value', version: 1 });
      expect((await api('GET', '/schemas/types')).body).toEqual(['AVRO']);
    });
  });

  describe('deletes', () => {
    it('soft-deletes a subject, then deletes it permanently, as Confluent does', async () => {
      await api('POST', '/subjects/del-value/versions', { schema: V1 });
      await api('POST', '/subjects/del-value/versions', { schema: V2 });

      const early = await api<{ error_code: number }>(
        'DELETE',
        '/subjects/del-value?permanent=true',
      );
      expect(early.status).toBe(404);
      expect(early.body.error_code).toBe(40405);

      expect((await api('DELETE', '/subjects/del-value')).body).toEqual([1, 2]);
      expect(
        (await api<{ error_code: number }>('GET', '/subjects/del-value/versions')).body.error_code,
      ).toBe(40401);
      expect((await api<string[]>('GET', '/subjects')).body).not.toContain('del-value');
      expect((await api<string[]>('GET', '/subjects?deleted=true')).body).toContain('del-value');
      expect((await api('GET', '/subjects/del-value/versions?deleted=true')).body).toEqual([1, 2]);
      expect(
        (await api<{ error_code: number }>('DELETE', '/subjects/del-value')).body.error_code,
      ).toBe(40404);

      expect((await api('DELETE', '/subjects/del-value?permanent=true')).body).toEqual([1, 2]);
      expect((await api<string[]>('GET', '/subjects?deleted=true')).body).not.toContain(
        'del-value',
      );
      expect(
        (await api<{ error_code: number }>('DELETE', '/subjects/del-value')).body.error_code,
      ).toBe(40401);
    });

    it('re-registering after a soft delete continues the version numbers and keeps the id', async () => {
      const first = await api<{ id: number }>('POST', '/subjects/redo-value/versions', {
        schema: V1,
      });
      await api('DELETE', '/subjects/redo-value');
      const again = await api<{ id: number }>('POST', '/subjects/redo-value/versions', {
        schema: V1,
      });
      expect(again.body.id).toBe(first.body.id);
      expect((await api('GET', '/subjects/redo-value/versions')).body).toEqual([2]);
    });

    it('deletes one version softly, then permanently', async () => {
      await api('POST', '/subjects/delv-value/versions', { schema: V1 });
      await api('POST', '/subjects/delv-value/versions', { schema: V2 });

      expect(
        (
          await api<{ error_code: number }>(
            'DELETE',
            '/subjects/delv-value/versions/2?permanent=true',
          )
        ).body.error_code,
      ).toBe(40407);
      expect((await api('DELETE', '/subjects/delv-value/versions/2')).body).toBe(2);
      expect(
        (await api<{ error_code: number }>('DELETE', '/subjects/delv-value/versions/2')).body
          .error_code,
      ).toBe(40406);
      expect((await api('GET', '/subjects/delv-value/versions')).body).toEqual([1]);
      expect(
        (await api<{ error_code: number }>('GET', '/subjects/delv-value/versions/2')).body
          .error_code,
      ).toBe(40402);
      expect(
        (await api<{ version: number }>('GET', '/subjects/delv-value/versions/2?deleted=true')).body
          .version,
      ).toBe(2);
      expect(
        (await api<{ version: number }>('GET', '/subjects/delv-value/versions/latest')).body
          .version,
      ).toBe(1);

      expect((await api('DELETE', '/subjects/delv-value/versions/2?permanent=true')).body).toBe(2);
      expect((await api('GET', '/subjects/delv-value/versions?deleted=true')).body).toEqual([1]);
      expect(
        (await api<{ error_code: number }>('DELETE', '/subjects/delv-value/versions/9')).body
          .error_code,
      ).toBe(40402);
    });
  });
});
