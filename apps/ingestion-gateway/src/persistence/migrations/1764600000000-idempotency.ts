import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './1732600000000-initial';

/** Event ids produced within the idempotency window, shared by the gateway instances. */
export class GatewayIdempotency1764600000000 implements MigrationInterface {
  readonly name = 'GatewayIdempotency1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = `"${schemaOf(queryRunner)}"`;
    // No index on `until`: the ack's update then rewrites the row in place (a HOT update,
    // helped by the free space fillfactor leaves), and the sweep's scan once a minute is cheap.
    await queryRunner.query(`
      CREATE TABLE ${s}.idempotency_keys (
        id text PRIMARY KEY,
        owner uuid NOT NULL,
        acked boolean NOT NULL,
        until timestamptz NOT NULL
      ) WITH (fillfactor = 70)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "${schemaOf(queryRunner)}".idempotency_keys`);
  }
}
