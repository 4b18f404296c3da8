import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One distinct schema. Its id is the global schema id of the wire format: a row, so it survives restarts. */
@Entity({ name: 'schemas' })
export class SchemaEntity {
  @PrimaryGeneratedColumn('identity', { type: 'integer', generatedIdentity: 'BY DEFAULT' })
  id!: number;

  /** The schema's identity: sorted keys, no whitespace, defaults and docs kept. */
  @Column({ type: 'text' })
  canonical!: string;

  /** sha256 of `canonical`, hex; unique, so one schema never gets two ids. */
  @Column({ type: 'char', length: 64, unique: true })
  fingerprint!: string;

  /** The text as first registered: what clients get back. */
  @Column({ name: 'schema_text', type: 'text' })
  schemaText!: string;

  @Column({ name: 'schema_type', type: 'text', default: 'AVRO' })
  schemaType!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
