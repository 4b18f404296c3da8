import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { SchemaEntity } from './schema.entity';

/** Version `version` of `subject` is schema `schemaId`. Soft-deleted rows keep their number. */
@Entity({ name: 'subject_versions' })
@Unique('subject_versions_subject_version_key', ['subject', 'version'])
@Index('subject_versions_schema_id_idx', ['schemaId'])
export class SubjectVersionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'text' })
  subject!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'schema_id', type: 'integer' })
  schemaId!: number;

  @ManyToOne(() => SchemaEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'schema_id' })
  schema?: SchemaEntity;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
