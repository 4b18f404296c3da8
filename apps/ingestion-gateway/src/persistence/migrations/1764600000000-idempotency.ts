import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './1732600000000-initial';

/** Event ids produced within the idempotency window, shared by the gateway instances. */
export class GatewayIdempotency1764600000000 implements MigrationInterface {
  readonly name = 'GatewayIdempotency1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = `"${schemaOf(queryRunner)}"`;
    await queryRunner.query(`
      CREATE TABLE ${s}.idempotency_keys (
        id text PRIMARY KEY,
        owner uuid NOT NULL,
        acked boolean NOT NULL,
        until timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX idempotency_keys_until_idx ON ${s}.idempotency_keys (until)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "${schemaOf(queryRunner)}".idempotency_keys`);
  }
}
