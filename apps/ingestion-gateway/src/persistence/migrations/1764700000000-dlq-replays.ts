import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './1732600000000-initial';

/** The audit log of dead-letter replays: what was replayed, and what still fails and why. */
export class GatewayDlqReplays1764700000000 implements MigrationInterface {
  readonly name = 'GatewayDlqReplays1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = `"${schemaOf(queryRunner)}"`;
    await queryRunner.query(`
      CREATE TABLE ${s}.dlq_replays (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        replay_id text NOT NULL,
        dead_letter text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('replayed', 'failed')),
        target_topic text NULL,
        reason text NULL
      )`);
    // A replay id (the event_id) is replayed once: the second replay finds it here.
    await queryRunner.query(
      `CREATE UNIQUE INDEX dlq_replays_replayed ON ${s}.dlq_replays (replay_id) WHERE outcome = 'replayed'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "${schemaOf(queryRunner)}".dlq_replays`);
  }
}
