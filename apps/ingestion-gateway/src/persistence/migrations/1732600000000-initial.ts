import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';

/** The schema the gateway's DataSource was opened with. */
export function schemaOf(queryRunner: QueryRunner): string {
  return (
    (queryRunner.connection.options as PostgresConnectionOptions).schema ?? 'ingestion_gateway'
  );
}

/** Write keys (hashed) and subscriptions. */
export class GatewayInitial1732600000000 implements MigrationInterface {
  readonly name = 'GatewayInitial1732600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = `"${schemaOf(queryRunner)}"`;
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await queryRunner.query(`
      CREATE TABLE ${s}.write_keys (
        id uuid PRIMARY KEY,
        source text NOT NULL CHECK (source ~ '^[A-Za-z0-9_.-]{1,64}$'),
        key_hash char(64) NOT NULL UNIQUE,
        key_prefix text NOT NULL,
        event_types text[] NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.subscriptions (
        id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{8,40}$'),
        topic text NOT NULL,
        event_types text[] NOT NULL,
        filters jsonb NOT NULL DEFAULT '[]'::jsonb,
        source text NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        deleted_at timestamptz NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX subscriptions_active_idx ON ${s}.subscriptions (created_at) WHERE deleted_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = `"${schemaOf(queryRunner)}"`;
    await queryRunner.query(`DROP TABLE IF EXISTS ${s}.subscriptions`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${s}.write_keys`);
  }
}
