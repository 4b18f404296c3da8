import type { MigrationInterface, QueryRunner } from 'typeorm';
import { recomputeSchemaIdentities } from './recompute-identities';

/**
 * The canonical form leaves out attributes written with the value their absence means
 * (`"doc": null`, `"aliases": []`, a field's `"order": "ascending"`), as Confluent does, so
 * stored identities are recomputed: a schema registered with them is found by its plain text.
 */
export class CanonicalFormDefaults1767000000000 implements MigrationInterface {
  readonly name = 'CanonicalFormDefaults1767000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await recomputeSchemaIdentities(queryRunner);
  }

  async down(): Promise<void> {
    // The previous identities are not kept; nothing to undo that would be correct.
  }
}
