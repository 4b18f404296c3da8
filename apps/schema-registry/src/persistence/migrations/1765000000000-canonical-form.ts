import type { MigrationInterface, QueryRunner } from 'typeorm';
import { recomputeSchemaIdentities } from './recompute-identities';

/**
 * Schema identity moved from "sorted JSON keys" to the parsed canonical form, so stored
 * fingerprints are recomputed.
 */
export class CanonicalForm1765000000000 implements MigrationInterface {
  readonly name = 'CanonicalForm1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await recomputeSchemaIdentities(queryRunner);
  }

  async down(): Promise<void> {
    // The old fingerprints are not kept; nothing to undo that would be correct.
  }
}
