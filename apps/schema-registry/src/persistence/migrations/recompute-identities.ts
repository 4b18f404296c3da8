import type { QueryRunner } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { candidateSchema } from '../../schemas/candidate-schema';
import { DEFAULT_DB_SCHEMA, qualified } from '../db-schema';
import { fingerprintOf } from '../fingerprint';

/**
 * Recomputes every stored schema's identity (canonical form and fingerprint) with today's
 * canonical form, for a migration that changed it. Where two stored schemas turn out to be
 * one, the lowest id keeps the fingerprint (new registrations find it); the others keep their
 * ids and text, under a fingerprint of their own that nothing computes any more.
 */
export async function recomputeSchemaIdentities(queryRunner: QueryRunner): Promise<void> {
  const schema =
    (queryRunner.connection.options as PostgresConnectionOptions).schema ?? DEFAULT_DB_SCHEMA;
  const table = qualified(schema, 'schemas');
  const rows = (await queryRunner.query(`SELECT id, schema_text FROM ${table} ORDER BY id`)) as {
    id: number;
    schema_text: string;
  }[];
  const taken = new Set<string>();
  const updates = rows.map((row) => {
    const { canonical, fingerprint } = candidateSchema(row.schema_text);
    const superseded = taken.has(fingerprint);
    taken.add(fingerprint);
    return {
      id: row.id,
      canonical,
      fingerprint: superseded ? fingerprintOf(`superseded:${row.id}`) : fingerprint,
    };
  });
  // Two passes, so no row's new fingerprint meets another row's old one mid-way.
  await queryRunner.query(`UPDATE ${table} SET fingerprint = lpad(id::text, 64, '#')`);
  for (const u of updates) {
    await queryRunner.query(`UPDATE ${table} SET canonical = $1, fingerprint = $2 WHERE id = $3`, [
      u.canonical,
      u.fingerprint,
      u.id,
    ]);
  }
}
