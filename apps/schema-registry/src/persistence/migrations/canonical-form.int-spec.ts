import { createHash } from 'node:crypto';
import { Client } from 'pg';
import {
  call,
  dropDbSchema,
  PG,
  startRegistry,
  uniqueDbSchema,
  type RunningRegistry,
} from '../../testing/registry-test-app';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('migration to canonical-form identities', () => {
  const dbSchema = uniqueDbSchema('canonical');
  let registry: RunningRegistry | undefined;

  afterAll(async () => {
    await registry?.close();
    await dropDbSchema(dbSchema);
  });

  it('recomputes stored fingerprints: two old rows of one schema resolve to the lowest id, and both keep their text', async () => {
    registry = await startRegistry(dbSchema);
    await registry.close();
    registry = undefined;

    // Rows as the registry stored them before: identity was the JSON with keys sorted.
    const pg = new Client(PG);
    await pg.connect();
    let ids: number[];
    try {
      await pg.query(
        `DELETE FROM "${dbSchema}".migrations WHERE name = 'CanonicalForm1765000000000'`,
      );
      const inserted = await pg.query<{ id: number }>(
        `INSERT INTO "${dbSchema}".schemas (canonical, fingerprint, schema_text)
         VALUES ($1, $2, $3), ($4, $5, $6) RETURNING id`,
        [
          '{"type":"string"}',
          sha('{"type":"string"}'),
          '{"type": "string"}',
          '"string"',
          sha('"string"'),
          '"string"',
        ],
      );
      ids = inserted.rows.map((r) => r.id).sort((a, b) => a - b);
    } finally {
      await pg.end();
    }

    registry = await startRegistry(dbSchema);
    const res = await call<{ id: number }>(registry.url, 'POST', '/subjects/plain-value/versions', {
      schema: '"string"',
    });
    expect(res.body).toEqual({ id: ids[0] });
    expect((await call(registry.url, 'GET', `/schemas/ids/${ids[0]}`)).body).toEqual({
      schema: '{"type": "string"}',
    });
    expect((await call(registry.url, 'GET', `/schemas/ids/${ids[1]}`)).body).toEqual({
      schema: '"string"',
    });
  });
});

describe('migration to identities without default-valued attributes', () => {
  const dbSchema = uniqueDbSchema('canonical_defaults');
  let registry: RunningRegistry | undefined;

  afterAll(async () => {
    await registry?.close();
    await dropDbSchema(dbSchema);
  });

  it('finds a schema stored with "order": "ascending", "doc": null and "aliases": [] by its plain text', async () => {
    registry = await startRegistry(dbSchema);
    await registry.close();
    registry = undefined;

    const written = JSON.stringify({
      type: 'record',
      name: 'Click',
      doc: null,
      aliases: [],
      fields: [{ name: 'url', type: 'string', order: 'ascending' }],
    });
    // The identity as the previous canonical form computed it: the attributes kept.
    const previous =
      '{"name":"Click","type":"record","fields":[{"name":"url","type":"string","order":"ascending"}],"aliases":[],"doc":null}';
    const pg = new Client(PG);
    await pg.connect();
    let id: number;
    try {
      await pg.query(
        `DELETE FROM "${dbSchema}".migrations WHERE name = 'CanonicalFormDefaults1767000000000'`,
      );
      const inserted = await pg.query<{ id: number }>(
        `INSERT INTO "${dbSchema}".schemas (canonical, fingerprint, schema_text)
         VALUES ($1, $2, $3) RETURNING id`,
        [previous, sha(previous), written],
      );
      id = inserted.rows[0]?.id as number;
    } finally {
      await pg.end();
    }

    registry = await startRegistry(dbSchema);
    const plain = JSON.stringify({
      type: 'record',
      name: 'Click',
      fields: [{ name: 'url', type: 'string' }],
    });
    const res = await call<{ id: number }>(
      registry.url,
      'POST',
      '/subjects/clicks-value/versions',
      {
        schema: plain,
      },
    );
    expect(res.body).toEqual({ id });
    expect((await call(registry.url, 'GET', `/schemas/ids/${id}`)).body).toEqual({
      schema: written,
    });
  });
});
